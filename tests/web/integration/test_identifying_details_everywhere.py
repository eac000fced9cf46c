"""Every free-text field of supervision, programme, guidance and information-line records goes
through the one identifying-details check before it is saved. The fields are read from the
Django models: a new text field fails `test_every_text_field_is_checked_or_exempt` until it has
a writer in `WRITERS` (its service refuses identifying text in it) or a reasoned exemption."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from factories.forms import date_fields
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.guidance import services as guidance
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme import services as programme
from threshold.web.programme.models import (
    CommunityMeeting,
    Enrolment,
    Programme,
    SupervisionSession,
)
from threshold.web.supervision import services as supervision
from threshold.web.supervision.models import FirstSessionSheet
from threshold.web.trials import services as trials
from threshold.web.trials.models import Trial, TrialSchool

CHECKED_APPS = ("supervision", "programme", "guidance")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)
CONFIRMATIONS = "confirmed_not_identifying"
EXEMPT = {
    "programme.Programme.school_year": "a code (2024/25), whose form the service checks",
    "programme.Enrolment.block": (
        "the randomisation block, copied from the trial's allocations.csv, never typed here"
    ),
    "supervision.SupervisionRecord.themes": "codes of `Theme`, chosen from a list",
    "programme.CalendarFeed.token_sha256": "the SHA-256 of a calendar feed's secret token",
    "guidance.PathwayOutcome.answers": "the pathway's answer codes",
    "guidance.ThresholdDocument.draft": (
        "the LA's threshold document: services and how to reach them (phone numbers and "
        "e-mail addresses by design), never a case"
    ),
    "guidance.DocumentVersion.content": "a published threshold document (as the draft)",
}
"""Text fields that hold no free text about people, and why. Choice fields (codes) and the
`confirmed_not_identifying` record of the check itself are exempt too."""

IDENTIFYING = "The worry about K\u0430CPER NOWAK came up."  # a Cyrillic "а" in capitals
CLEAN = "The team reflected on thresholds."


def text_fields() -> Iterator[str]:
    """Every CharField, TextField and JSONField of the checked apps' models that is not a
    choice field nor the check's own record, as app.Model.field."""
    for label in CHECKED_APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                text = isinstance(field, TEXT_FIELDS) and not field.choices
                if text and field.name != CONFIRMATIONS:
                    yield f"{label}.{model.__name__}.{field.name}"


@dataclass(frozen=True)
class World:
    authority: LocalAuthority
    school: School
    enrolment: Enrolment
    held: SupervisionSession
    ssw: User
    dsl: User


@pytest.fixture
def world(places: dict[str, object], make_user: Callable[..., User]) -> World:
    ssw, dsl = make_user(RoleName.SSW), make_user(RoleName.DSL_LEAD)
    school = places["home_school"]
    today = timezone.localdate()
    year = Programme.objects.create(
        authority=school.authority,
        school_year="2024/25",
        starts_on=today - dt.timedelta(weeks=8),
        ends_on=today + dt.timedelta(weeks=30),
    )
    enrolment = Enrolment.objects.create(programme=year, school=school, arm="treatment", ssw=ssw)
    held = SupervisionSession.objects.create(
        enrolment=enrolment,
        ssw=ssw,
        number=1,
        scheduled_for=timezone.now() - dt.timedelta(weeks=2),
        format="group",
        mode="face_to_face",
        status="held",
    )
    return World(school.authority, school, enrolment, held, ssw, dsl)


def planned(w: World) -> SupervisionSession:
    """A new session planned in two weeks."""
    return SupervisionSession.objects.create(
        enrolment=w.enrolment,
        ssw=w.ssw,
        number=w.enrolment.sessions.count() + 1,
        scheduled_for=timezone.now() + dt.timedelta(weeks=2),
        format="group",
        mode="face_to_face",
    )


def _texts(names: tuple[str, ...], field: str, text: str) -> dict[str, str]:
    return {name: text if name == field else CLEAN for name in names}


def _sheet(w: World, field: str, text: str) -> object:
    names = ("team_roles", "hopes", "ground_rules", "practicalities")
    return supervision.first_session_sheet_save(
        enrolment=w.enrolment, **_texts(names, field, text), by=w.ssw
    )


