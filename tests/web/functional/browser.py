"""Helpers for the functional tests: Debian's Chromium driven by Playwright, axe-core's WCAG 2.2
A/AA check, and signing in through the pages. Import them as `web.functional.browser` (tests/
is on sys.path); `conftest.py` here skips the tests, saying why, when Chromium or axe-core is
missing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import Thread
from typing import TypeVar

from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "correct horse battery staple"
"""Every test user's password (as in tests/web/conftest.py)."""

NO_CHROMIUM = (
    "Debian's Chromium is not installed (/usr/bin/chromium): `apt-get install chromium`, "
    "as .ci/run does"
)
NO_AXE = "axe-core is not installed: run `npm ci` (make setup)"


def in_thread(work: Callable[[], T]) -> T:
    """`work()` run in a thread of its own, as another person's request or a worker would be:
    away from Playwright's event loop (where Django opens a connection of its own and never
    closes it), closing its database connections after. Its exception is raised here."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:
            outcome.append(error)
        finally:
            connections.close_all()

    thread = Thread(target=run)
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]  # type: ignore[return-value]


def missing() -> str | None:
    """Why the functional tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return NO_CHROMIUM
    if not AXE.exists():
        return NO_AXE
    return None


def assert_accessible(page: Page) -> None:
    """Inject axe-core and fail on any WCAG 2.2 A/AA violation on the current page (once a
    navigation under way has loaded)."""
    page.wait_for_load_state("load")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]
    assert violations == [], f"{page.url}: {json.dumps(violations, indent=1)}"
    assert result["passes"], "axe-core checked nothing"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, closed on leaving. Set up data before entering and read it back
    after leaving: the ORM is not used inside Playwright's event loop."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def checked_page(browser: Browser) -> Page:
    """A new page that axe-core can be injected into: the content security policy (rightly)
    refuses axe's script tag, so the checked pages bypass it."""
    return browser.new_context(bypass_csp=True).new_page()


def sign_in(
    page: Page, base: str, username: str, token: str | None = None, *, password: str = PASSWORD
) -> None:
    """Sign in at `base` as `username`, with the authenticator code `token` for users who need
    two factors (none: stop at the code page)."""
    page.goto(f"{base}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if token is not None:
        page.get_by_label("Security code").fill(token)
        page.get_by_role("button", name="Continue").click()
