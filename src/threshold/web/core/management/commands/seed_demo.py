"""`manage.py seed_demo`: demo LAs, schools, one user per role (password from the
environment) and a demo supervision programme. Running it again adds only what is missing."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from threshold.web.accounts.demo import demo_database_mark, seed_demo_authenticators
from threshold.web.accounts.models import User
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.services import membership_grant, user_create
from threshold.web.guidance.demo import seed_demo_guidance
from threshold.web.insights.demo import seed_demo_frontdoor
from threshold.web.organisations.demo import seed_demo_settings
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.organisations.services import organisations_import
from threshold.web.programme.demo import seed_demo_programme
from threshold.web.supervision.demo import seed_demo_supervision
from threshold.web.surveys.demo import seed_demo_surveys
from threshold.web.trials.demo import seed_demo_trial

ACTOR = "command:seed_demo"
PASSWORD_VARIABLE = "THRESHOLD_DEMO_PASSWORD"
MSG_NO_PASSWORD = (
    f"set {PASSWORD_VARIABLE} to the password the demo users should have "
    "(at least 12 characters, not a common password)"
)
MSG_WEAK_PASSWORD = f"{PASSWORD_VARIABLE} is not accepted: {{reasons}}"
MSG_CREATED = "created {username} ({role}) — {where}"
MSG_EXISTS = "{username} exists already: left as it is"
DEMO_EMAIL = "{username}@example.org"
"""Demo users' addresses (a reserved domain): a password reset's link is printed by the
development settings' console e-mail backend."""

DEMO_AUTHORITIES = pd.DataFrame(
    {
        "la_code": ["990", "991"],
        "la_name": ["Northmoor (demo)", "Eastvale (demo)"],
        "region": ["North West", "North West"],
    }
)
DEMO_SCHOOLS = pd.DataFrame(
    {
        "urn": [990001, 990002, 990003, 991001, 991002],
        "name": [
            "Northmoor Academy",
            "St Bede's High School",
            "Hollins Park School",
            "Eastvale Community College",
            "Riverside High School",
        ],
        "la_code": ["990", "990", "990", "991", "991"],
        "phase": ["secondary"] * 5,
    }
)
DEMO_USERS: tuple[tuple[str, str, RoleName, tuple[str, ...], tuple[int, ...]], ...] = (
    ("la.lead", "Asha Patel", RoleName.LA_LEAD, ("990",), ()),
    ("ssw", "Sam Okoro", RoleName.SSW, ("990", "991"), ()),
    ("dsl.lead", "Jo Hughes", RoleName.DSL_LEAD, (), (990001,)),
    ("dsl.deputy", "Chris Lee", RoleName.DSL_DEPUTY, (), (990001,)),
    ("la.analyst", "Priya Shah", RoleName.LA_ANALYST, ("990",), ()),
    ("evaluator", "Morgan Reid", RoleName.EVALUATOR, (), ()),
    ("admin", "Alex Brown", RoleName.SYSTEM_ADMIN, (), ()),
)
"""(username, full name, role, LA codes, school URNs): one user per role; the SSW covers two LAs."""


class Command(BaseCommand):
    help = (
        f"Create demo LAs, schools and one user per role, with the password in {PASSWORD_VARIABLE}."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            raise CommandError(MSG_NO_PASSWORD)
        demo_database_mark(by=ACTOR)
        organisations_import(local_authorities=DEMO_AUTHORITIES, schools=DEMO_SCHOOLS, by=ACTOR)
        for line in seed_demo_settings(by=ACTOR):
            self.stdout.write(line)
        for username, full_name, role, la_codes, urns in DEMO_USERS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(MSG_EXISTS.format(username=username))
                continue
            try:
                first_name, _, last_name = full_name.partition(" ")
                user = user_create(
                    username=username,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    email=DEMO_EMAIL.format(username=username),
                    by=ACTOR,
                )
            except ValidationError as error:
                raise CommandError(
                    MSG_WEAK_PASSWORD.format(reasons=" ".join(error.messages))
                ) from error
            places = [
                {"authority": authority}
                for authority in LocalAuthority.objects.filter(la_code__in=la_codes)
            ] + [{"school": school} for school in School.objects.filter(urn__in=urns)]
            for place in places or [{}]:
                membership_grant(user=user, role=role, by=ACTOR, **place)
            where = ", ".join(str(v) for place in places for v in place.values()) or "everywhere"
            self.stdout.write(MSG_CREATED.format(username=username, role=role.label, where=where))
        for line in seed_demo_programme(by=ACTOR):
            self.stdout.write(line)
        for line in seed_demo_supervision():
            self.stdout.write(line)
        for line in seed_demo_frontdoor(by=ACTOR):
            self.stdout.write(line)
        for line in seed_demo_surveys(by=ACTOR):
            self.stdout.write(line)
        for line in seed_demo_guidance():
            self.stdout.write(line)
        for line in seed_demo_trial():
            self.stdout.write(line)
        # Last, so that `make demo` shows the keys just before the service starts.
        users = User.objects.filter(username__in=[username for username, *_ in DEMO_USERS])
        for line in seed_demo_authenticators(users=users.order_by("pk"), by=ACTOR):
            self.stdout.write(line)
