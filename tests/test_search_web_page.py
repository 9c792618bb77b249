"""The web page (api/static/app.js) searches through /api/v1/search, and lists newest first without words.

The page's own script runs in Node with a stand-in for the browser's document and fetch."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "api" / "static" / "app.js"

HARNESS = r"""
const vm = require("vm");
const fs = require("fs");
const nodes = new Map();
const node = (tag) => ({
  tag, children: [], value: "", textContent: "",
  append(...c) { this.children.push(...c); },
  replaceChildren(...c) { this.children = c; },
  querySelectorAll() { return []; },
});
const byId = (id) => { if (!nodes.has(id)) nodes.set(id, node("#" + id)); return nodes.get(id); };
const asset = (title) => ({ id: title, title, status: "ready", media_kind: "video", duration: 1, renditions: [] });
const asked = [];
async function fetch(url) {
  asked.push(url);
  let body = [];
  if (url.startsWith("/api/v1/search?")) {
    body = { total: 1, total_is_estimate: false, items: [{ asset: asset("城区供水管网改造") }] };
  } else if (url.startsWith("/api/v1/assets?")) {
    body = { total: 2, items: [asset("体育快讯"), asset("城区供水管网改造")] };
  }
  return { ok: true, json: async () => body };
}
const page = {
  document: { getElementById: byId, createElement: node }, fetch, setTimeout, clearTimeout, Option: function () {},
};
vm.runInNewContext(fs.readFileSync(process.argv[2], "utf8"), page);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const shown = () => ({
  count: byId("count").textContent,
  titles: byId("assets").children.map((li) => li.children[0].textContent),
});
(async () => {
  await settle();
  const first = { asked: asked.splice(0), ...shown() };
  byId("q").value = " 民生 ";
  byId("search").onsubmit({ preventDefault() {} });
  await settle();
  console.log(JSON.stringify({ first, searched: { asked: asked.splice(0), ...shown() } }));
})();
"""


def test_the_page_lists_newest_first_and_searches_words_through_the_search_endpoint(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the page's script cannot be run")
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([node, str(harness), str(APP)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["first"]["asked"] == ["/api/v1/profiles", "/api/v1/assets?limit=100"]
    assert seen["first"]["titles"] == ["体育快讯", "城区供水管网改造"] and seen["first"]["count"] == "(2)"
    assert seen["searched"]["asked"] == ["/api/v1/search?limit=100&facets=false&q=%E6%B0%91%E7%94%9F"]
    assert seen["searched"]["titles"] == ["城区供水管网改造"] and seen["searched"]["count"] == "(1)"
