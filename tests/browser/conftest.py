"""A real browser against the built site: one build and one server per test session.

The site is built from a copy of the repository's `notes/` plus two hostile
notes (markup in a title, aliases, a link label and a file name). Chromium is
Debian's; without it these tests fail, they never skip.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kb.cli import main as kb_main

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

HOSTILE_NOTE = """---
title: "<script>window.__kbPwned = 'title'</script>Hostile"
aliases: ["<img src=x onerror=\\"window.__kbPwned = 'alias'\\">", "Evil twin"]
tags: [hostile]
---
A note written to break the site: [[ResNet|<script>window.__kbPwned = 'label'</script>label]],
[[<b onmouseover=x>Nowhere|<img src=y onerror="window.__kbPwned = 'missing'">]] and #hostile.
"""
HOSTILE_FILE_NAME = "<svg onload=window.__kbPwned=1>.md"


@dataclass
class Tab:
    """One browser page, with everything it did that a test must see: console errors, hosts, dialogs."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)
    dialogs: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        """Keep a picture of the page as a test artefact (to be looked at, not compared)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.hosts <= {"127.0.0.1"}, f"requests to other hosts: {sorted(self.hosts - {'127.0.0.1'})}"
        assert self.dialogs == [], f"dialogs opened (script ran): {self.dialogs}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: the browser tests need Debian's chromium on PATH "
                    "(apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("site-e2e")
    vault = work / "vault"
    shutil.copytree(REPO / "notes", vault)
    (vault / "Hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    (vault / HOSTILE_FILE_NAME).write_text("Named to break a page title; links to [[Hostile]].\n", encoding="utf-8")
    site = work / "site"
    code = kb_main(["build", str(vault), "--site-dir", str(site), "-q"])
    assert code == 0, f"kb build exited {code}"
    return site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def tab(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    record = Tab(page=None)

    def route(route):
        record.hosts.add(urlparse(route.request.url).hostname or "")
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and record.console_errors.append(message.text))
    page.on("pageerror", lambda error: record.console_errors.append(str(error)))

    def on_dialog(dialog):
        record.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    record.page = page
    yield record
    context.close()

