"""The audit trail (安全审计): append-only, hash-chained, recorded with the action it records, read by a
tenant's administrators, checked by ``mam audit verify``; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Media
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from mam.audit import Actor, AuditAction, entry_hash, record, verify
from mam.catalog import AssetChanges, ensure_tenant, update_asset
from mam.errors import MetadataError
from mam.identity import create_key
from mam.models import AuditEntry
from mam.services import Services
from mam.tus import encode_metadata

MAM = Path(sys.executable).parent / "mam"
ADMIN = Actor("province", "key", "k1", "key:province admin", "10.1.2.3")
LOCAL = Actor.local("default")


def _fill(services: Services, count: int, actor: Actor = ADMIN) -> None:
    with services.session() as session:
        for n in range(count):
            record(session, actor, AuditAction.ASSET_UPLOAD, target=f"asset-{n}", details={"n": n, "名": "春耕"})
        session.commit()


def _tamper(services: Services, *statements: str, **params: Any) -> None:
    """Run raw SQL on the trail with its append-only triggers dropped (as someone with the database would)."""
    drop = (
        ["DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries"]
        if services.engine.dialect.name == "postgresql"
        else ["DROP TRIGGER IF EXISTS audit_entries_no_update", "DROP TRIGGER IF EXISTS audit_entries_no_delete"]
    )
    with services.engine.begin() as connection:
        for statement in [*drop, *statements]:
            connection.execute(text(statement), params)


def _raw_moment(services: Services, moment: datetime) -> object:
    """A moment as raw SQL stores it where SQLAlchemy would (SQLite: UTC text with microseconds)."""
    if services.engine.dialect.name == "postgresql":
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _entry(services: Services, entry_id: int) -> AuditEntry:
    with services.session() as session:
        found = session.get(AuditEntry, entry_id)
        assert found is not None
        return found


def test_a_trail_as_written_verifies_and_names_its_head(services: Services) -> None:
    _fill(services, 5)
    with services.session() as session:
        report = verify(session)
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert report.ok and report.entries == 5
    assert last is not None and (report.head_id, report.head_hash) == (5, last.hash)
    first = _entry(services, 1)
    assert first.prev_hash == "0" * 64 and _entry(services, 2).prev_hash == first.hash
    assert (
        first.details == {"n": 0, "名": "春耕"} and first.address == "10.1.2.3" and first.actor == "key:province admin"
    )


def test_the_database_refuses_to_update_or_delete_an_entry(services: Services) -> None:
    _fill(services, 2)
    refused = ["UPDATE audit_entries SET target = 'x' WHERE id = 1", "DELETE FROM audit_entries WHERE id = 2"]
    if services.engine.dialect.name == "postgresql":
        refused.append("TRUNCATE audit_entries")
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"), services.engine.begin() as connection:
            connection.execute(text(statement))
    with services.session() as session:
        assert verify(session).entries == 2 and _entry(services, 1).target == "asset-0"


def test_an_edited_entry_is_named(services: Services) -> None:
    _fill(services, 5)
    _tamper(services, """UPDATE audit_entries SET details = '{"n": 99}' WHERE id = 3""")
    with services.session() as session:
        report = verify(session)
    assert report.problem is not None and (report.problem.kind, report.problem.entry_id) == ("edited", 3)
    assert not report.ok and report.head_id is None


def test_an_entry_edited_with_its_hash_recomputed_breaks_the_link_to_the_next(services: Services) -> None:
    _fill(services, 5)
    third = _entry(services, 3)
    fields = {c: getattr(third, c) for c in ("at", "tenant_id", "actor", "actor_kind", "actor_id", "address")}
    forged = entry_hash(
        {**fields, "action": third.action, "target": "another", "details": third.details}, third.prev_hash
    )
    _tamper(services, "UPDATE audit_entries SET target = 'another', hash = :h WHERE id = 3", h=forged)
    with services.session() as session:
        problem = verify(session).problem
    assert problem is not None and (problem.kind, problem.entry_id) == ("broken", 4)


def test_a_removed_entry_is_named(services: Services) -> None:
    _fill(services, 5)
    _tamper(services, "DELETE FROM audit_entries WHERE id = 3")
    with services.session() as session:
        report = verify(session)
    assert report.problem is not None and (report.problem.kind, report.problem.entry_id) == ("removed", 3)
    assert "entry 3 removed" in report.problem.message


def test_an_inserted_entry_is_named_in_the_middle_and_at_the_end(services: Services) -> None:
    _fill(services, 4)
    second = _entry(services, 2)
    fields = {
        "at": second.at,
        "tenant_id": "province",
        "actor": "key:intruder",
        "actor_kind": "key",
        "actor_id": "x",
        "address": None,
        "action": "asset.delete",
        "target": "asset-9",
        "details": {},
    }
    fake_prev = "f" * 64
    insert = (
        "INSERT INTO audit_entries (id, at, tenant_id, actor, actor_kind, actor_id, address, action, target, "
        "details, prev_hash, hash) VALUES (:id, :at, 'province', 'key:intruder', 'key', 'x', NULL, 'asset.delete', "
        "'asset-9', '{}', :prev, :hash)"
    )
    # Renumber entries 3 and 4 to 4 and 5, and put a forged entry 3 between them (its own hash right).
    _tamper(
        services,
        "UPDATE audit_entries SET id = -id WHERE id >= 3",
        "UPDATE audit_entries SET id = 1 - id WHERE id < 0",
        insert,
        id=3,
        at=_raw_moment(services, second.at),
        prev=fake_prev,
        hash=entry_hash(fields, fake_prev),
    )
    with services.session() as session:
        problem = verify(session).problem
    assert problem is not None and (problem.kind, problem.entry_id) == ("inserted", 3)
    assert "entry 4 follows entry 2" in problem.message

    _tamper(services, "DELETE FROM audit_entries WHERE id >= 3")
    _fill(services, 2)  # entries 3 and 4 again, chained to entry 2
    moment = _raw_moment(services, second.at)
    _tamper(services, insert, id=5, at=moment, prev="e" * 64, hash=entry_hash(fields, "e" * 64))
    with services.session() as session:
        problem = verify(session).problem
    assert problem is not None and (problem.kind, problem.entry_id) == ("inserted", 5)


def test_appends_from_many_sessions_at_once_never_fork_the_chain(services: Services) -> None:
    failures: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for n in range(8):
                with services.session() as session:
                    record(session, ADMIN, AuditAction.RENDITION_DOWNLOAD, target=f"w{worker}-{n}")
                    session.commit()
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with services.session() as session:
        report = verify(session)
    assert report.ok and report.entries == 32 and report.head_id == 32


def test_an_entry_commits_with_its_action_or_not_at_all(services: Services, media: Media) -> None:
    from mam.ingest import ingest_file

    asset = ingest_file(services, media.wav, profiles=[], actor=LOCAL).asset
    with services.session() as session:
        record(session, LOCAL, AuditAction.EXPORT_REQUEST, target=asset.id)
        session.rollback()
        with pytest.raises(MetadataError):
            update_asset(session, "default", asset.id, AssetChanges(descriptive={"nope": 1}), actor=LOCAL)
        session.rollback()
        changes = AssetChanges(title="新标题", descriptive={"place": "县城"})
        update_asset(session, "default", asset.id, changes, actor=LOCAL)
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["asset.upload", "asset.update"]
    assert entries[0].target == asset.id and entries[0].details["sha256"] == asset.sha256
    assert (entries[0].actor, entries[0].actor_kind, entries[0].tenant_id) == ("local:cli", "local", "default")
    assert entries[1].details == {
        "before": {"title": "radio", "place": ""},
        "after": {"title": "新标题", "place": "县城"},
    }
    with pytest.raises(ValueError), services.session() as session:
        record(session, LOCAL, "asset.teleport")


# --- through the API: each wired action leaves who, tenant, address, what --------------------------------


def _key(services: Services, tenant: str, role: str) -> tuple[dict[str, str], str]:
    with services.session() as session:
        ensure_tenant(session, tenant)
        made = create_key(session, services.roles, tenant, role, f"{tenant} {role}")
    return {"Authorization": f"Bearer {made.key}"}, made.row.id


def _done(client: TestClient, job_id: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["state"]
        if state in ("done", "failed", "cancelled"):
            assert state == "done"
            return
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end in time")


@pytest.fixture
def app_client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services, run_workers=True)) as client:
        yield client


def test_every_wired_action_is_recorded_and_an_admin_reads_only_its_own_tenant(
    services: Services, app_client: TestClient, media: Media
) -> None:
    client = app_client
    admin, admin_key = _key(services, "province", "admin")
    editor, _ = _key(services, "province", "editor")  # may not read the trail
    county, county_key = _key(services, "county", "admin")
    client.headers.update(admin)  # the province's administrator acts, unless a request says otherwise
    with media.silent.open("rb") as handle:
        made = client.post("/api/v1/assets", files={"file": ("news.mp4", handle)}, data={"profiles": "proxy"})
    assert made.status_code == 201, made.text
    asset_id = made.json()["id"]
    url = f"/api/v1/assets/{asset_id}"
    _done(client, made.json()["jobs"][0]["id"], admin)
    assert client.patch(url, json={"title": "春耕", "programme": "新闻"}).is_success
    assert client.get(f"{url}/renditions/proxy").status_code == 200
    assert client.get(f"{url}/renditions/proxy", headers={"Range": "bytes=100-"}).status_code == 206  # not again
    assert client.post(f"{url}/renditions", json={"profiles": ["proxy"]}).status_code == 200
    export = client.post(f"{url}/exports", json={"profile": "proxy", "start": 0.5, "end": 1.5})
    assert export.status_code == 202, export.text
    _done(client, export.json()["id"], admin)
    assert client.get(f"/api/v1/jobs/{export.json()['id']}/output").status_code == 200
    assert client.post(f"{url}/shares", json={"tenants": ["county"]}).is_success
    assert client.get(f"{url}/renditions/proxy", headers=county).status_code == 200
    assert client.delete(f"{url}/shares/county").status_code == 204
    data = media.wav.read_bytes()
    tus = {"Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "Upload-Length": str(len(data))}
    tus["Upload-Metadata"] = encode_metadata({"filename": "radio.wav", "profiles": "radio"})
    uploaded = client.post("/api/v1/uploads", content=data, headers=tus)
    assert uploaded.status_code == 201 and uploaded.headers["Mam-Asset-Id"], uploaded.text
    assert client.delete(url).status_code == 200

    page = client.get("/api/v1/audit", params={"limit": 100}).json()
    entries = list(reversed(page["items"]))  # oldest first
    assert [e["action"] for e in entries] == [
        "key.create",  # the test's keys, by the local administrator
        "key.create",
        "asset.upload",
        "asset.update",
        "rendition.download",
        "renditions.request",
        "export.request",
        "export.download",
        "share.create",
        "share.revoke",
        "asset.upload",
        "asset.delete",
    ]
    assert [e["id"] for e in page["items"]] == sorted((e["id"] for e in entries), reverse=True) and page["total"] == 12
    assert [(e["actor"], e["address"]) for e in entries[:2]] == [("local:cli", None)] * 2
    entries = entries[2:]
    for entry in entries:  # who (the admin's key), its tenant, the client's address
        who = (entry["tenant_id"], entry["actor_kind"], entry["actor_id"], entry["address"])
        assert who == ("province", "key", admin_key, "testclient") and entry["actor"].startswith("key:")
    assert {e["target"] for e in entries if e["details"].get("filename") != "radio.wav"} == {asset_id}
    update = entries[1]["details"]
    assert update == {"before": {"title": "news", "programme": ""}, "after": {"title": "春耕", "programme": "新闻"}}
    assert entries[6]["details"] == {"tenants": ["county"]} and entries[7]["details"] == {"tenant": "county"}
    assert entries[8]["details"]["filename"] == "radio.wav" and entries[8]["details"]["duplicate"] is False

    seen_by_county = client.get("/api/v1/audit", headers=county).json()
    assert [(e["action"], e["target"], e["tenant_id"]) for e in seen_by_county["items"]] == [
        ("rendition.download", asset_id, "county"),
        ("key.create", county_key, "county"),
    ]
    assert seen_by_county["items"][0]["actor_id"] == county_key
    assert client.get("/api/v1/audit", headers=editor).status_code == 403
    only = client.get("/api/v1/audit", params={"action": "asset.update", "target": asset_id}).json()
    assert [e["action"] for e in only["items"]] == ["asset.update"] and only["total"] == 1
    second = client.get("/api/v1/audit", params={"limit": 2, "offset": 1}).json()
    assert [e["id"] for e in second["items"]] == [e["id"] for e in page["items"][1:3]]
    later = client.get("/api/v1/audit", params={"since": entries[-1]["at"]}).json()  # since is inclusive
    assert [e["action"] for e in later["items"]] == ["asset.delete"]
    with services.session() as session:
        assert verify(session).ok


def test_sign_ins_keys_users_and_tenants_are_recorded(services: Services, app_client: TestClient) -> None:
    from mam.identity import create_key, create_tenant, create_user, disable_user, revoke_key

    with services.session() as session:
        create_tenant(session, "county-b", "乙县", parent="default")
        made = create_key(session, services.roles, "county-b", "playout", "playout server")
        revoke_key(session, made.row.id, actor=ADMIN)
        user = create_user(session, services.roles, "wang", "county-b", "editor", "a long enough passphrase 1")
    good = {"name": "wang", "password": "a long enough passphrase 1"}
    assert app_client.post("/api/v1/session", json=good).status_code == 200
    assert app_client.post("/api/v1/session", json={**good, "password": "wrong"}).status_code == 401
    assert app_client.post("/api/v1/session", json={**good, "name": "nobody"}).status_code == 401
    with services.session() as session:
        disable_user(session, "wang")
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert verify(session).ok
    seen = [(e.action, e.tenant_id, e.actor, e.target, e.address) for e in entries]
    assert seen == [
        # the new county's trail begins with its creation; its parent's records it too
        ("tenant.create", "county-b", "local:cli", "county-b", None),
        ("tenant.create", "default", "local:cli", "county-b", None),
        ("key.create", "county-b", "local:cli", made.row.id, None),
        # the province acting in a county: in the county's trail, and in the province's own
        ("key.revoke", "county-b", ADMIN.label, made.row.id, ADMIN.address),
        ("key.revoke", "province", ADMIN.label, made.row.id, ADMIN.address),
        ("user.create", "county-b", "local:cli", user.id, None),
        ("session.sign_in", "county-b", "user:wang", user.id, "testclient"),
        ("session.sign_in_failed", "county-b", "anonymous:wang", user.id, "testclient"),
        ("session.sign_in_failed", "", "anonymous:nobody", "", "testclient"),
        ("user.disable", "county-b", "local:cli", user.id, None),
    ]
    assert entries[2].details["prefix"] == made.row.prefix and made.key not in json.dumps(entries[2].details)
    assert entries[3].hash != entries[4].hash and entries[3].details == entries[4].details
    assert [e.details.get("reason") for e in entries[7:9]] == ["wrong password", "no such user"]
    assert all("passphrase" not in json.dumps(e.details) for e in entries)


# --- the CLI --------------------------------------------------------------------------------------------


def _mam(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env |= {"MAM_HOME": str(services.settings.home), "MAM_DATABASE_URL": services.settings.database_url}
    return subprocess.run([str(MAM), *args], env=env | {"COLUMNS": "200"}, capture_output=True, text=True, timeout=120)


def test_mam_ingest_render_export_and_delete_are_recorded_as_the_local_administrator(
    services: Services, media: Media
) -> None:
    ingested = _mam(services, "ingest", str(media.silent), "--profile", "proxy", "--json")
    assert ingested.returncode == 0, ingested.stderr
    asset_id = json.loads(ingested.stdout)[0]["asset"]["id"]
    asked = (["render", asset_id, "-p", "poster"], ["export", asset_id, "-p", "proxy"], ["delete", asset_id, "-y"])
    for command in asked:
        done = _mam(services, *command)
        assert done.returncode == 0, done.stderr
    with services.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor, e.tenant_id, e.target) for e in entries] == [
        ("asset.upload", "local:cli", "default", asset_id),
        ("renditions.request", "local:cli", "default", asset_id),
        ("export.request", "local:cli", "default", asset_id),
        ("asset.delete", "local:cli", "default", asset_id),
    ]
    assert entries[0].details["profiles"] == ["proxy"] and entries[1].details["queued"] == ["poster"]
    assert entries[3].details["title"] == "silent"


def test_a_watch_folder_records_its_uploads_and_shares_as_itself(tmp_path: Path, services: Services) -> None:
    from watch_support import clip, watchers

    from mam.watch import WatchFolder

    with services.session() as session:
        ensure_tenant(session, "county")
    drop = tmp_path / "drop"
    drop.mkdir()
    folder = WatchFolder(path=drop, quiet_seconds=0.2, profiles=(), share_with=("county",))
    with watchers(services) as start:
        _, recorder = start(folder)
        clip(drop / "feed.wav", 1)
        assert [h.outcome for h in recorder.wait_for(1)] == ["ingested"]
    with services.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor, e.tenant_id) for e in entries] == [
        ("asset.upload", f"local:watch:{drop}", "default"),
        ("share.create", f"local:watch:{drop}", "default"),
    ]
    assert entries[0].details["filename"] == "feed.wav" and entries[1].details == {"tenants": ["county"]}


def test_mam_audit_lists_as_json_and_verify_names_the_first_bad_entry(services: Services) -> None:
    _fill(services, 3)
    _fill(services, 1, Actor("county", "user", "u1", "user:wang", "10.9.9.9"))
    listed = _mam(services, "audit", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [e["id"] for e in json.loads(listed.stdout)["items"]] == [4, 3, 2, 1]
    county = json.loads(_mam(services, "audit", "--tenant", "county", "--json").stdout)
    assert [(e["actor"], e["address"]) for e in county["items"]] == [("user:wang", "10.9.9.9")] and county["total"] == 1
    intact = _mam(services, "audit", "verify")
    assert intact.returncode == 0 and "intact: 4 entries" in intact.stdout and _entry(services, 4).hash in intact.stdout
    _tamper(services, "UPDATE audit_entries SET actor = 'key:someone else' WHERE id = 2")
    broken = _mam(services, "audit", "verify")
    assert broken.returncode == 1 and "entry 2" in broken.stderr and "edited" in broken.stderr
    as_json = _mam(services, "audit", "verify", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["problem"]["entry_id"] == 2
