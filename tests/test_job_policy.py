"""The job policy with real processes: `mam worker` processes on Redis and a PostgreSQL catalog.

A worker SIGKILLed mid-render, the broker losing its messages, a passing fault and one that does
not pass: no job is stranded, none is done twice, and a job that cannot be done ends failed with
its reason. Leases, sweeps and backoffs are shortened (3 s, 1 s, 1 s) so each test takes seconds;
the times measured are printed (run with ``-s``).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cluster_support import MAM, Cluster, cluster_on, stop_clusters, wait_for
from conftest import Media
from sqlalchemy import func, select

from mam.ingest import ingest_file
from mam.layout import asset_prefix, job_scratch_dir
from mam.models import Asset, Job, JobState, Rendition
from mam.services import Services, open_services
from mam.settings import Settings
from transcode import generate
from workers.runtime import JobRunner, attach_broker

__all__ = ["MAM", "Cluster", "wait_for"]  # older imports of these names keep working


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip whose render takes a few seconds here (long enough to kill a worker in the middle)."""
    return generate.silent_clip(
        tmp_path_factory.mktemp("policy") / "ten_seconds.mp4", seconds=10.0, width=320, height=240
    )


@pytest.fixture
def cluster_factory(tmp_path: Path, redis_url: str, postgres_url: str) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(**settings: str) -> Cluster:
        made.append(cluster_on(tmp_path, redis_url, postgres_url, **settings))
        return made[-1]

    yield make
    stop_clusters(made)


def test_a_worker_killed_mid_render_leaves_its_job_to_a_running_worker_which_clears_the_scratch_and_makes_it_once(
    cluster_factory: Callable[..., Cluster], clip: Path
) -> None:
    cluster = cluster_factory()
    cluster.start_worker()
    cluster.start_worker()
    job_id = ingest_file(cluster.services, clip, profiles=["proxy"]).job.id  # type: ignore[union-attr]
    running = cluster.wait_job(job_id, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 90, "the render")
    scratch = job_scratch_dir(cluster.services.settings.work_dir, job_id)
    left_behind = scratch / "left-by-the-killed-attempt"
    left_behind.write_bytes(b"partial")
    victim = cluster.worker_of(running)
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    victim.wait()

    taken_up = cluster.wait_job(job_id, lambda j: j.attempts == 2, 60, "another worker to take the job up")
    recovered_after = time.monotonic() - killed_at
    assert taken_up.state in (JobState.RUNNING, JobState.DONE)
    assert taken_up.worker is not None and cluster.worker_of(taken_up) is not victim
    done = cluster.wait_job(job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 90, "the job")
    print(
        f"\nSIGKILL -> job running again on the other worker: {recovered_after:.1f} s "
        f"(lease {cluster.env['MAM_JOB_LEASE_SECONDS']} s, sweep every {cluster.env['MAM_JOB_SWEEP_SECONDS']} s)"
    )
    assert done.state == JobState.DONE, f"{done.error}\n{cluster.logs_text()}"
    assert done.attempts == 2
    assert cluster.renditions(running.asset_id) == ["proxy"]
    assert not left_behind.exists() and not scratch.exists()


def test_a_job_whose_worker_died_on_its_last_attempt_fails_saying_so(
    cluster_factory: Callable[..., Cluster], clip: Path
) -> None:
    cluster = cluster_factory(MAM_JOB_MAX_ATTEMPTS="1")
    cluster.start_worker()
    cluster.start_worker()
    job_id = ingest_file(cluster.services, clip, profiles=["proxy"]).job.id  # type: ignore[union-attr]
    running = cluster.wait_job(job_id, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 90, "the render")
    cluster.worker_of(running).send_signal(signal.SIGKILL)
    failed = cluster.wait_job(job_id, lambda j: j.state != JobState.RUNNING, 60, "the job to end")
    assert failed.state == JobState.FAILED and failed.attempts == 1
    assert failed.error is not None
    assert "gave up after 1 attempt" in failed.error and "stopped answering" in failed.error
    assert running.worker is not None and running.worker in failed.error
    assert cluster.renditions(running.asset_id) == []


def test_jobs_the_broker_lost_are_sent_again_by_the_running_worker_and_each_is_made_once(
    cluster_factory: Callable[..., Cluster], tmp_path: Path
) -> None:
    cluster = cluster_factory()
    cluster.start_worker()
    # the first render must outlast the check below: once its slot is free, the idle look sends a
    # waiting job again by design (its message may sit in another worker's prefetch)
    long = generate.silent_clip(tmp_path / "long.mp4", seconds=45.0, width=320, height=240)
    shorts = [generate.silent_clip(tmp_path / f"s{i}.mp4", seconds=1 + i / 5, width=160, height=90) for i in range(4)]
    first = ingest_file(cluster.services, long, profiles=["proxy"]).job.id  # type: ignore[union-attr]
    cluster.wait(lambda: cluster.job(first).state == JobState.RUNNING, 90, "the first render")
    # queued behind it; the worker (one thread) has prefetched at most two messages
    behind = [ingest_file(cluster.services, short, profiles=["poster"]) for short in shorts]
    queued = {r.job.id: cluster.job(r.job.id).message_id for r in behind if r.job is not None}
    assert len(queued) == 4 and all(queued.values())
    time.sleep(2.5)  # two sweeps: a message Redis still holds is not sent again
    assert {i: cluster.job(i).message_id for i in queued} == queued
    assert cluster.job(first).state == JobState.RUNNING, "the first render ended before the check: a longer clip"

    assert cluster.lose_every_message() > 0
    lost_at = time.monotonic()
    resent = cluster.wait(
        lambda: [i for i, m in queued.items() if cluster.job(i).message_id != m], 60, "a lost job to be sent again"
    )
    resent_after = time.monotonic() - lost_at
    print(f"\nbroker emptied -> first queued job sent again: {resent_after:.1f} s ({len(resent)} at once)")

    ids = [first, *queued]
    cluster.wait(lambda: all(cluster.job(i).state == JobState.DONE for i in ids), 180, "every job to be done")
    with cluster.services.session() as session:
        made = session.execute(
            select(Rendition.asset_id, func.count())
            .join(Job, Job.asset_id == Rendition.asset_id)
            .where(Job.id.in_(ids))
            .group_by(Rendition.asset_id)
        ).all()
    assert sorted(n for _, n in made) == [1] * 5
    assert all(cluster.job(i).attempts == 1 for i in ids)


