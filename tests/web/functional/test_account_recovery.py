"""A DSL who forgot their password resets it through the e-mailed link and signs in, with their
authenticator code still asked for; an SSW without their phone signs in with a recovery code
and is offered a new app; their LA lead resets the SSW's authenticator, and the SSW sets up a
new one and is shown new recovery codes. In Debian's Chromium; every page visited passes
axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from threshold.web.accounts import notices
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import RECOVERY_CODES, recovery_codes_generate
from threshold.web.accounts.views import MSG_RECOVERY_CODE_USED
from web.functional.browser import assert_accessible, checked_page, chromium, sign_in

pytestmark = pytest.mark.functional

NEW_PASSWORD = "three new words, please"
LINK = re.compile(r"https?://\S+/accounts/password/reset/\S+/")


def addressed(user: User) -> User:
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.mark.django_db(transaction=True)
def test_a_dsl_resets_a_forgotten_password_through_the_email(
    live_server: object,
    make_user: Callable[..., User],
    authenticator: Callable[[User], Callable[[], str]],
) -> None:
    dsl = addressed(make_user(RoleName.DSL_LEAD))
    code = authenticator(dsl)  # this DSL chose to use an app: the reset must not bypass it
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        page.goto(f"{base}/")
        page.get_by_role("link", name="Forgotten your password?").click()
        expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("E-mail address").fill(dsl.email)
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
        assert_accessible(page)

        [message] = mail.outbox  # the live server runs in this process
        link = LINK.search(message.body).group(0)
        page.goto(link)
        expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("Confirm the new password").fill("short")
        page.get_by_role("button", name="Save the new password").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Confirm the new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save the new password").click()
        expect(page.get_by_role("heading", name="Your password has been reset")).to_be_visible()
        assert_accessible(page)

        page.goto(link)
        expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
        assert_accessible(page)

        sign_in(page, base, dsl.username, password=NEW_PASSWORD)
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        page.get_by_label("Security code").fill(code())
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(f"{base}/")
    assert User.objects.get(pk=dsl.pk).check_password(NEW_PASSWORD)
    assert mail.outbox[-1].subject == notices.PASSWORD_RESET.subject


@pytest.mark.django_db(transaction=True)
def test_an_ssw_uses_a_recovery_code_then_their_la_lead_resets_their_authenticator(
    live_server: object,
    make_user: Callable[..., User],
    authenticator: Callable[[User], Callable[[], str]],
) -> None:
    ssw = addressed(make_user(RoleName.SSW))
    authenticator(ssw)
    recovery_code, *_ = recovery_codes_generate(by=ssw)
    lead = make_user(RoleName.LA_LEAD)
    lead_code = authenticator(lead)
    reset = reverse("accounts:authenticator_reset", kwargs={"pk": ssw.pk})
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        # The SSW has lost their phone: a recovery code lets them in, once.
        sign_in(page, base, "ssw")
        expect(page.get_by_role("heading", name="Enter your security code")).to_be_visible()
        page.get_by_text("I do not have my authenticator app").click()
        assert_accessible(page)
        page.get_by_label("Security code").fill(recovery_code)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Set up a new authenticator app")).to_be_visible()
        expect(
            page.get_by_text(MSG_RECOVERY_CODE_USED.format(left=RECOVERY_CODES - 1))
        ).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Not now: keep my current app").click()
        expect(page).to_have_url(f"{base}/")
        page.get_by_role("link", name="Your account").click()
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        expect(page.get_by_text(f"{RECOVERY_CODES - 1} left")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Sign out").click()

        # Their LA lead resets the SSW's authenticator, giving a reason.
        sign_in(page, base, "la_lead", lead_code())
        page.goto(f"{base}{reset}")
        expect(page.get_by_role("heading", name="Reset ssw's authenticator app")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Reset authenticator app").click()
        expect(page.get_by_role("link", name="Enter the reason")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Reason").fill("Lost their phone; I rang them back on their desk line")
        page.get_by_role("button", name="Reset authenticator app").click()
        expect(page.get_by_text("ssw's authenticator app has been reset.")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Sign out").click()

        # The SSW signs in, sets up a new app and is shown new recovery codes.
        sign_in(page, base, "ssw")
        expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
        key = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
        app = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
        page.get_by_label("Security code").fill(f"{app.token():06d}")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        expect(page.get_by_test_id("recovery-codes").get_by_role("listitem")).to_have_count(
            RECOVERY_CODES
        )
        assert_accessible(page)
        page.get_by_role("button", name="I have kept my codes: continue").click()
        expect(page).to_have_url(f"{base}/")
    assert TOTPDevice.objects.get(user=ssw).name != "test app"
    assert [m.subject for m in mail.outbox if m.to == [ssw.email]] == [
        notices.RECOVERY_CODE_USED.subject,
        notices.AUTHENTICATOR_RESET.subject,
    ]
