"""The hostile-media campaign, through the API on the embedded default (seeded and bounded).

200 seeded mutations of small generated clips are uploaded: every answer is 201 or a 4xx with a
reason a person can read (no Python exception's name), no process crashes, nothing answers 5xx.
A few of the accepted mutants are rendered by the in-process worker, whose failures must read as
plainly, and the worker then still takes and completes a good job. Picture and duration bombs are
refused at ingest or rendered within their limits; the time and memory they took are printed.
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import hostile_media
import pytest
from api_support import upload, wait_job
from conftest import make_settings, signed_in
from fastapi.testclient import TestClient

from api.app import create_app
from mam.services import Services, open_services
from transcode import generate
from transcode.limits import render_limits
from transcode.probe import probe

MUTANTS, SEED, RENDERED = 200, 20261207, 8


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    svc = open_services(make_settings(tmp_path / "home"))
    try:
        yield svc
    finally:
        svc.close()


def _plain(reason: str) -> None:
    assert reason and not hostile_media.PYTHON_ERROR.search(reason), reason
    assert not hostile_media.LIBRARY_NOISE.search(reason), reason
    assert "crashed" not in reason and "was killed" not in reason, reason  # no process died on the way


def _children_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def test_two_hundred_mutants_get_plain_answers_and_the_worker_still_completes_a_good_job(
    tmp_path: Path, services: Services
) -> None:
    clips = hostile_media.sources(tmp_path / "sources")
    mutants = hostile_media.mutants(clips, tmp_path / "mutants", MUTANTS, SEED)
    answers: Counter[int] = Counter()
    accepted: list[Path] = []
    started = time.monotonic()
    with signed_in(TestClient(create_app(services=services, run_workers=False))) as client:  # ingest only: probe, store
        for mutant in mutants:
            answer = upload(client, mutant, profiles="proxy")
            answers[answer.status_code] += 1
            if answer.status_code == 201:
                accepted.append(mutant)
            else:
                assert 400 <= answer.status_code < 500, (mutant.name, answer.status_code, answer.text)
                _plain(answer.json()["detail"])
    ingested = time.monotonic() - started
    assert answers[201] > 0 and sum(n for s, n in answers.items() if s >= 400) > 0  # both kinds seen

    chosen = [accepted[n * len(accepted) // RENDERED] for n in range(RENDERED)]  # spread over the sources
    outcomes: Counter[str] = Counter()
    reasons: list[str] = []
    started = time.monotonic()
    with signed_in(TestClient(create_app(make_settings(tmp_path / "rendering")))) as client:  # the in-process worker
        for mutant in chosen:
            asset = upload(client, mutant, profiles="proxy")
            assert asset.status_code == 201, asset.text  # the same bytes probe the same way
            job = wait_job(client, asset.json()["jobs"][0]["id"])
            outcomes[job["state"]] += 1
            if job["state"] == "failed":
                _plain(job["error"])
                reasons.append(job["error"][:160])
            else:
                assert job["state"] == "done", job
        good = upload(client, generate.silent_clip(tmp_path / "good.mp4", seconds=0.5, width=160, height=96))
        assert wait_job(client, good.json()["jobs"][0]["id"])["state"] == "done"
    rendered = time.monotonic() - started
    print(
        f"\ncampaign: {MUTANTS} mutants (seed {SEED}) ingested in {ingested:.1f} s, answers {dict(answers)}; "
        f"{RENDERED} rendered + 1 good job in {rendered:.1f} s, outcomes {dict(outcomes)}; "
        f"largest child process {_children_peak_mib():.0f} MiB"
    )
    print("render failures:\n  " + "\n  ".join(reasons))


def test_picture_and_duration_bombs_are_refused_at_ingest_or_rendered_within_their_limits(
    tmp_path: Path, services: Services
) -> None:
    report = []
    with signed_in(TestClient(create_app(services=services))) as client:
        for side in (30000, 16000, 12000):
            bomb = hostile_media.picture_bomb(tmp_path / f"claims-{side}.mov", side)
            started = time.monotonic()
            answer = upload(client, bomb)
            assert answer.status_code == 422, answer.text
            _plain(answer.json()["detail"])
            report.append(f"{bomb.name}: refused at ingest in {time.monotonic() - started:.2f} s")

        bomb = hostile_media.duration_bomb(tmp_path / "claims-3-years.mkv", seconds=2.0)
        info = probe(bomb)
        limits = render_limits(info, 1, None, services.settings.render_ceilings)
        assert limits.timeout == 300.0  # two seconds shown by the streams: the floor, not 10⁹ s
        started = time.monotonic()
        answer = upload(client, bomb, profiles="proxy")
        assert answer.status_code == 201 and abs(answer.json()["duration"] - 2.0) < 0.1, answer.text
        job = wait_job(client, answer.json()["jobs"][0]["id"])
        assert job["state"] == "done", job
        report.append(
            f"{bomb.name} (declares 100,000,000 s): rendered as 2 s in {time.monotonic() - started:.2f} s "
            f"(time limit {limits.timeout:.0f} s, memory limit {limits.memory_bytes >> 20} MiB)"
        )
        bomb = hostile_media.frame_bomb(tmp_path / "frame-4000.mov")  # the header says 64×48: only frames lie
        limits = render_limits(probe(bomb), 1, None, services.settings.render_ceilings)
        started = time.monotonic()
        answer = upload(client, bomb, profiles="proxy")
        assert answer.status_code == 201, answer.text
        job = wait_job(client, answer.json()["jobs"][0]["id"])
        assert job["state"] == "done", job  # a picture size changing mid-stream is a new shot, not a fault
        report.append(
            f"{bomb.name} (one 4000×4000 frame in a 64×48 stream): rendered in "
            f"{time.monotonic() - started:.2f} s under a {limits.memory_bytes >> 20} MiB limit"
        )
    print("\nbombs: " + "; ".join(report) + f"; largest child process {_children_peak_mib():.0f} MiB")
