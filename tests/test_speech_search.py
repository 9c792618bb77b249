"""What the analysis heard is searchable (speech:yes / speech:no) and listed for the timeline (/speech)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_support import upload, wait_job
from conftest import make_settings, signed_in
from fastapi.testclient import TestClient
from speech_media import programme_wav
from test_search_chinese import load_news

from api.app import create_app
from mam.catalog import replace_analysis
from mam.errors import SearchError
from mam.models import Asset, AssetAnalysis
from mam.search import SearchRequest, search
from mam.services import Services


def _heard(services: Services, asset_id: str, sound: dict[str, Any] | None) -> None:
    """Record an analysis of ``asset_id`` that heard ``sound`` (None: no sound to listen to)."""
    with services.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        row = AssetAnalysis(
            asset_id=asset_id,
            source_sha256=asset.sha256,
            measurements={"sound": sound},
            qc_profile="gy_t_282_2014",
            qc={},
            storage_prefix="x",
        )
        replace_analysis(session, row, [])


def _spoken(seconds: float) -> dict[str, Any]:
    return {"segments": [], "speech_seconds": seconds, "has_speech": seconds >= 1.0}


def _titles(services: Services, query: str) -> list[str]:
    with services.session() as session:
        return sorted(h.asset.title for h in search(session, "default", SearchRequest(q=query, limit=50)).hits)


def test_speech_yes_and_no_find_what_the_analysis_heard_and_never_an_asset_it_did_not_hear(
    services: Services,
) -> None:
    ids = load_news(services)
    _heard(services, ids["flood"], _spoken(42.0))
    _heard(services, ids["live"], _spoken(8.5))
    _heard(services, ids["farm"], _spoken(0.0))
    _heard(services, ids["tea"], None)  # analysed, but it had no sound
    assert _titles(services, "speech:yes") == sorted(["湘鄉市防汛搶險工作部署會", "县城CCTV13连线报道"])
    assert _titles(services, "speech:no") == ["农业简讯"]
    assert _titles(services, "语音:有 防汛") == ["湘鄉市防汛搶險工作部署會"]
    assert _titles(services, "语音:无 防汛") == ["农业简讯"]
    assert _titles(services, "speech:yes 今天") == ["县城CCTV13连线报道"], "a subtitle line carries the filter"
    assert _titles(services, "speech:no 采茶") == [], "the tea asset was never heard"
    _heard(services, ids["live"], _spoken(0.2))  # analysed again: now it holds none
    assert _titles(services, "speech:yes 今天") == [] and _titles(services, "speech:no 今天") == ["县城CCTV13连线报道"]
    with pytest.raises(SearchError, match="speech:yes or speech:no"):
        _titles(services, "speech:maybe")


def test_a_spoken_upload_lists_its_speech_for_the_timeline_and_is_found_by_the_speech_filter(tmp_path: Path) -> None:
    wav = programme_wav(tmp_path / "采访.wav", [("speech", 2.0), ("silence", 1.0), ("piano", 2.0)])
    music = programme_wav(tmp_path / "配乐.wav", [("piano", 2.0), ("chord", 1.0)], seed=5)
    with signed_in(TestClient(create_app(make_settings(tmp_path / "home")))) as client:
        spoken = upload(client, wav, title="村委会采访", profiles="radio").json()
        quiet = upload(client, music, title="配乐", profiles="radio").json()
        for asset in (spoken, quiet):
            assert wait_job(client, asset["jobs"][0]["id"])["state"] == "done"
        body = client.get(f"/api/v1/assets/{spoken['id']}/speech").json()
        assert body["has_speech"] is True and 1.5 <= body["speech_seconds"] <= 2.6
        assert [s["kind"] for s in body["segments"]] == ["speech", "silence", "other"]
        assert body["segments"][1]["start_timecode"].startswith("00:00:0") and body["segments"][-1]["end"] == 5.0
        assert client.get(f"/api/v1/assets/{quiet['id']}/speech").json()["has_speech"] is False
        qc = client.get(f"/api/v1/assets/{spoken['id']}/qc").json()
        assert [s["kind"] for s in qc["measurements"]["sound"]["segments"]] == ["speech", "silence", "other"]

        def found(**params: Any) -> list[str]:
            return [h["asset"]["title"] for h in client.get("/api/v1/search", params=params).json()["items"]]

        assert found(q="speech:yes") == ["村委会采访"] and found(q="speech:no") == ["配乐"]
        assert found(speech="true") == ["村委会采访"] and found(q="采访", speech="false") == []
        assert client.get("/api/v1/search", params={"q": "speech:perhaps"}).status_code == 422
        assert client.get("/api/v1/assets/nope/speech").status_code == 404