def _block_storage(cluster: Cluster, asset_id: str) -> Path:
    """A file where the asset's renditions folder must go: every store of a rendition fails."""
    blocker = Path(cluster.services.storage.url) / asset_prefix(cluster.services.settings.default_tenant, asset_id)
    blocker = blocker / "renditions"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"not a folder")
    return blocker


def test_a_passing_fault_is_retried_after_a_backoff_and_the_job_then_succeeds(
    cluster_factory: Callable[..., Cluster], media: Media
) -> None:
    cluster = cluster_factory(MAM_JOB_BACKOFF_SECONDS="3")  # time enough to see the first failure
    result = ingest_file(cluster.services, media.silent, profiles=["proxy"])
    assert result.job is not None
    blocker = _block_storage(cluster, result.asset.id)
    cluster.start_worker()
    retrying = cluster.wait_job(
        result.job.id,
        lambda j: j.state == JobState.QUEUED and j.attempts == 1,
        90,
        "the first attempt to fail",
    )
    assert retrying.error is not None and "cannot store" in retrying.error
    assert retrying.retry_at is not None and retrying.finished_at is None
    blocker.unlink()  # the fault passes
    done = cluster.wait_job(
        retrying.id,
        lambda j: j.state != JobState.QUEUED and j.state != JobState.RUNNING,
        90,
        "the retry",
    )
    assert done.state == JobState.DONE and done.attempts == 2, done.error
    assert done.started_at is not None and done.started_at >= retrying.retry_at
    failed_at = retrying.retry_at - timedelta(seconds=3)
    print(f"\nretried {(done.started_at - failed_at).total_seconds():.1f} s after the failed attempt (backoff 3 s)")
    assert cluster.renditions(result.asset.id) == ["proxy"]


def test_a_fault_that_does_not_pass_fails_the_job_after_its_attempts_with_the_reason(
    cluster_factory: Callable[..., Cluster], media: Media
) -> None:
    cluster = cluster_factory(MAM_JOB_MAX_ATTEMPTS="3")
    result = ingest_file(cluster.services, media.silent, profiles=["proxy"])
    assert result.job is not None
    _block_storage(cluster, result.asset.id)
    cluster.start_worker()
    failed = cluster.wait_job(result.job.id, lambda j: j.state == JobState.FAILED, 120, "the job to fail")
    assert failed.attempts == 3
    assert failed.error is not None
    assert failed.error.startswith("gave up after 3 attempts; last error:") and "cannot store a file" in failed.error
    assert cluster.renditions(result.asset.id) == []
    with cluster.services.session() as session:
        assert session.get(Asset, result.asset.id).status == "failed"  # type: ignore[union-attr]


def test_on_the_embedded_default_a_job_queued_by_another_process_is_picked_up_by_the_sweep_and_run_once(
    tmp_path: Path, clip: Path, media: Media
) -> None:
    env = {"MAM_HOME": str(tmp_path / "home"), "MAM_JOB_SWEEP_SECONDS": "1"}
    server = open_services(Settings.from_env(env))  # `mam serve` on the embedded default
    runner = JobRunner(server, attach_broker(server))
    runner.start()
    ingesting = open_services(Settings.from_env(env))  # `mam ingest` without --wait: no broker at all
    try:
        busy = ingest_file(server, clip, profiles=["proxy"]).job
        assert busy is not None
        wait_for(lambda: _state(server, busy.id) == JobState.RUNNING, 60, "the first render")
        waiting = ingest_file(server, media.silent, profiles=["poster"]).job  # sent to the runner's own queue
        assert waiting is not None
        sent_as = server_job(server, waiting.id).message_id
        elsewhere = ingest_file(ingesting, media.wav, profiles=["proxy"]).job
        assert elsewhere is not None and server_job(server, elsewhere.id).message_id is None
        picked_up = wait_for(lambda: server_job(server, elsewhere.id).message_id, 30, "the sweep to send it")
        assert picked_up and server_job(server, waiting.id).message_id == sent_as  # held here: not sent again
        jobs = (busy.id, waiting.id, elsewhere.id)
        wait_for(lambda: all(_state(server, i) == JobState.DONE for i in jobs), 120, "every job")
        assert [server_job(server, i).attempts for i in jobs] == [1, 1, 1]
    finally:
        runner.stop()
        ingesting.close()
        server.close()


def server_job(services: Services, job_id: str) -> Job:
    with services.session() as session:
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        return job


def _state(services: Services, job_id: str) -> str:
    return server_job(services, job_id).state
