"""Lanes, kills and graceful stops with real `mam worker` processes, on Redis and on RabbitMQ, with a
PostgreSQL catalog. Each test has its own queue names (``MAM_BROKER_NAMESPACE``), deleted after it.

Leases and sweeps are shortened (3 s, 1 s) so each test takes seconds; the times measured are
printed (run with ``-s``); the figures are the benchmark's (benchmarks/workers.py). Waits are bounded
generously: on a shared 2-core machine one tiny render has taken 90 s."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster, cluster_on, stop_clusters
from conftest import need_server

from mam.models import JobState
from transcode import generate

RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lanes")
    made = {"long": generate.silent_clip(root / "long.mp4", seconds=12.0, width=320, height=240)}
    for n in range(4):
        made[f"short{n}"] = generate.silent_clip(root / f"short{n}.mp4", seconds=1 + n / 5, width=160, height=90)
    return made


def _broker_url(request: pytest.FixtureRequest, broker: str) -> str:
    if broker == "rabbitmq":
        need_server("RabbitMQ", "127.0.0.1", 5672)
        return RABBITMQ
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def workers_factory(
    tmp_path: Path, postgres_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Cluster]]:
    """``make(broker, **settings)``: workers on ``redis`` or ``rabbitmq``, queues of their own."""
    made: list[Cluster] = []

    def make(broker: str, **settings: str) -> Cluster:
        made.append(cluster_on(tmp_path, _broker_url(request, broker), postgres_url, **settings))
        return made[-1]

    yield make
    stop_clusters(made, kill=True)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_an_urgent_only_worker_takes_only_urgent_work_and_another_takes_normal_before_older_bulk(
    workers_factory: Callable[..., Cluster], clips: dict[str, Path], broker: str
) -> None:
    cluster = workers_factory(broker)
    urgent_only = cluster.start_worker("--lanes", "urgent")
    bulk = [cluster.ingest(clips[f"short{n}"], "bulk") for n in range(3)]
    normal = cluster.ingest(clips["short3"], "normal")
    time.sleep(2.5)  # two idle looks of the urgent-only worker: it leaves bulk and normal work alone
    assert all(cluster.job(j).state == JobState.QUEUED for j in [*bulk, normal]), cluster.logs_text()
    urgent = cluster.ingest(clips["short0"], "urgent", "proxy")  # the same content: a job on the same asset
    done = cluster.wait_job(urgent, lambda j: j.state == JobState.DONE, 600, "the urgent job")
    assert cluster.worker_of(done) is urgent_only and done.attempts == 1
    assert all(cluster.job(j).state == JobState.QUEUED for j in [*bulk, normal])

    anything = cluster.start_worker()  # every lane: normal first, then bulk oldest first, whatever it is offered
    ids = [*bulk, normal]
    cluster.wait(lambda: all(cluster.job(i).state == JobState.DONE for i in ids), 900, "every job")
    jobs = {i: cluster.job(i) for i in ids}
    assert all(cluster.worker_of(j) is anything and j.attempts == 1 for j in jobs.values())
    order = sorted(ids, key=lambda i: jobs[i].started_at)  # type: ignore[arg-type,return-value]
    assert order == [normal, *bulk], cluster.logs_text()
    for n in range(4):
        asset = jobs[normal if n == 3 else bulk[n]].asset_id
        assert sorted(cluster.renditions(asset)) == (["poster", "proxy"] if n == 0 else ["poster"])


def test_on_rabbitmq_a_worker_killed_mid_render_leaves_its_job_to_the_other_which_makes_it_once(
    workers_factory: Callable[..., Cluster], clips: dict[str, Path]
) -> None:
    """The same on Redis: tests/test_job_policy.py."""
    cluster = workers_factory("rabbitmq")
    cluster.start_worker()
    cluster.start_worker()
    job_id = cluster.ingest(clips["long"], "normal", "proxy")
    running = cluster.wait_job(job_id, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 600, "the render")
    victim = cluster.worker_of(running)
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    victim.wait()
    taken_up = cluster.wait_job(job_id, lambda j: j.attempts == 2, 300, "the other worker to take the job up")
    print(f"\nRabbitMQ: SIGKILL -> running again on the other worker: {time.monotonic() - killed_at:.1f} s")
    assert cluster.worker_of(taken_up) is not victim
    done = cluster.wait_job(job_id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 600, "the job")
    assert done.state == JobState.DONE and done.attempts == 2, done.error
    assert cluster.renditions(running.asset_id) == ["proxy"]


def test_sigterm_finishes_the_running_job_within_the_grace_or_gives_it_back_and_exits_0(
    workers_factory: Callable[..., Cluster], clips: dict[str, Path]
) -> None:
    """On Redis (the stop is the worker's own, the same on either broker)."""
    cluster = workers_factory("redis")
    patient = cluster.start_worker("--grace", "120")
    short = cluster.ingest(clips["short1"], "normal", "proxy")
    cluster.wait_job(short, lambda j: j.state == JobState.RUNNING, 600, "the short render")
    patient.send_signal(signal.SIGTERM)
    assert patient.wait(timeout=600) == 0, cluster.logs_text()
    finished = cluster.job(short)
    assert finished.state == JobState.DONE and finished.attempts == 1  # finished within the grace

    hasty = cluster.start_worker("--grace", "0")  # give the running job back at once
    longer = generate.silent_clip(clips["long"].parent / "longer.mp4", seconds=40.0, width=320, height=240)
    long = cluster.ingest(longer, "normal", "proxy")
    cluster.wait_job(long, lambda j: j.state == JobState.RUNNING and j.progress > 0.05, 600, "the long render")
    hasty.send_signal(signal.SIGTERM)
    stopping_at = time.monotonic()
    assert hasty.wait(timeout=300) == 0, cluster.logs_text()
    print(f"\nSIGTERM with no grace -> exited 0 after {time.monotonic() - stopping_at:.1f} s")
    given_back = cluster.job(long)
    assert given_back.state == JobState.QUEUED and given_back.attempts == 0 and given_back.worker is None
    assert cluster.renditions(given_back.asset_id) == []

    cluster.start_worker()  # nothing lost: the next worker takes it up
    done = cluster.wait_job(long, lambda j: j.state in (JobState.DONE, JobState.FAILED), 600, "the job")
    assert done.state == JobState.DONE and done.attempts == 1, done.error
    assert cluster.renditions(done.asset_id) == ["proxy"]
