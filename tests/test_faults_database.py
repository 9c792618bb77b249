"""The catalog's connections dropped mid-job: ``pg_terminate_backend`` on every connection of a
PostgreSQL database of the test's own, under a real `mam worker` process rendering. The worker's
sessions reconnect (``pool_pre_ping``); an attempt cut off where it wrote to the catalog is tried
again; every job completes once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster
from fault_support import cluster_on, drop_connections, refusing_connections, renditions_per_asset, stop_clusters

from mam.ingest import ingest_file
from mam.models import JobState
from transcode import generate


@pytest.fixture
def clusters() -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    stop_clusters(made)


def test_dropping_every_catalog_connection_mid_job_leaves_each_job_done_once(
    redis_url: str, postgres_url: str, clusters: list[Cluster], tmp_path: Path
) -> None:
    cluster = cluster_on(tmp_path, redis_url, postgres_url)
    clusters.append(cluster)
    cluster.start_worker()
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=5.0, width=320, height=240)
    short = generate.silent_clip(tmp_path / "short.mp4", seconds=1.0, width=160, height=90)
    first = ingest_file(cluster.services, clip, profiles=["proxy"]).job
    second = ingest_file(cluster.services, short, profiles=["poster"]).job
    assert first is not None and second is not None
    ids = [first.id, second.id]
    cluster.wait_job(first.id, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 90, "the render")

    dropped, cut_at = 0, time.monotonic()
    for _ in range(3):  # the whole catalog goes away three times in a second: whatever was in use is cut
        dropped += drop_connections(postgres_url)
        time.sleep(0.3)
    assert dropped > 0

    at_cut = cluster.job(first.id).progress  # the test's own sessions reconnect too
    progressed = cluster.wait_job(
        first.id,
        lambda j: j.state == JobState.DONE or (j.state == JobState.RUNNING and j.progress > at_cut),
        60,
        "the job to move on after its connections were dropped",
    )
    moved_after = time.monotonic() - cut_at
    cluster.wait(lambda: all(cluster.job(i).state == JobState.DONE for i in ids), 120, "every job to be done")
    jobs = [cluster.job(i) for i in ids]
    print(
        f"\n{dropped} catalog connections dropped -> the job moving again after {moved_after:.1f} s "
        f"(attempt {progressed.attempts}); attempts {[j.attempts for j in jobs]} "
        f"(lease {cluster.env['MAM_JOB_LEASE_SECONDS']} s, backoff {cluster.env['MAM_JOB_BACKOFF_SECONDS']} s)"
    )
    assert [j.state for j in jobs] == [JobState.DONE, JobState.DONE], cluster.logs_text()
    assert renditions_per_asset(cluster, ids) == [1, 1]
    assert all(proc.poll() is None for proc in cluster.workers.values()), "the worker died with its connections"


def test_a_catalog_out_of_reach_for_longer_than_a_lease_leaves_the_job_to_be_taken_up_again_and_done_once(
    redis_url: str, postgres_url: str, clusters: list[Cluster], tmp_path: Path
) -> None:
    cluster = cluster_on(tmp_path, redis_url, postgres_url)
    clusters.append(cluster)
    cluster.start_worker()
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=5.0, width=320, height=240)
    job = ingest_file(cluster.services, clip, profiles=["proxy"]).job
    assert job is not None
    cluster.wait_job(job.id, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 90, "the render")

    with refusing_connections(postgres_url):  # every connection dropped, none let in for 5 s
        time.sleep(5.0)
    back_at = time.monotonic()
    taken_up = cluster.wait_job(job.id, lambda j: j.attempts >= 2 or j.state == JobState.DONE, 60, "the job again")
    again_after = time.monotonic() - back_at
    done = cluster.wait_job(job.id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 120, "the job to end")
    print(
        f"\ncatalog back after 5 s out of reach -> job running again after {again_after:.1f} s "
        f"(attempt {taken_up.attempts}, lease {cluster.env['MAM_JOB_LEASE_SECONDS']} s, "
        f"sweep {cluster.env['MAM_JOB_SWEEP_SECONDS']} s)"
    )
    assert done.state == JobState.DONE, f"{done.error}\n{cluster.logs_text()}"
    assert renditions_per_asset(cluster, [job.id]) == [1]
    assert all(proc.poll() is None for proc in cluster.workers.values()), "the worker died with the catalog"
