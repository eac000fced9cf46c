"""An administrator loads local authorities and schools from the real GIAS sample (with the
school census for LAs 201–204) in the browser: upload, choose LAs and preview, apply. In Debian's
Chromium; every page visited passes axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import School
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.django_db(transaction=True)
def test_admin_loads_organisations_from_a_gias_extract(
    live_server: object,
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    code = authenticator(make_user(RoleName.SYSTEM_ADMIN))
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "system_admin", code())
        page.get_by_role("link", name="Local authorities").first.click()
        expect(page.get_by_role("heading", name="Local authorities")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name="Load schools from a GIAS extract").click()
        expect(page.get_by_role("heading", name="Load schools from a GIAS extract")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("GIAS establishments extract").set_input_files(
            str(DATA / "gias_open_schools_2025-07-11.csv")
        )
        page.get_by_label("School census (optional)").set_input_files(
            str(DATA / "school_census_2020-01_la201-204.csv")
        )
        page.get_by_role("button", name="Upload and preview").click()
        expect(page.get_by_role("heading", name="Preview the GIAS extract")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name="Preview the chosen local authorities").click()
        expect(page.get_by_text("Choose at least one local authority").first).to_be_visible()
        assert_accessible(page)

        page.get_by_label("Local authority 202 (202), 56 schools").check()
        page.get_by_label("Local authority 203 (203), 76 schools").check()
        page.get_by_role("button", name="Preview the chosen local authorities").click()
        expect(page.get_by_role("heading", name="What would change")).to_be_visible()
        expect(page.get_by_text("Schools to add (132)")).to_be_visible()
        assert_accessible(page)

        page.get_by_role("button", name="Apply these changes").click()
        expect(page.get_by_text("schools: 132 added, 0 changed, 0 closed")).to_be_visible()
        expect(page.get_by_role("link", name="Local authority 203")).to_be_visible()
        assert_accessible(page)
    assert School.objects.filter(authority__la_code__in=["202", "203"]).count() == 132
