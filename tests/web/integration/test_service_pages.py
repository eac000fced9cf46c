"""The service's own pages (help, accessibility, privacy, cookies), the phase banner and footer,
and the person's name in the header and on the home page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority

PAGES = ("/help/", "/accessibility/", "/privacy/", "/cookies/")


@pytest.mark.parametrize("path", PAGES)
def test_the_service_pages_need_no_sign_in_nor_a_second_factor(
    path: str, client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    assert client.get(path).status_code == 200
    sign_in(client, make_user(RoleName.LA_LEAD), verified=False)
    assert client.get(path).status_code == 200
    assert client.get("/").status_code == 302  # the rest still waits for the code


def test_every_page_has_the_phase_banner_and_the_footer_links(db: None, client: Client) -> None:
    page = client.get("/accounts/sign-in/").content.decode()
    assert "govuk-phase-banner" in page
    assert 'href="/help/#feedback"' in page
    for path in PAGES:
        assert f'href="{path}"' in page


def test_the_cookies_page_names_every_cookie_the_service_sets(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    sign_in(client, make_user(RoleName.LA_LEAD))
    client.get("/organisations/990/edit/")  # a form: the CSRF cookie
    client.post("/organisations/990/edit/", {"display_name": "Northmoor Council"})  # a message
    set_by_the_service = set(client.cookies)
    assert set_by_the_service == {"sessionid", "csrftoken", "messages"}
    page = client.get("/cookies/").content.decode()
    for name in set_by_the_service:
        assert f"<code>{name}</code>" in page
    assert "does not use analytics cookies" in page


def test_help_shows_the_las_contact_to_its_people_and_the_services_to_others(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    LocalAuthority.objects.filter(la_code="990").update(
        help_name="Threshold team",
        help_email="threshold@northmoor.example",
        frontdoor_phone="01632 960000",
    )
    sign_in(client, make_user(RoleName.DSL_DEPUTY))
    page = client.get("/help/").content.decode()
    assert "threshold@northmoor.example" in page
    assert "01632 960000" in page
    client.logout()
    sign_in(client, make_user(RoleName.EVALUATOR))
    with override_settings(HELP_CONTACT="help@threshold.example"):
        page = client.get("/help/").content.decode()
    assert "help@threshold.example" in page
    assert "threshold@northmoor.example" not in page


def test_the_header_and_home_page_name_the_person(
    client: Client, make_user: Callable[..., User], sign_in: Callable[..., Client]
) -> None:
    user = make_user(RoleName.SSW)
    sign_in(client, user)
    assert "Signed in as ssw" in client.get("/").content.decode()  # no name: the username
    User.objects.filter(pk=user.pk).update(first_name="Amara", last_name="Okafor")
    page = client.get("/").content.decode()
    assert "Signed in as Amara Okafor" in page
    assert "Welcome, Amara Okafor" in page