def _record(w: World, field: str, text: str) -> object:
    names = ("wellbeing", "presentation", "group_reflection", "shared_discussion")
    return supervision.supervision_record_save(
        session=w.held,
        **_texts((*names, "resources", "actions"), field, text),
        themes=[],
        no_open_case_confirmed=True,
        by=w.ssw,
    )


def _worksheet(w: World, field: str, text: str) -> object:
    texts = _texts(("situation", "wanted"), field, text)
    return supervision.worksheet_save(session=w.held, **texts, by=w.dsl)


def _reflection(w: World, field: str, text: str) -> object:
    return supervision.reflection_save(
        session=w.held, takeaway=text, confidence=3, usefulness=4, by=w.dsl
    )


def _calendar(w: World, field: str, text: str) -> object:
    day = timezone.localdate() + dt.timedelta(weeks=3)
    return programme.calendar_date_add(
        enrolment=w.enrolment, date=day, kind="blocked", note=text, by=w.ssw
    )


def _cancel(w: World, field: str, text: str) -> object:
    return programme.session_cancel(session=planned(w), changed_by="school", reason=text, by=w.ssw)


def _reschedule(w: World, field: str, text: str) -> object:
    return programme.session_reschedule(
        session=planned(w),
        scheduled_for=timezone.now() + dt.timedelta(weeks=3),
        changed_by="school",
        reason=text,
        weekend_confirmed=True,
        by=w.ssw,
    )


def _late(w: World, field: str, text: str) -> object:
    return programme.session_plan(
        enrolment=w.enrolment,
        scheduled_for=timezone.now() - dt.timedelta(days=1),
        format="group",
        mode="online",
        late_reason=text,
        weekend_confirmed=True,
        by=w.ssw,
    )


def _remove(w: World, field: str, text: str) -> object:
    return programme.session_remove(session=planned(w), reason=text, by=w.ssw)


def _meeting(w: World, field: str, text: str) -> object:
    return programme.community_meeting_record(
        authority=w.authority,
        held_on=timezone.localdate(),
        attendees=[w.ssw],
        topics=text,
        by=w.ssw,
    )


def _call(w: World, field: str, text: str) -> object:
    return guidance.line_call_create(
        school=w.school,
        caller_role="dsl_lead",
        called_at=timezone.now(),
        category="neglect",
        advice_route="early_help",
        minutes=10,
        **_texts(("advice", "follow_up"), field, text),
        confirmed=(),
        by=w.ssw,
    )


def _withdraw(w: World, field: str, text: str) -> object:
    """A school of a randomised trial withdraws (the trial made directly: no files needed)."""
    trial = Trial.objects.create(
        name="Trial", created_by=w.ssw, stage=Trial.Stage.RANDOMISED, randomised_at=timezone.now()
    )
    trial.programmes.add(w.enrolment.programme)
    TrialSchool.objects.create(trial=trial, school=w.school)
    return trials.trial_withdraw(
        trial=trial, school=w.school, withdrawn_on=timezone.localdate(), reason=text, by=w.ssw
    )


Writer = Callable[[World, str, str], object]
WRITERS: dict[str, tuple[Writer, ...]] = {
    **{
        f"supervision.FirstSessionSheet.{f}": (_sheet,)
        for f in ("team_roles", "hopes", "ground_rules", "practicalities")
    },
    **{
        f"supervision.SupervisionRecord.{f}": (_record,)
        for f in (
            "wellbeing",
            "presentation",
            "group_reflection",
            "shared_discussion",
            "resources",
            "actions",
        )
    },
    "supervision.DslWorksheet.situation": (_worksheet,),
    "supervision.DslWorksheet.wanted": (_worksheet,),
    "supervision.DslReflection.takeaway": (_reflection,),
    "programme.BlockedDate.note": (_calendar,),
    "programme.SupervisionSession.change_reason": (_cancel, _reschedule),
    "programme.SupervisionSession.late_reason": (_late,),
    "programme.SupervisionSession.removal_reason": (_remove,),
    "programme.CommunityMeeting.topics": (_meeting,),
    "programme.Enrolment.withdrawal_reason": (_withdraw,),
    "guidance.InformationLineCall.advice": (_call,),
    "guidance.InformationLineCall.follow_up": (_call,),
}
"""Each checked field → the services that write it, called with `IDENTIFYING` in it."""


