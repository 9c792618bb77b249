"""The broker restarted with jobs queued and running: a Redis server of the test's own, stopped and
started again empty under two real `mam worker` processes. The catalog is the record: the workers
reconnect, send again what the broker lost, and every job completes exactly once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster
from fault_support import RedisServer, cluster_on, poll, renditions_per_asset, stop_clusters

from mam.ingest import ingest_file
from mam.models import JobState
from transcode import generate
from workers.middleware import JobAttempts


@pytest.fixture
def clusters() -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    stop_clusters(made)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()


def test_a_broker_restarted_empty_with_jobs_queued_and_running_loses_none_and_runs_each_once(
    broker: RedisServer,
    postgres_url: str,
    clusters: list[Cluster],
    tmp_path: Path,
) -> None:
    cluster = cluster_on(tmp_path, broker.url, postgres_url)
    clusters.append(cluster)
    cluster.start_worker()
    cluster.start_worker()
    longs = [generate.silent_clip(tmp_path / f"l{i}.mp4", seconds=12 + i / 5, width=320, height=240) for i in range(2)]
    running = [ingest_file(cluster.services, long, profiles=["proxy"]).job for long in longs]
    shorts = [generate.silent_clip(tmp_path / f"s{i}.mp4", seconds=1 + i / 5, width=160, height=90) for i in range(3)]
    queued = [ingest_file(cluster.services, short, profiles=["poster"]).job for short in shorts]
    ids = [j.id for j in (*running, *queued) if j is not None]
    assert len(ids) == 5
    cluster.wait(
        # running, not necessarily past the first progress write: progress is written twice a second
        # and a fast machine renders these in about a second, so two such windows need not overlap
        lambda: sum(cluster.job(i).state == JobState.RUNNING for i in ids) == 2,
        90,
        "both workers to be rendering",
    )
    sent_as = {i: cluster.job(i).message_id for i in ids if cluster.job(i).state == JobState.QUEUED}
    assert sent_as, "no job left queued behind the two renders"

    broker.stop()
    time.sleep(2.0)  # down for a while: the workers' consumers and sweeps fail and try again
    broker.start()
    back_at = time.monotonic()

    resent_after = poll(
        lambda: any(cluster.job(i).message_id != m for i, m in sent_as.items()) or _all_done(cluster, ids),
        60,
        "a job the broker lost to be sent again",
        cluster,
    )
    cluster.wait(lambda: _all_done(cluster, ids), 180, "every job to be done")
    print(
        f"\nbroker back empty -> first lost job sent again: {resent_after:.1f} s; "
        f"all {len(ids)} jobs done {time.monotonic() - back_at:.1f} s after "
        f"(sweep every {cluster.env['MAM_JOB_SWEEP_SECONDS']} s)"
    )
    jobs = [cluster.job(i) for i in ids]
    assert [j.state for j in jobs] == [JobState.DONE] * 5, cluster.logs_text()
    assert [j.attempts for j in jobs] == [1] * 5  # none was run twice, none failed
    assert renditions_per_asset(cluster, ids) == [1] * 5
    assert all(proc.poll() is None for proc in cluster.workers.values()), "a worker died with the broker"


def _all_done(cluster: Cluster, ids: list[str]) -> bool:
    return all(cluster.job(i).state == JobState.DONE for i in ids)


def test_one_job_delivered_five_times_to_two_workers_is_run_once_and_makes_one_rendition(
    redis_url: str, postgres_url: str, clusters: list[Cluster], tmp_path: Path
) -> None:
    cluster = cluster_on(tmp_path, redis_url, postgres_url)
    clusters.append(cluster)
    cluster.start_worker()
    cluster.start_worker()
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=3.0, width=320, height=240)
    job = ingest_file(cluster.services, clip, profiles=["proxy"]).job
    assert job is not None
    send = next(m for m in cluster.broker.middleware if isinstance(m, JobAttempts)).send
    for _ in range(4):  # the same job id, four more messages: both workers get some
        send(job.id, None)
    done = cluster.wait_job(job.id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 120, "the job")
    time.sleep(1.0)  # the duplicates drain (each skipped: the job is done)
    assert cluster.job(job.id).state == JobState.DONE and done.attempts == 1, done.error
    assert renditions_per_asset(cluster, [job.id]) == [1]
