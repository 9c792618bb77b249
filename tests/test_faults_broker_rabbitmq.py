"""The broker restarted with jobs queued and running, on RabbitMQ: a RabbitMQ node of the test's own
(tests/rabbit_support.py), under two real `mam worker` processes. Restarted on its data (durable
queues and persistent messages come back) or killed and started on empty data (everything it held is
gone): either way the workers reconnect, what the broker lost is sent again (the sweep's loss mark,
workers/loss_mark.py), and every job completes exactly once with one rendition."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster
from fault_support import cluster_on, poll, renditions_per_asset, stop_clusters
from rabbit_support import RabbitServer, rabbit_missing

from mam.ingest import ingest_file
from mam.models import JobState
from transcode import generate


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitServer]:
    missing = rabbit_missing()
    if missing:
        pytest.skip(missing)
    server = RabbitServer(tmp_path_factory.mktemp("rabbitmq"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clusters() -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    stop_clusters(made)


def test_rabbitmq_restarted_on_its_data_and_then_empty_with_jobs_queued_and_running_loses_none_and_runs_each_once(
    rabbit: RabbitServer, postgres_url: str, clusters: list[Cluster], tmp_path: Path
) -> None:
    cluster = cluster_on(tmp_path, rabbit.url, postgres_url)
    clusters.append(cluster)
    cluster.start_worker()
    cluster.start_worker()
    for keep_data in (True, False):  # the same two workers live through both restarts
        _restart_with_jobs_queued_and_running(cluster, rabbit, tmp_path / f"media-{keep_data}", keep_data=keep_data)
    assert all(proc.poll() is None for proc in cluster.workers.values()), "a worker died with the broker"


def _restart_with_jobs_queued_and_running(
    cluster: Cluster, rabbit: RabbitServer, folder: Path, *, keep_data: bool
) -> None:
    folder.mkdir()
    longs = [generate.silent_clip(folder / f"l{i}.mp4", seconds=8 + i / 5, width=320, height=240) for i in range(2)]
    running = [ingest_file(cluster.services, long, profiles=["proxy"]).job for long in longs]
    shorts = [generate.silent_clip(folder / f"s{i}.mp4", seconds=1 + i / 5, width=160, height=90) for i in range(3)]
    queued = [ingest_file(cluster.services, short, profiles=["poster"]).job for short in shorts]
    ids = [j.id for j in (*running, *queued) if j is not None]
    assert len(ids) == 5
    cluster.wait(
        lambda: sum(cluster.job(i).state == JobState.RUNNING for i in ids) == 2, 90, "both workers to be rendering"
    )
    sent_as = {i: cluster.job(i).message_id for i in ids if cluster.job(i).state == JobState.QUEUED}
    assert sent_as, "no job left queued behind the two renders"

    marks_found_gone = _marks_found_gone(cluster)
    stopped_at = time.monotonic()
    rabbit.restart(keep_data=keep_data)
    back_at = time.monotonic()

    resent_after = None
    if not keep_data:  # the queued jobs' messages are gone with the broker's data: the sweep sends them again
        resent_after = poll(
            lambda: any(cluster.job(i).message_id != m for i, m in sent_as.items()) or _all_done(cluster, ids),
            60,
            "a job the broker lost to be sent again",
            cluster,
        )
    cluster.wait(lambda: _all_done(cluster, ids), 180, "every job to be done")
    resent = sum(cluster.job(i).message_id != m for i, m in sent_as.items())
    print(
        f"\nRabbitMQ {'restarted on its data' if keep_data else 'killed, restarted empty'} "
        f"(down {back_at - stopped_at:.1f} s): "
        + (f"first lost job sent again {resent_after:.1f} s after it was back; " if resent_after is not None else "")
        + f"all {len(ids)} jobs done {time.monotonic() - back_at:.1f} s after; {resent} of {len(sent_as)} queued "
        f"jobs sent again (sweep every {cluster.env['MAM_JOB_SWEEP_SECONDS']} s)"
    )
    jobs = [cluster.job(i) for i in ids]
    assert [j.state for j in jobs] == [JobState.DONE] * 5, cluster.logs_text()
    # the sweep's loss mark: kept by a restart on the broker's data, found gone after one on empty data
    assert (_marks_found_gone(cluster) > marks_found_gone) is not keep_data
    assert [j.attempts for j in jobs] == [1] * 5  # none was run twice, none failed
    assert renditions_per_asset(cluster, ids) == [1] * 5


def _marks_found_gone(cluster: Cluster) -> int:
    """How often the workers' sweeps found the broker's loss mark gone (workers/loss_mark.py logs it)."""
    logs = sorted(cluster.logs.glob("worker-*.log"))
    return sum(log.read_text(errors="replace").count("the broker holds no loss mark") for log in logs)


def _all_done(cluster: Cluster, ids: list[str]) -> bool:
    return all(cluster.job(i).state == JobState.DONE for i in ids)
