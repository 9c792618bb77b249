"""Catalog schema and job bookkeeping on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text, update

from mam.catalog import register_rendition, rendered_profiles
from mam.db import make_engine
from mam.jobs import JobPolicy, claim_job, create_asset_with_job, end_failed_attempt, jobs_to_send, take_send
from mam.models import Asset, Base, Job, JobState, Rendition, utcnow
from mam.services import Services

POLICY = JobPolicy()


def _asset(services: Services, sha: str = "a" * 64) -> Asset:
    return Asset(
        tenant_id=services.settings.default_tenant,
        title="t",
        media_kind="video",
        original_filename="f.mp4",
        original_key="k",
        size=1,
        sha256=sha,
        xxh3="0" * 16,
    )


def _not_search_machinery(name: str | None, kind: str, _parent: object) -> bool:
    return not (kind == "table" and str(name).startswith("search_fts")) and name != "ix_search_entries_tokens"


def test_migrations_build_exactly_the_schema_the_models_describe(services: Services) -> None:
    with services.engine.connect() as conn:
        # Search machinery made by migration 0002 that models cannot describe on both engines: the
        # SQLite FTS5 virtual table search_fts (and its shadow tables), and PostgreSQL's GIN index.
        # An index made on one engine only (``ddl_if``) is described only there.
        def made_here(obj: object, _name: str | None, _kind: str, _reflected: bool, _other: object) -> bool:
            only = getattr(obj, "_ddl_if", None)
            return only is None or only.dialect in (None, conn.dialect.name)

        opts = {"include_name": _not_search_machinery, "include_object": made_here}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_a_job_is_claimed_once_however_often_its_message_arrives(services: Services) -> None:
    with services.session() as session:
        job = create_asset_with_job(session, _asset(services), ["proxy"])
        assert job is not None
        first = claim_job(session, job.id, POLICY)
        second = claim_job(session, job.id, POLICY)
    assert first is not None and first.state == JobState.RUNNING and first.attempts == 1
    assert second is None


def test_a_running_job_whose_lease_ran_out_can_be_claimed_again(services: Services) -> None:
    with services.session() as session:
        job = create_asset_with_job(session, _asset(services), ["proxy"])
        assert job is not None and claim_job(session, job.id, POLICY) is not None
        assert claim_job(session, job.id, POLICY) is None  # its lease runs
        session.execute(update(Job).values(lease_until=utcnow() - timedelta(seconds=1)))  # its worker died
        session.commit()
        again = claim_job(session, job.id, POLICY, worker="another:2")
        assert again is not None and again.attempts == 2 and again.worker == "another:2"


def test_a_job_in_its_backoff_is_not_taken_up_before_its_retry_time(services: Services) -> None:
    policy = JobPolicy(backoff=timedelta(minutes=5))
    with services.session() as session:
        job = create_asset_with_job(session, _asset(services), ["proxy"])
        assert job is not None and claim_job(session, job.id, policy) is not None
        delay = end_failed_attempt(session, job.id, 1, "ConnectionError: the store did not answer", policy)
        assert delay == timedelta(minutes=5)
        assert claim_job(session, job.id, policy) is None  # waiting out its backoff
        queued = session.get(Job, job.id, populate_existing=True)
        assert queued is not None and queued.state == JobState.QUEUED and queued.error
        session.execute(update(Job).values(retry_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        again = claim_job(session, job.id, policy)
        assert again is not None and again.attempts == 2 and again.retry_at is None


def test_the_last_attempt_fails_the_job_with_the_reason_and_the_backoff_doubles_before(services: Services) -> None:
    policy = JobPolicy(max_attempts=2, backoff=timedelta(seconds=5))
    assert [policy.backoff_after(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (5, 10, 20)]
    with services.session() as session:
        job = create_asset_with_job(session, _asset(services), ["proxy"])
        assert job is not None
        session.execute(update(Job).values(attempts=1))
        session.commit()
        assert claim_job(session, job.id, policy) is not None
        assert end_failed_attempt(session, job.id, 2, "StorageError: cannot store a file: disk full", policy) is None
        failed = session.get(Job, job.id, populate_existing=True)
        assert failed is not None and failed.state == JobState.FAILED
        assert failed.error == "gave up after 2 attempts; last error: StorageError: cannot store a file: disk full"
        assert failed.asset.status == "failed" and failed.asset.error == failed.error


def test_of_two_workers_sweeping_at_once_only_one_sends_a_lost_job_again(services: Services) -> None:
    policy = JobPolicy(sweep=timedelta(seconds=1))
    with services.session() as session:
        job = create_asset_with_job(session, _asset(services), ["proxy"])
        assert job is not None
        session.execute(update(Job).values(sent_at=utcnow() - timedelta(minutes=1), message_id="lost"))
        session.commit()
    with services.session() as one, services.session() as two:
        seen_by_one, seen_by_two = jobs_to_send(one, policy), jobs_to_send(two, policy)
        assert [j.id for j in seen_by_one] == [j.id for j in seen_by_two] == [job.id]
        assert take_send(one, seen_by_one[0]) is True
        assert take_send(two, seen_by_two[0]) is False
        assert jobs_to_send(two, policy) == []  # just sent: not asked after again until a sweep has passed


def test_registering_the_same_rendition_twice_keeps_one_row(services: Services) -> None:
    with services.session() as session:
        asset = _asset(services)
        create_asset_with_job(session, asset, [])
        for _ in range(2):
            register_rendition(
                session,
                Rendition(
                    asset_id=asset.id,
                    profile="proxy",
                    source_sha256=asset.sha256,
                    storage_key="x",
                    content_type="video/mp4",
                    size=3,
                ),
            )
        assert rendered_profiles(session, asset) == {"proxy"}
        assert session.query(Rendition).count() == 1


def test_an_asset_without_profiles_to_render_is_ready_at_once(services: Services) -> None:
    with services.session() as session:
        asset = _asset(services)
        assert create_asset_with_job(session, asset, []) is None
        assert asset.status == "ready"
        assert session.query(Job).count() == 0


def _migrate_in_child(url: str) -> None:
    from mam.db import make_engine, migrate

    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


def test_processes_starting_together_on_a_fresh_catalog_make_the_schema_once(tmp_path: Path, catalog_url: str) -> None:
    # The API, a worker and a CLI command often start at the same moment on a new catalog.
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_migrate_in_child, args=(catalog_url,)) for _ in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    engine = make_engine(catalog_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert len(versions) == 1
