"""A hand-built randomised trial whose health figures are known (tests of trial health).

Northmoor's 2024/25 programme (2 September 2024 to 18 July 2025, 8 sessions each school), on
`TODAY` (15 January 2025) 135 of its 319 days have passed, so 3 sessions are planned by now
(8 × 135/319 = 3.4, rounded down). Treatment schools: T1 has held 3 (on plan), T2 1, T3 none,
T4 4 (on plan), T5 withdrew. Control schools: C1 had 1 session (contamination), C2 none, C3
withdrew. Baseline survey: 20 people given a link in the treatment schools, 15 responded; 20
in the control schools still in the trial, 8 responded (and one at the withdrawn C3).
Front-door contacts in September, October and December 2024 — none in November.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from threshold.web.accounts.models import User
from threshold.web.insights.models import Contact, FrontDoorImport
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.trials.models import Trial, TrialSchool

TODAY = dt.date(2025, 1, 15)
HELD = {"T1": 3, "T2": 1, "T3": 0, "T4": 4, "C1": 1}
INVITED = {"T1": 5, "T2": 5, "T3": 5, "T4": 5, "C1": 10, "C2": 10, "C3": 2}
RESPONDED = {"T1": 5, "T2": 4, "T3": 3, "T4": 3, "C1": 5, "C2": 3, "C3": 1}
CONTACT_DAYS = (dt.date(2024, 9, 16), dt.date(2024, 10, 7), dt.date(2024, 12, 20))
WITHDRAWAL_REASON = "The school's leadership changed and it stopped taking part"


@dataclass
class BuiltTrial:
    trial: Trial
    programme: Programme
    schools: dict[str, School]
    tokens: list[str]


def _school(authority: LocalAuthority, code: str, number: int) -> School:
    return School.objects.create(
        urn=990100 + number,
        name=f"{code} School",
        authority=authority,
        phase="secondary",
    )


def build_trial(
    authority: LocalAuthority,
    ssw: User,
    *,
    stage: str = Trial.Stage.RANDOMISED,
    created_by: User,
    name: str = "Northmoor supervision trial",
) -> BuiltTrial:
    """The trial described in the module's docstring."""
    programme = Programme.objects.create(
        authority=authority,
        school_year="2024/25",
        starts_on=dt.date(2024, 9, 2),
        ends_on=dt.date(2025, 7, 18),
        planned_sessions=8,
    )
    trial = Trial.objects.create(name=name, created_by=created_by, stage=stage)
    trial.programmes.add(programme)
    codes = ["T1", "T2", "T3", "T4", "T5", "C1", "C2", "C3"]
    schools = {code: _school(authority, code, n) for n, code in enumerate(codes, start=1)}
    for order, (code, school) in enumerate(schools.items(), start=1):
        TrialSchool.objects.create(trial=trial, school=school)
        withdrawn = code in ("T5", "C3")
        enrolment = Enrolment.objects.create(
            programme=programme,
            school=school,
            arm="treatment" if code.startswith("T") else "control",
            block="990-secondary",
            random_number=order / 10,
            allocation_order=order,
            ssw=ssw,
            withdrawn_on=(dt.date(2024, 11, 4) if code == "T5" else dt.date(2024, 12, 2))
            if withdrawn
            else None,
            withdrawal_reason=WITHDRAWAL_REASON if withdrawn else "",
        )
        for number in range(1, HELD.get(code, 0) + 1):
            SupervisionSession.objects.create(
                enrolment=enrolment,
                ssw=ssw,
                number=number,
                scheduled_for=timezone.make_aware(
                    dt.datetime(2024, 9, 10, 10) + dt.timedelta(weeks=5 * (number - 1))
                ),
                format="group",
                mode="face_to_face",
                status="held",
                attendees=3,
                duration_minutes=110,
            )
    wave = Wave.objects.create(
        programme=programme,
        wave="baseline",
        opens_on=dt.date(2024, 10, 1),
        closes_on=dt.date(2024, 10, 31),
    )
    Wave.objects.create(
        programme=programme,
        wave="endline",
        opens_on=dt.date(2025, 6, 2),
        closes_on=dt.date(2025, 7, 11),
    )
    tokens = []
    for code, count in INVITED.items():
        for i in range(count):
            token = f"TOK{code}{i:02d}".ljust(16, "X")
            tokens.append(token)
            respondent = Respondent.objects.create(
                token=token, school=schools[code], role="lead_dsl"
            )
            if i < RESPONDED[code]:
                Response.objects.create(
                    respondent=respondent, wave=wave, submitted_on=dt.date(2024, 10, 10)
                )
    FrontDoorImport.objects.create(
        authority=authority,
        file_name="contacts.csv",
        file_sha256="0" * 64,
        format="ssd",
        imported_by="analyst",
        records=3,
        loaded=3,
        quarantined=0,
    )
    for n, day in enumerate(CONTACT_DAYS):
        Contact.objects.create(
            contact_id=f"C{authority.la_code}-{n}",
            person_id=f"P{n}",
            authority=authority,
            contact_date=day,
            source_code="2A",
            source_school=schools["T1"],
        )
    return BuiltTrial(trial=trial, programme=programme, schools=schools, tokens=tokens)
