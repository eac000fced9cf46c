"""Demo front-door data for `seed_demo`: pupils and % FSM for the demo schools, more secondary
schools in Northmoor (so that a school has similar schools to compare with), and two school
years of synthetic contacts and referrals (numpy, fixed seed) imported through the same path
as an LA's export."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from django.utils import timezone

from threshold.frontdoor import Profile
from threshold.model import ContactOutcome, ReferralOutcome, SourceCode
from threshold.web.audit.services import Actor
from threshold.web.insights.models import Contact
from threshold.web.insights.services import frontdoor_import
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.organisations.services import organisations_import

SEED = 20_240_901
FIGURES = {
    990001: (1_080, 24.0),
    990002: (940, 31.5),
    990003: (1_310, 12.0),
    991001: (1_150, 27.0),
    991002: (860, 18.5),
}
"""Pupils on roll and % FSM of seed_demo's schools."""
MORE_SCHOOLS = (
    (990004, "Brookfield High School", 1_020, 26.0),
    (990005, "Castle Hill Academy", 1_150, 22.5),
    (990006, "Dene Valley School", 890, 28.0),
    (990007, "Fairway Academy", 990, 33.0),
    (990008, "Greenbank High School", 1_100, 21.0),
    (990009, "Kingsmead School", 1_060, 29.5),
    (990010, "Larkfield Academy", 1_240, 8.5),
    (990011, "Oakwood High School", 720, 38.0),
    (990012, "Pennine View School", 1_420, 15.0),
    (990013, "Westgate Academy", 960, 23.5),
)
"""(URN, name, pupils, % FSM) of Northmoor's other demo secondary schools."""
CONTACTS_PER_PUPIL = 0.024
"""A year's contacts per pupil on roll (the evaluation's intervention-year mean)."""
CONTACT_OUTCOMES = {
    ContactOutcome.NFA: 0.30,
    ContactOutcome.INFORMATION_ADVICE: 0.20,
    ContactOutcome.EARLY_HELP: 0.15,
    ContactOutcome.REFERRAL: 0.35,
}
REFERRAL_OUTCOMES = {
    ReferralOutcome.NFA_AT_REFERRAL: 0.15,
    ReferralOutcome.NFA_AFTER_ASSESSMENT: 0.25,
    ReferralOutcome.EARLY_HELP: 0.15,
    ReferralOutcome.CHILD_IN_NEED: 0.30,
    ReferralOutcome.CHILD_PROTECTION: 0.15,
}
CONTACT_FIELDS = (
    "cont_contact_id",
    "cont_person_id",
    "cont_contact_date",
    "cont_contact_source_code",
    "cont_source_school_urn",
    "cont_child_school_urn",
    "cont_contact_outcome",
)
REFERRAL_FIELDS = (
    "cine_referral_id",
    "cine_contact_id",
    "cine_person_id",
    "cine_referral_date",
    "cine_referral_source_code",
    "cine_source_school_urn",
    "cine_child_school_urn",
    "cine_referral_outcome",
    "cine_close_date",
)
PROFILES = {
    "contacts": Profile(
        name="Threshold demo contacts",
        table="contacts",
        columns={name: (name,) for name in CONTACT_FIELDS},
    ),
    "referrals": Profile(
        name="Threshold demo referrals",
        table="referrals",
        columns={name: (name,) for name in REFERRAL_FIELDS},
    ),
}
MSG_IMPORTED = "front door: {authority}: {contacts} contacts and {referrals} referrals imported"
MSG_EXISTS = "front door: {authority} has contacts already: left as they are"


def seed_demo_frontdoor(*, by: Actor) -> list[str]:
    """Give the demo schools their figures, add Northmoor's other schools, and import two
    school years of contacts and referrals for each demo LA that has none; a line per LA."""
    _schools(by=by)
    today = timezone.localdate()
    start = dt.date(today.year - (today.month < 9) - 1, 9, 1)
    lines = []
    for authority in LocalAuthority.objects.filter(la_code__in=("990", "991")):
        if Contact.objects.filter(authority=authority).exists():
            lines.append(MSG_EXISTS.format(authority=authority.name))
            continue
        schools = list(authority.schools.exclude(pupils_on_roll=None))
        rng = np.random.default_rng([SEED, int(authority.la_code)])
        contacts, referrals = demo_records(schools, start=start, end=today, rng=rng)
        with tempfile.TemporaryDirectory() as directory:
            for table, frame in (("contacts", contacts), ("referrals", referrals)):
                path = Path(directory) / f"demo-{table}.csv"
                frame.to_csv(path, index=False)
                frontdoor_import(
                    authority=authority,
                    path=path,
                    format="mapped",
                    profile=PROFILES[table],
                    by=by,
                )
        lines.append(
            MSG_IMPORTED.format(
                authority=authority.name, contacts=len(contacts), referrals=len(referrals)
            )
        )
    return lines


