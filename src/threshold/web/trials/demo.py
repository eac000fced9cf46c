"""A demo trial for `seed_demo`: Northmoor's programme extended to its ten schools not yet in
it, the schools chosen and the protocol drafted, ready for the demo evaluator (or LA lead) to
lock and randomise in the browser."""

from __future__ import annotations

import datetime as dt

from threshold.web.accounts.models import User
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme
from threshold.web.trials.models import Trial
from threshold.web.trials.protocol_form import ProtocolForm, draft_text
from threshold.web.trials.services import trial_create, trial_protocol_save, trial_schools_set

DEMO_LA = "990"
NAME = "Supervision for Northmoor's other secondary schools (demo)"
DRAW = (
    "UK National Lottery Lotto draw of the first Saturday after the protocol is locked: the "
    "six main numbers as published, then the bonus ball"
)
MSG_CREATED = (
    "trials demo: {name}, {schools} schools chosen, protocol drafted (lock and randomise it in "
    "the browser)"
)
MSG_EXISTS = "trials demo: {name} exists already: left as it is"
MSG_NO_PROGRAMME = "trials demo: Northmoor has no programme yet: no demo trial"
MSG_NO_EVALUATOR = "trials demo: there is no demo evaluator to create it: no demo trial"
EVALUATOR = "evaluator"


def seed_demo_trial() -> list[str]:
    """Create the demo trial, as the demo evaluator, unless it exists; a line saying what was
    done."""
    if Trial.objects.filter(name=NAME).exists():
        return [MSG_EXISTS.format(name=NAME)]
    by = User.objects.filter(username=EVALUATOR).first()
    if by is None:
        return [MSG_NO_EVALUATOR]
    programme = (
        Programme.objects.filter(authority__la_code=DEMO_LA).order_by("-school_year").first()
    )
    if programme is None:
        return [MSG_NO_PROGRAMME]
    schools = School.objects.filter(authority=programme.authority, status="open").exclude(
        enrolments__programme=programme
    )
    trial = trial_create(name=NAME, programmes=[programme], by=by)
    trial_schools_set(trial=trial, schools=schools, by=by)
    start = programme.starts_on.year
    form = ProtocolForm(
        data={
            "name": NAME,
            "primary": "nfa_contacts",
            "secondary": ["contacts", "referrals", "referral_nfa", "all_source_contacts"],
            "window_start": dt.date(start, 9, 1),
            "window_end": dt.date(start + 1, 7, 31),
            "baseline_start": dt.date(start - 1, 9, 1),
            "baseline_end": dt.date(start, 7, 31),
            "observed_by": dt.date(start + 1, 7, 31),
            "covariates": ["pct_fsm"],
            "subgroups": ["timing"],
            "robustness": ["poisson", "complete_case", "fsm"],
            "public_draw": DRAW,
            "public_draw_numbers": 7,
            "alpha": 0.05,
            "standard_errors": "hc1",
            "effect_size": "glass",
            "multiplicity": "hochberg",
        }
    )
    if not form.is_valid():  # the demo's own values: a fault here is a bug
        raise ValueError(form.errors.as_text())
    trial_protocol_save(trial=trial, text=form.apply(draft_text(trial)), by=by)
    return [MSG_CREATED.format(name=NAME, schools=trial.units.count())]
