"""Peaks of an asset's sound for the web page's waveform (GET /api/v1/assets/{id}/waveform): read from
the proxy, streamed (a block's maximum at a time), the loudest sample of each stretch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from analysis_media import _wav, tone_wav
from api_support import upload, wait_job
from conftest import client_headers, make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from transcode.waveform import audio_peaks


def test_peaks_are_the_loudest_sample_of_each_stretch_and_silence_is_zero(tmp_path: Path) -> None:
    rate = 48000
    t = np.arange(2 * rate) / rate
    samples = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    samples[rate:] = 0  # the second second is silent
    found = audio_peaks(_wav(tmp_path / "half.wav", np.stack([samples, samples])), 20)
    assert found.duration == 2.0
    assert len(found.peaks) == 20
    assert all(abs(p - 0.5) < 0.01 for p in found.peaks[:9])
    assert all(p == 0.0 for p in found.peaks[11:])


def test_the_waveform_of_an_asset_is_read_from_its_proxy(tmp_path: Path) -> None:
    tone = tone_wav(tmp_path / "bulletin.wav", -20.0, seconds=3.0)
    with TestClient(create_app(make_settings(tmp_path / "home", MAM_RATE_PER_KEY="0"))) as client:
        client.headers.update(client_headers(client))
        asset = upload(client, tone, profiles="proxy").json()
        assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
        answer = client.get(f"/api/v1/assets/{asset['id']}/waveform", params={"points": 30})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["profile"] == "proxy"
        assert abs(body["duration"] - 3.0) < 0.1
        assert len(body["peaks"]) == 30
        assert all(0.07 < p < 0.14 for p in body["peaks"][1:-1])  # -20 dBFS is 0.1
        assert client.get("/api/v1/assets/nope/waveform").status_code == 404
