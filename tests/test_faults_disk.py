"""The work disk fills up: a real `mam worker` whose scratch folder (``$MAM_HOME/work``) is a small
tmpfs the test fills. The job fails with a reason a person understands, nothing is registered, and
the same worker goes on with the next job once there is room again."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_support import Cluster
from fault_support import cluster_on, renditions_per_asset, stop_clusters

from mam.ingest import ingest_file
from mam.models import Asset, JobState
from transcode import generate


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path/home/work`` on a 4 MiB tmpfs (mounting needs root: as root in the test machine and CI)."""
    work = tmp_path / "home" / "work"
    work.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(work)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a small tmpfs as the work disk: {mounted.stderr.strip()} (needs root)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield work
    finally:
        subprocess.run(["umount", "-l", str(work)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """A ballast file taking all but about ``leave`` bytes of ``disk``."""
    stats = os.statvfs(disk)
    ballast = disk / "ballast"
    with ballast.open("wb") as handle, contextlib.suppress(OSError):
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))
    return ballast


@pytest.fixture
def clusters() -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    stop_clusters(made)


def test_a_full_work_disk_fails_the_job_saying_so_registers_nothing_and_the_worker_takes_the_next_job(
    small_disk: Path, redis_url: str, postgres_url: str, clusters: list[Cluster], tmp_path: Path
) -> None:
    cluster = cluster_on(tmp_path, redis_url, postgres_url, MAM_JOB_MAX_ATTEMPTS="1")
    clusters.append(cluster)
    worker = cluster.start_worker()
    ballast = _fill(small_disk, 32 * 1024)
    clip = generate.silent_clip(tmp_path / "clip.mp4", seconds=4.0, width=320, height=240)
    full = ingest_file(cluster.services, clip, profiles=["proxy"]).job
    assert full is not None

    failed = cluster.wait_job(full.id, lambda j: j.state == JobState.FAILED, 120, "the job to fail")
    print(f"\nreason: {failed.error}")
    assert failed.error is not None and "work disk is full" in failed.error, failed.error
    assert failed.error.startswith(
        "gave up after 1 attempt"
    )  # a passing fault (a disk may be cleared), not the media's
    assert renditions_per_asset(cluster, [full.id]) == []
    with cluster.services.session() as session:
        assert session.get(Asset, failed.asset_id).status == "failed"  # type: ignore[union-attr]
    assert sorted(p.name for p in small_disk.iterdir()) == ["ballast"]  # the scratch folder cleared

    ballast.unlink()  # room again
    short = generate.silent_clip(tmp_path / "short.mp4", seconds=1.0, width=160, height=90)
    after = ingest_file(cluster.services, short, profiles=["proxy"]).job
    assert after is not None
    done = cluster.wait_job(after.id, lambda j: j.state in (JobState.DONE, JobState.FAILED), 120, "the next job")
    assert done.state == JobState.DONE, f"{done.error}\n{cluster.logs_text()}"
    assert done.worker == failed.worker and worker.poll() is None
    assert renditions_per_asset(cluster, [after.id]) == [1]
