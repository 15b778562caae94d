"""A real Chromium (the system's own, e.g. Debian's `chromium`) driven by Playwright,
against one real suite with the console in front of it, for the whole session.

Without Chromium (or the Playwright package) the browser tests are skipped with the
reason; with CI=true a skipped test fails the run (tests/conftest.py). Screenshots of
every page go to build/screenshots/console/ (ignored by git, kept by CI).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import console_world
from tests.support.console import ConsoleServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots" / "console"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def chromium() -> str | None:
    for candidate in (os.environ.get("NCMS_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.skip("the Playwright package is not installed (make setup installs it)")
    # the pages' own timeout (20 s, below) for expectations too: their default of 5 s can
    # pass while a form's call is still on its way on a loaded machine
    expect.set_options(timeout=20_000)
    executable = chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or NCMS_CHROMIUM=/path/to/chrome)")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@dataclass
class Centre:
    world: console_world.ConsoleWorld
    url: str
    browser: object

    def page(self, name: str | None = None, *, language: str = "zh-CN"):
        """A fresh browser context (cookies of its own), signed in as ``name``."""
        context = self.browser.new_context(locale=language, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(20_000)
        if name:
            sign_in(page, self.url, name)
        return page


def sign_in(page, url: str, name: str, password: str = console_world.STAFF_PASSWORD) -> None:
    page.goto(f"{url}/sign-in")
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{url}/**")


@pytest.fixture(scope="session")
def centre(browser, databases, tmp_path_factory):
    from tests.support.suite import Suite

    suite = Suite(databases, tmp_path_factory.mktemp("console-browser"))
    try:
        world = console_world.build(suite)
        gateway = suite.start_gateway().split("//", 1)[1].split("/", 1)[0]  # the dashboard shows its health
        server = ConsoleServer(suite.settings, gateway_address=gateway)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield Centre(world, server.url, browser)
        server.stop()
    finally:
        suite.stop()


def screenshot(page, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page (WCAG 2 A and AA). The
    script is evaluated through the browser's debugging protocol, which the page's
    Content-Security-Policy does not govern."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"] if v["impact"] in ("serious", "critical")]