def _schools(*, by: Actor) -> None:
    """Pupils and % FSM for seed_demo's schools and Northmoor's other schools (the import
    leaves schools that already have them unchanged)."""
    rows = [
        (school.urn, school.name, school.authority.la_code, school.phase, *FIGURES[school.urn])
        for school in School.objects.filter(urn__in=FIGURES).select_related("authority")
    ]
    rows += [
        (urn, name, "990", "secondary", pupils, fsm) for urn, name, pupils, fsm in MORE_SCHOOLS
    ]
    authorities = LocalAuthority.objects.filter(la_code__in={row[2] for row in rows})
    organisations_import(
        local_authorities=pd.DataFrame(
            {
                "la_code": [la.la_code for la in authorities],
                "la_name": [la.name for la in authorities],
                "region": [la.region for la in authorities],
            }
        ),
        schools=pd.DataFrame(
            rows, columns=["urn", "name", "la_code", "phase", "pupils_on_roll", "pct_fsm"]
        ),
        by=by,
    )


def demo_records(
    schools: list[School], *, start: dt.date, end: dt.date, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contacts from `schools` between `start` and `end` (a Poisson number a day, from pupils
    on roll, more where % FSM is higher, none at weekends or in August) and a referral for
    each contact that progressed to one, as the contract's columns."""
    days = pd.date_range(start, end, freq="D")
    open_days = days[(days.day_of_week < 5) & (days.month != 8)]
    contacts = []
    for school in schools:
        daily = (
            CONTACTS_PER_PUPIL * school.pupils_on_roll * (0.6 + (school.pct_fsm or 0) / 40)
        ) / 200
        counts = rng.poisson(daily, size=len(open_days))
        dates = np.repeat(open_days.to_numpy(), counts)
        outcomes = rng.choice(
            [o.value for o in CONTACT_OUTCOMES], size=len(dates), p=list(CONTACT_OUTCOMES.values())
        )
        children = 10 * school.pupils_on_roll
        for number, (date, outcome) in enumerate(zip(dates, outcomes, strict=True), start=1):
            contacts.append(
                {
                    "cont_contact_id": f"D{school.urn}-{number:05d}",
                    "cont_person_id": f"C{school.urn}-{int(rng.integers(1, children)):05d}",
                    "cont_contact_date": pd.Timestamp(date).date().isoformat(),
                    "cont_contact_source_code": SourceCode.SCHOOLS.value,
                    "cont_source_school_urn": school.urn,
                    "cont_child_school_urn": school.urn,
                    "cont_contact_outcome": outcome,
                }
            )
    contact_frame = pd.DataFrame(contacts, columns=list(CONTACT_FIELDS))
    progressed = contact_frame[contact_frame["cont_contact_outcome"] == ContactOutcome.REFERRAL]
    referrals = []
    for row in progressed.itertuples(index=False):
        referred = dt.date.fromisoformat(row.cont_contact_date) + dt.timedelta(
            days=int(rng.integers(0, 4))
        )
        outcome = rng.choice(
            [o.value for o in REFERRAL_OUTCOMES], p=list(REFERRAL_OUTCOMES.values())
        )
        closed = referred + dt.timedelta(days=int(rng.integers(5, 60)))
        done = closed <= end and referred <= end
        referrals.append(
            {
                "cine_referral_id": f"R{row.cont_contact_id[1:]}",
                "cine_contact_id": row.cont_contact_id,
                "cine_person_id": row.cont_person_id,
                "cine_referral_date": min(referred, end).isoformat(),
                "cine_referral_source_code": SourceCode.SCHOOLS.value,
                "cine_source_school_urn": row.cont_source_school_urn,
                "cine_child_school_urn": row.cont_child_school_urn,
                "cine_referral_outcome": outcome if done else ReferralOutcome.OPEN.value,
                "cine_close_date": closed.isoformat() if done else "",
            }
        )
    return contact_frame, pd.DataFrame(referrals, columns=list(REFERRAL_FIELDS))
