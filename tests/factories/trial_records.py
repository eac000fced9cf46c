"""A randomised trial over two LAs with every kind of record the export reads: schools,
enrolments (one withdrawn, with a reason that names someone), an SSW's sessions (one cancelled
with a reason that names someone), survey responses, and each LA's front-door export imported
through the service (contacts whose free text names a teacher; a referral from a contact), and
a locked protocol in the trial's folder.

Every name that must never reach an export is in `SECRETS`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils import timezone

from threshold.model import Arm
from threshold.trial import lock_protocol, template
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, Programme, SupervisionSession
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.trials.files import protocol_path, trial_folder
from threshold.web.trials.models import Trial, TrialSchool

SCHOOLS_PER_LA = 6
PASSWORD = "correct horse battery staple"  # every test user's (tests/web/conftest.py)
WITHDRAWAL_REASON = "Head teacher Mrs Prudence Oakley refused"
CHANGE_REASON = "Mr Barnaby Quill was off sick"
SCHOOL_NAME_NOTE = "Northmoor Acad (Ms Philippa Dunmore)"
SSW_USERNAME = "ssw.hortensia"
TOKENS = {990001: "HOMETOKEN0000001", 991001: "OTHERTOKEN000001"}
SECRETS = (
    WITHDRAWAL_REASON,
    CHANGE_REASON,
    "Philippa",
    "Dunmore",
    SSW_USERNAME,
    "Hortensia",
    "Blackwood",
    *TOKENS.values(),
)
CONTACT_HEADER = (
    "cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,"
    "cont_contact_outcome_json,cont_source_school_urn,cont_source_school_name,"
    "cont_child_school_urn\n"
)
REFERRAL_HEADER = (
    "cine_referral_id,cine_contact_id,cine_person_id,cine_referral_date,"
    "cine_referral_source_code,cine_referral_nfa,cine_close_date,cine_source_school_urn,"
    "cine_child_school_urn\n"
)


@dataclass(frozen=True)
class TrialRecords:
    trial: Trial
    evaluator: User
    ssw: User
    home: LocalAuthority
    other: LocalAuthority


def protocol_text() -> str:
    """The evaluation's protocol with its primary outcome only, over 2024/25 (baseline
    2023/24), and no subgroups or compliance analyses (too few schools here)."""
    text = template()
    head = text[: text.index("[[outcome]]")]
    primary = text[text.index("[[outcome]]") : text.index('[[outcome]]\nname = "contacts"')]
    primary = primary.replace('["2021-09-01", "2022-07-31"]', '["2024-09-01", "2025-07-31"]')
    primary = primary.replace('["2020-09-01", "2021-07-31"]', '["2023-09-01", "2024-07-31"]')
    return head + primary


def _front_door(la: LocalAuthority, schools: list[School], rng: np.random.Generator) -> tuple:
    """An SSD contacts and an SSD episodes export for `la`: each school makes a few contacts
    in each year, some ending in NFA; the police make one about a pupil; the first contact of
    each LA becomes a referral of the same child."""
    contacts, referrals = [CONTACT_HEADER], [REFERRAL_HEADER]
    number = 0
    for school in schools:
        for year in (2023, 2024):
            for _ in range(int(rng.integers(1, 6))):
                number += 1
                day = dt.date(year, 9, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
                flag = "Y" if rng.random() < 0.5 else "N"
                note = SCHOOL_NAME_NOTE if number == 1 else school.name
                contacts.append(
                    f"K{number},P{number % 7},{day.isoformat()},2A,"
                    f'"{{""OUTCOME_NFA_FLAG"": ""{flag}""}}",{school.urn},{note},{school.urn}\n'
                )
    contacts.append(f'K999,P1,2024-10-01,6,"{{""OUTCOME_NFA_FLAG"": ""N""}}",,,{schools[0].urn}\n')
    referrals.append(
        f"R1,K1,P1,2023-10-20,2A,Y,2023-11-01,{schools[0].urn},{schools[0].urn}\n"
        f"R2,,P3,2024-11-20,2A,N,,{schools[1].urn},{schools[1].urn}\n"
    )
    return "".join(contacts), "".join(referrals)


def build_trial(places: dict[str, object], tmp_path: Path, settings: object) -> TrialRecords:
    """The trial (see the module's words); stores and trial folders under `tmp_path`."""
    settings.FRONTDOOR_STORE_ROOT = tmp_path / "frontdoor"
    settings.TRIALS_ROOT = tmp_path / "trials"
    rng = np.random.default_rng(20241)
    tmp_path.mkdir(parents=True, exist_ok=True)
    home, other = places["home_la"], places["other_la"]
    evaluator = user_create(username="evaluator.export", password=PASSWORD, by="test")
    membership_grant(user=evaluator, role=RoleName.EVALUATOR, by="test")
    ssw = user_create(
        username=SSW_USERNAME,
        password=PASSWORD,
        first_name="Hortensia",
        last_name="Blackwood",
        by="test",
    )
    membership_grant(user=ssw, role=RoleName.SSW, authority=home, by="test")
    trial = Trial.objects.create(
        name="Supervision trial 2024/25", created_by=evaluator, stage=Trial.Stage.RANDOMISED
    )
    for la, first in ((home, places["home_school"]), (other, places["other_school"])):
        programme = Programme.objects.create(
            authority=la,
            school_year="2024/25",
            starts_on=dt.date(2024, 9, 1),
            ends_on=dt.date(2025, 7, 31),
        )
        trial.programmes.add(programme)
        schools = [first] + [
            School.objects.create(
                urn=first.urn + 10 * i,
                name=f"{la.name} School {i}",
                authority=la,
                phase="secondary",
            )
            for i in range(1, SCHOOLS_PER_LA)
        ]
        School.objects.filter(pk__in=[s.pk for s in schools]).update(
            pupils_on_roll=1000, pct_fsm=20.0
        )
        for order, school in enumerate(schools, start=1):
            TrialSchool.objects.create(trial=trial, school=school)
            enrolment = Enrolment.objects.create(
                programme=programme,
                school=school,
                arm=Arm.TREATMENT if order % 2 else Arm.CONTROL,
                block=f"{la.la_code}-high",
                random_number=order / 10,
                allocation_order=order,
                ssw=ssw if la == home else None,
                withdrawn_on=dt.date(2025, 1, 10) if school.urn == first.urn + 50 else None,
                withdrawal_reason=WITHDRAWAL_REASON if school.urn == first.urn + 50 else "",
            )
            if la == home and enrolment.arm == Arm.TREATMENT:
                when = timezone.make_aware(dt.datetime(2024, 10, order, 14))
                SupervisionSession.objects.create(
                    enrolment=enrolment, ssw=ssw, number=1, scheduled_for=when,
                    format="group", mode="face_to_face", status="held", attendees=3,
                    duration_minutes=100,
                )  # fmt: skip
                SupervisionSession.objects.create(
                    enrolment=enrolment, ssw=ssw, number=2,
                    scheduled_for=when + dt.timedelta(days=35), format="group", mode="online",
                    status="cancelled", changed_by="school", change_reason=CHANGE_REASON,
                )  # fmt: skip
        wave = Wave.objects.create(
            programme=programme,
            wave="baseline",
            opens_on=dt.date(2024, 10, 1),
            closes_on=dt.date(2024, 10, 31),
        )
        respondent = Respondent.objects.create(
            token=TOKENS[first.urn], school=first, role="lead_dsl"
        )
        Response.objects.create(
            respondent=respondent,
            wave=wave,
            submitted_on=dt.date(2024, 10, 9),
            warr_tense="some_of_the_time",
            warr_gloomy="never",
        )
        contacts, episodes = _front_door(la, schools, rng)
        for name, text in (("ssd_contacts.csv", contacts), ("ssd_cin_episodes.csv", episodes)):
            path = tmp_path / f"{la.la_code}-{name}"
            path.write_text(text, encoding="utf-8")
            frontdoor_import(authority=la, path=path, format="ssd", by="test")
    folder = trial_folder(trial)
    folder.mkdir(parents=True)
    protocol_path(trial).write_text(protocol_text(), encoding="utf-8")
    lock_protocol(protocol_path(trial), software="threshold test")
    (folder / "units.csv").write_text("urn,la_code\n990001,990\n", encoding="utf-8")
    (folder / "allocation.csv").write_text("urn,arm\n990001,treatment\n", encoding="utf-8")
    return TrialRecords(trial=trial, evaluator=evaluator, ssw=ssw, home=home, other=other)
