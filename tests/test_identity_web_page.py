"""The web page (api/static/app.js) signs a person in: it shows the sign-in form when the API answers
401, signs in with POST /api/v1/session, sends the session's X-CSRF-Token with every write (asking
GET /api/v1/session for it when the page was opened already signed in), and signs out.

The page's own script runs in Node with a stand-in for the browser's document and fetch."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

APP = Path(__file__).resolve().parent.parent / "api" / "static" / "app.js"

HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const nodes = new Map();
const node = (tag) => ({
  tag, children: [], value: "", textContent: "", hidden: false,
  append(...c) { this.children.push(...c); },
  replaceChildren(...c) { this.children = c; },
  querySelectorAll() { return []; },
});
const byId = (id) => { if (!nodes.has(id)) nodes.set(id, node("#" + id)); return nodes.get(id); };
byId("signin").hidden = true;  // as index.html has them
byId("signout").hidden = true;
const signedInAlready = process.argv[3] === "cookie";
let signedIn = signedInAlready;
const asked = [];
const who = { csrf_token: "tok-123", principal: "user:wang", tenant_id: "default", role: "editor", user: {} };
async function fetch(url, options = {}) {
  const method = options.method || "GET";
  asked.push({ method, url, headers: options.headers || {}, body: options.body || null });
  const answer = (status, body) => ({ ok: status < 400, status, statusText: "", json: async () => body });
  if (url === "/api/v1/profiles") return answer(200, []);
  if (url === "/api/v1/session" && method === "POST") {
    const sent = JSON.parse(options.body);
    if (sent.password !== "right password") return answer(401, { detail: "wrong user name or password" });
    signedIn = true;
    return answer(200, who);
  }
  if (url === "/api/v1/session" && method === "DELETE") { signedIn = false; return answer(204, null); }
  if (!signedIn) return answer(401, { detail: "no credential" });
  if (url === "/api/v1/session") return answer(200, who);
  if (url.startsWith("/api/v1/assets?")) return answer(200, { total: 0, items: [] });
  return answer(200, {});
}
const page = {
  document: { getElementById: byId, createElement: node }, fetch, setTimeout, clearTimeout, Option: function () {},
};
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8"), page);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const submit = async (id) => { await byId(id).onsubmit({ preventDefault() {} }); await settle(); };
(async () => {
  const seen = {};
  await settle();
  seen.opened = { form: !byId("signin").hidden, status: byId("signin-status").textContent, asked: asked.splice(0) };
  if (!signedInAlready) {
    byId("signin-name").value = "wang";
    byId("signin-password").value = "wrong";
    await submit("signin");
    seen.wrong = { form: !byId("signin").hidden, status: byId("signin-status").textContent, asked: asked.splice(0) };
    byId("signin-password").value = "right password";
    await submit("signin");
    seen.signed = {
      form: !byId("signin").hidden, who: byId("whoami").textContent, password: byId("signin-password").value,
      signout: !byId("signout").hidden, asked: asked.splice(0),
    };
  }
  await page.send("POST", "/jobs/j1/cancel", {});
  seen.write = asked.splice(0);
  await byId("signout").onclick();
  await settle();
  seen.out = { form: !byId("signin").hidden, asked: asked.splice(0) };
  console.log(JSON.stringify(seen));
})();
"""


def run_page(tmp_path: Path, mode: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the page's script cannot be run")
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([node, str(harness), str(APP), mode], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    return seen


def test_the_page_asks_to_sign_in_signs_in_and_sends_the_csrf_token_with_writes(tmp_path: Path) -> None:
    html = (APP.parent / "index.html").read_text(encoding="utf-8")
    assert '<form id="signin" class="signin" hidden>' in html and 'type="password"' in html  # as the harness has it
    seen = run_page(tmp_path, "none")
    opened = seen["opened"]
    assert opened["form"] is True and opened["status"]  # 401: the form shows, saying why
    assert [a["url"] for a in opened["asked"]] == ["/api/v1/profiles", "/api/v1/assets?limit=100"]
    assert not any("X-Tenant" in a["headers"] for a in opened["asked"])
    wrong = seen["wrong"]
    assert wrong["form"] is True and wrong["status"] == "wrong user name or password"
    (sign_in,) = wrong["asked"]
    assert (sign_in["method"], sign_in["url"]) == ("POST", "/api/v1/session")
    assert json.loads(sign_in["body"]) == {"name": "wang", "password": "wrong"}
    signed = seen["signed"]
    assert signed["form"] is False and signed["signout"] is True and signed["password"] == ""
    assert "user:wang" in signed["who"] and "editor" in signed["who"]
    assert [a["url"] for a in signed["asked"]] == ["/api/v1/session", "/api/v1/assets?limit=100"]
    (write,) = seen["write"]
    assert write["method"] == "POST" and write["headers"]["X-CSRF-Token"] == "tok-123"
    (out,) = seen["out"]["asked"]
    assert (out["method"], out["url"], out["headers"]["X-CSRF-Token"]) == ("DELETE", "/api/v1/session", "tok-123")
    assert seen["out"]["form"] is True


def test_a_page_opened_signed_in_asks_for_the_csrf_token_before_its_first_write(tmp_path: Path) -> None:
    seen = run_page(tmp_path, "cookie")
    assert seen["opened"]["form"] is False
    assert [a["url"] for a in seen["opened"]["asked"]] == ["/api/v1/profiles", "/api/v1/assets?limit=100"]
    session, write = seen["write"]
    assert (session["method"], session["url"]) == ("GET", "/api/v1/session")
    assert write["url"] == "/api/v1/jobs/j1/cancel" and write["headers"]["X-CSRF-Token"] == "tok-123"
