"""A mentee's first check() in a real browser: JupyterLab on a copy of the week-6 release, in headless Chromium.

Needs Debian's `chromium` and the `playwright` package (dev extra), which drives it through
`executable_path`; Playwright's own browser download is never used. `.ci/run` installs Chromium.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from coursekit.authoring.release import LANGUAGE_INFO
from coursekit.checks import load_module
from coursekit.selfcheck import definition_cell

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra has it)")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
WEEK = "week06_transformer"
FUNCTION = "causal_mask"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
START_S = 180  # JupyterLab and its kernel start in about 10 s; a loaded 2-core machine takes several times that
RUN_S = 120  # one cell: the import cell loads torch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def planted_mistake() -> tuple[str, str]:
    """(name, code) of the first catalogued causal_mask mistake that the public checks tell apart."""
    manifest = json.loads((ROOT / "release" / WEEK / "checks" / "manifest.json").read_text())
    mistakes = load_module(ROOT / "autograder" / WEEK / "mistakes.py").MISTAKES
    mistake = next(m for m in mistakes if m.function == FUNCTION and m.name in manifest["mistakes"])
    return mistake.name, mistake.code.strip()


def plant(folder: Path, code: str) -> tuple[int, int]:
    """Replace the stub of FUNCTION in the notebook copy with `code`: (its cell, its check cell)."""
    path = folder / "transformer.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = definition_cell(nb, FUNCTION)
    nb.cells[cell].source = code
    nbformat.write(nb, path)
    checks = [i for i, c in enumerate(nb.cells) if c.source.strip() == f'check("{FUNCTION}")']
    return cell, checks[0]


def wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def lab(tmp_path: Path, chromium: str) -> Iterator[tuple[str, Path]]:
    """JupyterLab on a free local port, serving a copy of the week-6 release; (its URL, the copy).
    Asks for `chromium` first, so that a machine without it skips before anything starts."""
    folder = shutil.copytree(ROOT / "release" / WEEK, tmp_path / "week06")
    port = free_port()
    env = os.environ | {name: str(tmp_path / "jupyter" / name.lower()) for name in
                        ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}
    quiet = Path(env["JUPYTER_CONFIG_DIR"], "lab", "user-settings", "@jupyterlab", "apputils-extension")
    quiet.mkdir(parents=True)  # no news or update toast over the cells the test clicks
    (quiet / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    root = ["--allow-root"] if os.geteuid() == 0 else []
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
               "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={folder}", *root]
    log = tmp_path / "jupyterlab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_server(url, process, log)
        yield url, folder
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and the kernels it started
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_cell(page, index: int) -> object:
    """Run one cell as a mentee does (click it, Shift+Enter) and wait for its execution count."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    sync_api.expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"), timeout=RUN_S * 1000)
    return cell


def test_check_shows_the_failing_row_and_the_hint_in_jupyterlab(lab, tmp_path, chromium):
    executable = chromium
    url, folder = lab
    name, code = planted_mistake()
    mistake_cell, check_cell = plant(folder, code)
    hint = json.loads((folder / "checks" / "manifest.json").read_text())["mistakes"][name]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1000})  # narrow: long lines must wrap
            page.goto(f"{url}/lab/tree/transformer.ipynb")
            page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=START_S * 1000)
            if platform.python_version() == LANGUAGE_INFO["version"]:  # JupyterLab compares language_info whole
                assert page.locator(".jp-mod-dirty").count() == 0, "opening the release marked it modified"

            imports = run_cell(page, 1)
            assert imports.locator(".jp-OutputArea-executeResult").count() == 0, "the import cell shows a value"
            run_cell(page, mistake_cell)
            checked = run_cell(page, check_cell)
            output = checked.locator(".jp-OutputArea-output")
            failing = output.locator(".coursekit-fail")
            failing.first.wait_for(timeout=RUN_S * 1000)
            page.screenshot(path=str(tmp_path / "check.png"), full_page=True)
            checked.screenshot(path=str(tmp_path / "check-cell.png"))

            assert failing.count() >= 1 and FUNCTION in output.inner_text()
            row = failing.filter(has_text=hint)
            assert row.count() >= 1, f"the hint of {name} is not under a failing row:\n{output.inner_text()}"
            assert f"[known mistake: {name}]" in row.first.inner_text()
            broken = output.locator("span").evaluate_all(
                "spans => spans.filter(s => s.style.whiteSpace === 'nowrap' && s.getClientRects().length > 1)"
                ".map(s => s.textContent)")
            assert broken == [], f"words broken across lines: {broken}"
        finally:
            browser.close()
