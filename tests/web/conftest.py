"""Fixtures of the browser tests: the workspace built (web/dist), a live server on a temporary catalog
serving it (one per test module), and Debian's Chromium driven by Playwright (never a downloaded browser).

- ``web_dist``: builds the workspace (``npm ci`` when needed, then ``vite build``) when anything under
  web/ is newer than the build; the type check is the build script's (``make``), not the tests'.
- ``server``: ``create_app`` as ``mam serve`` makes it, jobs run in its process, rates unlimited; its
  ``user(role)`` makes a person of that role and ``key(role)`` an API key.
- ``page``: a fresh browser context on the server, signed in as an editor (``signed_in(role=...)`` for
  another role); polling every 500 ms. ``shot(page, name)`` keeps a screenshot under the test's tmp_path.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import make_settings
from live_server import live_server
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from api.app import create_app
from mam.catalog import ensure_tenant
from mam.identity import create_key
from mam.identity.users import create_user
from mam.services import Services

WEB = Path(__file__).resolve().parents[2] / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POLL_MS = 500
TIMEOUT_MS = 30_000  # a loaded machine: waits are long, passing tests do not wait for them

expect.set_options(timeout=TIMEOUT_MS)


def _newest(root: Path) -> float:
    """The latest change of a source file under web/ (not node_modules/ nor dist/)."""
    newest = 0.0
    for folder, folders, files in os.walk(root):
        folders[:] = [f for f in folders if f not in ("node_modules", "dist") and not f.startswith(".")]
        for name in files:
            if not name.startswith("."):
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
    return newest


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """web/dist, built now if anything under web/ changed since (one build at a time: a file lock)."""
    dist = WEB / "dist"
    with open(WEB / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = WEB / "node_modules" / ".package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime:
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=WEB, check=True, timeout=600)
        index = dist / "index.html"
        if not index.exists() or index.stat().st_mtime < _newest(WEB):
            done = subprocess.run(["npx", "vite", "build"], cwd=WEB, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, done.stdout + done.stderr
    return dist


@dataclass
class Server:
    url: str
    services: Services
    passwords: dict[str, str] = field(default_factory=dict)

    def user(self, role: str = "editor", tenant: str = "default", name: str | None = None) -> tuple[str, str]:
        """A new person of ``role`` in ``tenant`` (made once per name): (name, password)."""
        name = name or f"{role}-{tenant}"
        if name not in self.passwords:
            password = "pw-" + secrets.token_urlsafe(12)
            with self.services.session() as session:
                ensure_tenant(session, tenant)
                create_user(session, self.services.roles, name, tenant, role, password)
            self.passwords[name] = password
        return name, self.passwords[name]

    def key(self, role: str = "admin", tenant: str = "default") -> dict[str, str]:
        """``Authorization`` of a new API key of ``role``."""
        with self.services.session() as session:
            ensure_tenant(session, tenant)
            made = create_key(session, self.services.roles, tenant, role, f"browser tests ({role})")
        return {"Authorization": f"Bearer {made.key}"}


@pytest.fixture(scope="module")
def server(web_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("web-home")
    settings = make_settings(
        home,
        MAM_WEB_DIST=str(web_dist),
        MAM_RATE_PER_KEY="0",
        MAM_RATE_PER_ADDRESS="0",
        MAM_DEFAULT_PROFILES="poster",  # uploads render little unless a test asks for more
    )
    app = create_app(settings, run_workers=True)
    with live_server(app) as url:
        yield Server(url, app.state.services)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Per module, not per session: the sync API runs an event loop in this thread while it is open,
    # and the suite's other files in this worker process (asyncio.run) must find none running.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make system does)")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


def new_context(browser: Browser, server: Server, **options: Any) -> BrowserContext:
    """A browser context on the server (Chinese, polling fast), nobody signed in yet."""
    context = browser.new_context(
        base_url=server.url, locale="zh-CN", viewport={"width": 1280, "height": 860}, **options
    )
    context.add_init_script(f"localStorage.setItem('mam.pollMs', '{POLL_MS}')")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def sign_in(context: BrowserContext, server: Server, role: str = "editor", tenant: str = "default") -> str:
    """Sign a person of ``role`` in through the API (the cookie lands in the context); their name."""
    name, password = server.user(role, tenant)
    answer = context.request.post("/api/v1/session", data={"name": name, "password": password})
    assert answer.ok, answer.text()
    return name


@pytest.fixture
def signed_in(browser: Browser, server: Server) -> Iterator[Callable[..., Page]]:
    """``signed_in(role="editor")``: a page of a new context with a person of that role signed in."""
    contexts: list[BrowserContext] = []

    def make(role: str = "editor", tenant: str = "default") -> Page:
        context = new_context(browser, server)
        contexts.append(context)
        sign_in(context, server, role, tenant)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(signed_in: Callable[..., Page]) -> Page:
    """A page signed in as an editor of the default tenant."""
    return signed_in()


@pytest.fixture
def shot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """``shot(page, "name")``: a full-page screenshot kept as tmp_path/screenshots/NN-name.png."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    taken: list[Path] = []

    def take(page: Page, name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    return take
