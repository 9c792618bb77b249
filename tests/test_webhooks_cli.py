"""`mam webhooks`: the local administrator registers an endpoint (the secret printed once), lists it
without the secret, reads the delivery log and asks for a redelivery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import catalog_asset, make_settings
from typer.testing import CliRunner

from cli.main import app
from mam.jobs import create_asset_with_job
from mam.services import open_services


def test_a_webhook_is_registered_listed_without_its_secret_and_its_delivery_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAM_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    made = runner.invoke(app, ["webhooks", "create", "http://127.0.0.1:9/h", "--type", "asset.created", "--json"])
    assert made.exit_code == 0, made.output
    hook = json.loads(made.output)
    assert hook["secret"].startswith("whsec_") and hook["event_types"] == ["asset.created"]

    listed = runner.invoke(app, ["webhooks", "list", "--json"])
    assert json.loads(listed.output)["items"][0]["id"] == hook["id"] and hook["secret"] not in listed.output

    services = open_services(make_settings(tmp_path / "home"))
    with services.session() as session:
        create_asset_with_job(session, catalog_asset("default", 1, "t"), [])
    services.close()
    log = json.loads(runner.invoke(app, ["webhooks", "deliveries", hook["id"], "--json"]).output)
    assert log["total"] == 1 and log["items"][0]["state"] == "pending"
    again = runner.invoke(app, ["webhooks", "redeliver", hook["id"], log["items"][0]["id"]])
    assert again.exit_code == 0, again.output

    refused = runner.invoke(app, ["webhooks", "create", "ftp://example.org/h"])
    assert refused.exit_code == 1 and "http://" in refused.output
    assert runner.invoke(app, ["webhooks", "delete", hook["id"]]).exit_code == 0
    assert json.loads(runner.invoke(app, ["webhooks", "list", "--json"]).output)["items"] == []
