"""Fixtures for report tests: a planted study with tasks, a control and finite shots, and a
headless Chromium page that records console errors and warnings, and requests."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from planted_study import make_study


@pytest.fixture(scope="session")
def study() -> pd.DataFrame:
    """Two tasks, the classical-only control, and 24 circuits (two per width-depth cell) of
    the first task at 100 shots."""
    return make_study(n_pqcs=48, shots=100, shot_pqcs=24)

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]


def _chromium() -> str | None:
    for cand in (os.environ.get("ETR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if cand and Path(cand).exists():
            return cand
    return None


@dataclass
class Opened:
    """A report opened in the browser, with what happened while loading it."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def n_rendered(self) -> int:
        return self.page.evaluate(  # type: ignore[attr-defined]
            "() => Array.from(document.querySelectorAll('div.vis'))"
            ".filter(d => d.querySelector('svg, canvas')).length")

    def n_charts(self) -> int:
        return self.page.evaluate(  # type: ignore[attr-defined]
            "() => document.querySelectorAll('div.vis').length")


@pytest.fixture(scope="session")
def browser():
    exe = _chromium()
    if exe is None:
        if os.environ.get("ETR_REQUIRE_BROWSER") == "1":
            pytest.fail("ETR_REQUIRE_BROWSER=1 but no Chromium at $ETR_CHROMIUM, /usr/bin/chromium "
                        "or on the PATH")
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_report(browser):
    """Open an HTML file at 1366 px width; wait until every chart has been embedded."""
    contexts = []

    def _open(path: Path, *, width: int = 1366, screenshot: Path | None = None) -> Opened:
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        url = Path(path).resolve().as_uri()
        opened = Opened(page)
        def _console(m) -> None:
            if m.type == "error":
                opened.console_errors.append(m.text)
            elif m.type == "warning":
                opened.console_warnings.append(m.text)

        page.on("console", _console)
        page.on("pageerror", lambda e: opened.page_errors.append(str(e)))
        page.on("request", lambda r: opened.requests.append(r.url) if r.url != url else None)

        def _dialog(d):
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", _dialog)
        page.goto(url)
        page.wait_for_selector("body[data-charts-ready='1']", timeout=60_000)
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        return opened

    yield _open
    for ctx in contexts:
        ctx.close()