def test_every_text_field_is_checked_or_exempt() -> None:
    fields = set(text_fields())
    assert fields - set(EXEMPT) == set(WRITERS)
    assert set(EXEMPT) <= fields  # no stale exemption


@pytest.mark.parametrize("where", sorted(WRITERS))
def test_identifying_text_is_refused_and_nothing_saved(world: World, where: str) -> None:
    label, model_name, field = where.split(".")
    model = apps.get_model(label, model_name)
    for write in WRITERS[where]:
        with pytest.raises(supervision.IdentifyingDetailsFound) as found:
            write(world, field, IDENTIFYING)
        assert [(f.field, f.finding.text) for f in found.value.findings] == [
            (field, "K\u0430CPER NOWAK")
        ]
        assert not model._base_manager.filter(**{field: IDENTIFYING}).exists()
        write(world, field, CLEAN)  # the same write without it is saved
        assert model._base_manager.filter(**{field: CLEAN}).exists()  # removed rows too


# Community of practice: the topics were not checked at all (issue 12).

CHILD_AND_SCHOOL = (
    "How the DSL at Northmoor Academy supported KACPER NOWAK after his exclusion in March."
)
CHILD_KEY = "topics|NAME|KACPER NOWAK"


def meeting_form(ssw: User, **extra: object) -> dict[str, object]:
    return {
        "authority": "990",
        **date_fields("held_on", "2024-12-03"),
        "attendees": [ssw.pk],
        "topics": CHILD_AND_SCHOOL,
        **extra,
    }


def test_a_meeting_naming_a_child_is_warned_about_before_saving(
    client: Client, sign_in: Callable[..., Client], world: World
) -> None:
    sign_in(client, world.ssw)
    response = client.post(reverse("programme:meeting_create"), meeting_form(world.ssw))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This may identify someone. Nothing has been saved yet." in page
    assert "Topics, characters 44 to 55: a personal name, “KACPER NOWAK”" in page
    assert f'value="{CHILD_KEY}"' in page
    assert not CommunityMeeting.objects.exists()

    response = client.post(
        reverse("programme:meeting_create"), meeting_form(world.ssw, confirm=[CHILD_KEY])
    )
    assert response.status_code == 302
    meeting = CommunityMeeting.objects.get()
    assert meeting.confirmed_not_identifying == [
        {"field": "topics", "kind": "NAME", "text": "KACPER NOWAK"}
    ]
    event = AuditEvent.objects.get(
        action=AuditAction.CREATE, object_type="programme.communitymeeting"
    )
    assert event.detail["confirmed_not_identifying"] == [{"field": "topics", "kind": "NAME"}]


def test_the_first_session_sheet_warns_about_a_name_in_brackets_after_a_role(
    client: Client, sign_in: Callable[..., Client], world: World
) -> None:
    sign_in(client, world.ssw)
    url = reverse("supervision:first_session_sheet", kwargs={"enrolment_id": world.enrolment.pk})
    sheet = {
        "team_roles": "Lead DSL (Firstname Surname), two deputy DSLs",
        "hopes": CLEAN,
        "ground_rules": CLEAN,
        "practicalities": CLEAN,
    }
    page = client.post(url, sheet).content.decode()
    assert "a personal name, “Firstname Surname”" in page
    assert not FirstSessionSheet.objects.exists()


def test_a_cancellation_reason_is_warned_about_on_its_page(
    client: Client, sign_in: Callable[..., Client], world: World
) -> None:
    sign_in(client, world.ssw)
    session = planned(world)
    url = reverse("programme:session_cancel", kwargs={"pk": session.pk})
    form = {"changed_by": "school", "change_reason": "UPN A123 4567 8901 B is off sick"}
    page = client.post(url, form).content.decode()
    assert "Why, characters 5 to 20: a Unique Pupil Number, “A123 4567 8901 B”" in page
    session.refresh_from_db()
    assert session.status == ""
