"""The administrator's identity commands (`mam tenants`, `mam keys`, `mam users`) as scripts use them,
and the one-time administrator `mam serve` prints on an empty catalog."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import make_settings
from live_server import free_port

from mam.errors import AuthenticationError
from mam.identity import authenticate_key
from mam.services import open_services

MAM = Path(sys.executable).parent / "mam"
PASSWORD = "县融媒体中心 2026"


def mam(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAM_")}
    env["MAM_HOME"] = str(home)
    return subprocess.run([str(MAM), *args], env=env, capture_output=True, text=True, input=stdin, timeout=120)


def test_tenants_are_made_under_a_parent_and_listed(tmp_path: Path) -> None:
    assert mam(tmp_path, "tenants", "create", "province").returncode == 0
    made = mam(tmp_path, "tenants", "create", "county-a", "--parent", "province", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["parent_id"] == "province"
    listed = json.loads(mam(tmp_path, "tenants", "list", "--json").stdout)
    assert {(t["id"], t["parent_id"]) for t in listed} == {
        ("default", None),
        ("province", None),
        ("county-a", "province"),
    }
    orphan = mam(tmp_path, "tenants", "create", "county-b", "--parent", "nowhere")
    assert orphan.returncode == 1 and "mam tenants list" in orphan.stderr


def test_a_key_is_printed_once_listed_by_prefix_and_revoked_at_once(tmp_path: Path) -> None:
    made = mam(tmp_path, "keys", "create", "--tenant", "default", "--role", "playout", "--name", "播出", "--json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    key = created["key"]
    assert (
        key.startswith(f"mam_{created['prefix']}_") and created["role"] == "playout" and created["expires_at"] is None
    )
    expiring = json.loads(
        mam(tmp_path, "keys", "create", "--tenant", "default", "--role", "viewer", "--expires", "30", "--json").stdout
    )
    assert expiring["expires_at"] is not None

    listing = mam(tmp_path, "keys", "list", "--tenant", "default", "--json")
    listed = json.loads(listing.stdout)
    assert [(k["id"], k["prefix"]) for k in listed] == [
        (created["id"], created["prefix"]),
        (expiring["id"], expiring["prefix"]),
    ]
    table = mam(tmp_path, "keys", "list")
    assert key not in listing.stdout and key not in table.stdout and created["prefix"] in table.stdout
    assert "active" in table.stdout

    services = open_services(make_settings(tmp_path))
    try:
        with services.session() as session:
            assert authenticate_key(session, services.roles, key).role.name == "playout"
        assert mam(tmp_path, "keys", "revoke", created["id"]).returncode == 0
        with services.session() as session, pytest.raises(AuthenticationError, match="revoked"):
            authenticate_key(session, services.roles, key)
    finally:
        services.close()
    revoked = json.loads(mam(tmp_path, "keys", "list", "--json").stdout)[0]
    assert revoked["revoked_at"] is not None


def test_key_and_user_errors_say_what_to_do(tmp_path: Path) -> None:
    role = mam(tmp_path, "keys", "create", "--tenant", "default", "--role", "boss")
    assert role.returncode == 1 and "choose one of admin" in role.stderr
    missing = mam(tmp_path, "keys", "revoke", "0000")
    assert missing.returncode == 1 and "mam keys list" in missing.stderr
    short = mam(
        tmp_path,
        "users",
        "create",
        "li",
        "--tenant",
        "default",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 1 and "at least 10 characters" in short.stderr and "short\n" not in short.stderr
    helped = mam(tmp_path, "keys", "create", "--help")
    assert "--tenant" in helped.stdout and "--expires" in helped.stdout and "once" in helped.stdout


def test_users_are_created_from_standard_input_listed_and_disabled(tmp_path: Path) -> None:
    made = mam(
        tmp_path,
        "users",
        "create",
        "wang",
        "--tenant",
        "default",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    listed = json.loads(mam(tmp_path, "users", "list", "--tenant", "default", "--json").stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [("wang", "editor", False)]
    assert "password" not in json.dumps(listed)
    assert mam(tmp_path, "users", "disable", "wang").returncode == 0
    assert json.loads(mam(tmp_path, "users", "list", "--json").stdout)[0]["disabled"] is True


def test_the_first_start_of_serve_prints_an_administrator_once_who_can_sign_in(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAM_")}, "MAM_HOME": str(home)}
    log = tmp_path / "serve.out"
    with log.open("wb") as out:
        server = subprocess.Popen([str(MAM), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "mam serve did not start"
                time.sleep(0.2)
            printed = log.read_text()
            found = re.search(r"user:\s+(\S+)\s+password:\s+(\S+)", printed)
            assert found is not None, printed
            name, password = found.groups()
            signed = httpx.post(f"{base}/api/v1/session", json={"name": name, "password": password})
            assert signed.status_code == 200 and signed.json()["role"] == "admin"
            assert signed.json()["tenant_id"] == "default"
        finally:
            server.terminate()
            _, errors = server.communicate(timeout=30)
    assert password not in errors.decode()  # the terminal only: never the server's log
    again = subprocess.Popen(
        [str(MAM), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and again.poll() is None, "mam serve did not start again"
            time.sleep(0.2)
    finally:
        again.terminate()
        printed_again, _ = again.communicate(timeout=30)
    assert b"password" not in printed_again
