"""A DSL changes which reminders they get (and is told plainly what is wrong with a bad day
count); an LA lead sets the LA's defaults; an SSW records a session held and cancels another,
and a real worker sends the DSL the cancellation and the SSW the record still to write. In
Debian's Chromium; every page passes axe-core's WCAG 2.2 AA checks. Screenshots go to the
folder THRESHOLD_SHOTS names, when it is set."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from factories.jobs import run_jobs
from factories.sessions import programme_with_ssw
from threshold.model import SessionFormat, SessionMode
from threshold.web.accounts.roles import RoleName
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme import services
from threshold.web.programme.reminders import reminders_daily
from threshold.web.reminders.models import AuthorityReminderDefaults, PersonReminderChoices
from web.functional.browser import assert_accessible, checked_page, chromium, in_thread, sign_in

pytestmark = pytest.mark.functional

SHOTS = os.environ.get("THRESHOLD_SHOTS")
SITE = "https://threshold.example.gov.uk"


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_a_dsl_changes_their_reminders_and_a_lead_sets_the_las_defaults(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
) -> None:
    dsl = make_user(RoleName.DSL_LEAD)
    dsl.email = "dsl@example.org"
    dsl.save(update_fields=["email"])
    lead_code = authenticator(make_user(RoleName.LA_LEAD))
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "dsl_lead")
        page.get_by_role("link", name="Your account").click()
        page.get_by_role("link", name="Change your reminders").click()
        expect(page.get_by_role("heading", name="Your reminders")).to_be_visible()
        expect(page.get_by_text("You get Northmoor's default reminders")).to_be_visible()
        expect(page.get_by_label("Reminder before each session")).to_be_checked()
        expect(page.get_by_label("Days before the session")).to_have_value("3")
        expect(page.get_by_text("They go to dsl@example.org.")).to_be_visible()
        assert_accessible(page)
        shot(page, "1-dsl-reminders")

        page.get_by_label("Days before the session").fill("forty")
        page.get_by_label("Second reminder, days after it opens").fill("5")
        page.get_by_role("button", name="Save your reminder choices").click()
        expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Enter the number of days as a whole number, like 3")
        expect(summary).to_contain_text("The second survey reminder must come after the first")
        assert_accessible(page)
        shot(page, "2-dsl-reminders-error")

        page.get_by_label("Days before the session").fill("5")
        page.get_by_label("Second reminder, days after it opens").fill("14")
        page.get_by_label("Reminders to answer an open survey").uncheck()
        page.get_by_role("button", name="Save your reminder choices").click()
        expect(page.get_by_text("Your reminder choices are saved")).to_be_visible()
        expect(page.get_by_text("You have made your own choices.")).to_be_visible()
        expect(page.get_by_label("Reminders to answer an open survey")).not_to_be_checked()
        assert_accessible(page)
        shot(page, "3-dsl-reminders-saved")

        lead = browser.new_context(bypass_csp=True).new_page()
        sign_in(lead, base, "la_lead", lead_code())
        lead.goto(f"{base}/reminders/")
        expect(lead.get_by_label("Weekly take-up digest (Mondays)")).to_be_checked()
        assert_accessible(lead)
        shot(lead, "4-lead-reminders")
        lead.get_by_role("link", name="Set the default reminders of Northmoor").click()
        expect(lead.get_by_role("heading", name="Default reminders")).to_be_visible()
        lead.get_by_label("Days after the session").fill("4")
        lead.get_by_label("Weekly agenda of sessions (Mondays)").uncheck()
        lead.get_by_role("button", name="Save the defaults").click()
        expect(lead.get_by_text("The reminder defaults of Northmoor are saved")).to_be_visible()
        assert_accessible(lead)
        shot(lead, "5-lead-defaults-saved")

    choices = PersonReminderChoices.objects.get(user=dsl)
    assert (choices.session_reminder_days, choices.survey_chaser_on) == (5, False)
    defaults = AuthorityReminderDefaults.objects.get(authority=places["home_la"])
    assert (defaults.record_due_days, defaults.weekly_agenda_on) == (4, False)


@pytest.mark.django_db(transaction=True)
def test_an_ssws_changes_reach_the_dsl_and_the_ssw_is_reminded_of_the_record(
    live_server: object,
    places: dict[str, LocalAuthority],
    make_user: Callable[..., object],
    authenticator: Callable[..., Callable[[], str]],
    settings: object,
) -> None:
    settings.SITE_URL = SITE
    ssw, dsl = make_user(RoleName.SSW), make_user(RoleName.DSL_LEAD)
    for user, address in ((ssw, "ssw@example.org"), (dsl, "dsl@example.org")):
        user.email = address
        user.save(update_fields=["email"])
    ssw_code = authenticator(ssw)
    enrolment = programme_with_ssw(places["home_la"], places["home_school"], ssw)
    started = timezone.localtime() - dt.timedelta(hours=1)
    for when, extra in (
        (started, {"late_reason": "Planned on the day"}),
        (started + dt.timedelta(days=10), {}),
    ):
        services.session_plan(
            enrolment=enrolment,
            scheduled_for=when,
            format=SessionFormat.GROUP,
            mode=SessionMode.FACE_TO_FACE,
            weekend_confirmed=True,
            by="test",
            **extra,
        )
    base = live_server.url
    with chromium() as browser:
        page = checked_page(browser)
        sign_in(page, base, "ssw", ssw_code())
        page.goto(f"{base}/schedule/990001/")
        page.get_by_role("link", name="Record as held session 1").click()
        page.get_by_label("How many of the school's safeguarding team attended").fill("4")
        page.get_by_label("How long it lasted, in minutes").fill("90")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Session 1 recorded as held")).to_be_visible()
        page.get_by_role("link", name="Cancel session 2").click()
        page.get_by_label("Who cancelled it").select_option("school")
        page.get_by_label("Why").fill("Exams in the hall")
        page.get_by_role("button", name="Cancel session").click()
        expect(page.get_by_text("Session 2 cancelled")).to_be_visible()
        assert_accessible(page)
        shot(page, "6-ssw-schedule-after-changes")

        # The jobs run in threads of their own: the ORM is not used in Playwright's loop.
        in_thread(run_jobs)  # the notice the cancellation enqueued
        (notice,) = mail.outbox
        assert notice.to == ["dsl@example.org"]
        assert notice.subject == "Supervision session 2 cancelled: Northmoor Academy"
        (event,) = Calendar.from_ical(notice.attachments[0][1]).walk("VEVENT")
        assert str(event["status"]) == "CANCELLED"

        two_days_on = (started.date() + dt.timedelta(days=2)).isoformat()
        in_thread(lambda: reminders_daily.enqueue(today=two_days_on))
        in_thread(run_jobs)
        (reminder,) = mail.outbox[1:]
        assert reminder.to == ["ssw@example.org"]
        link = next(word for word in reminder.body.split() if "/record/" in word)
        page.goto(base + link.removeprefix(SITE))
        expect(page.get_by_role("heading", name="Record of supervision")).to_be_visible()
        assert_accessible(page)
        shot(page, "7-ssw-follows-the-reminder")
