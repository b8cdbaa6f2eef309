"""`kb serve`: the live preview serves the vault and rebuilds it when a note changes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_for(url: str, condition, server: subprocess.Popen, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    page = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"kb serve exited with {server.returncode}:\n{server.stderr.read()}")
        page = _fetch(url)
        if page is not None and condition(page):
            return page
        time.sleep(0.5)
    raise AssertionError(f"{url} did not show the expected page within {seconds} s; last seen:\n{page}")


@pytest.fixture
def served(tmp_path):
    vault = tmp_path / "notes"
    shutil.copytree(REPO / "notes", vault)
    port = _free_port()
    # Run from a folder without mkdocs.yml: kb serve falls back to its own configuration.
    server = subprocess.Popen([sys.executable, "-m", "kb", "serve", str(vault), "-a", f"127.0.0.1:{port}"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield vault, f"http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_serve_rebuilds_the_page_of_a_changed_note_and_reloads_the_browser(served):
    vault, root, server = served
    page = _wait_for(root + "AlexNet/", lambda text: "AlexNet" in text, server)
    assert "livereload" in page                    # the browser is told to reload on a rebuild
    assert "ResNet" in page                        # backlinks are there, as in kb build

    note = vault / "AlexNet.md"
    before = note.read_bytes()
    note.write_bytes(before.replace(b"## Related", b"A line added while serving.\n\n## Related", 1))
    _wait_for(root + "AlexNet/", lambda text: "A line added while serving." in text, server)

    (vault / "Fresh note.md").write_text("# Fresh note\n\nSee [[AlexNet]].\n", encoding="utf-8")
    _wait_for(root + "Fresh%20note/", lambda text: "Fresh note" in text, server)
    assert server.poll() is None
