"""Trial health while there is time to act: take-up by arm, survey response rates by arm and
wave (with the gap between the arms and its 95% confidence interval), withdrawals, and each
LA's front-door data (how fresh, and months missing), with a warning, saying what to do,
wherever a threshold set in the trial is crossed. Counts only: never who answered a survey.

`trial_health_mail` e-mails each randomised trial's summary weekly (once per ISO week) to the
evaluators and the trial's LA leads.

The gap between the arms' response rates is the treatment rate minus the control rate among
the people given a survey link, with Newcombe's hybrid score interval (method "newcomb" of
statsmodels' `confint_proportions_2indep`), which keeps within −100 to +100 points and behaves
with small or extreme counts where a Wald interval does not.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from statsmodels.stats.proportion import confint_proportions_2indep

from threshold.model import Arm, SessionStatus, SurveyWave
from threshold.surveys import rates_by_arm, rates_by_school
from threshold.trial import load_protocol
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.roles import RoleName
from threshold.web.audit.models import AuditAction, AuditEvent
from threshold.web.audit.services import Actor, audit_read, record_event, target_of
from threshold.web.insights.models import Contact
from threshold.web.insights.selectors import freshness
from threshold.web.organisations.models import LocalAuthority
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.selectors import day_text, school_take_up
from threshold.web.surveys.models import Respondent, Response, Wave
from threshold.web.surveys.selectors import SMALL_COUNT
from threshold.web.trials.files import protocol_path
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_authorities

GAP_METHOD = "newcomb"
"""The interval for the difference of two response rates (statsmodels' name)."""

SUPPRESSED = f"fewer than {SMALL_COUNT}"

NOT_RANDOMISED = (
    "This trial has not been randomised yet, so there is nothing to show by arm. Take-up, "
    "survey response by arm and withdrawals appear here once the schools are randomised."
)
NO_TREATMENT = "No school is in the treatment arm yet (or every treatment school has withdrawn)."
NO_CONTROL = "No school is in the control arm."
NO_CONTAMINATION = "No control school has had a supervision session."
NO_WAVE = "No survey wave has been set up for this trial's programmes yet."
WAVE_NOT_OPEN = "This wave opens on {opens}; there is nothing to count yet."
NO_ONE_INVITED = (
    "No one in the {arm} arm has been given a survey link, so no rate can be worked out."
)
TOO_FEW_TO_COMPARE = (
    "The arms are compared once at least {small} people in each have responded (fewer could "
    "tell who answered)."
)
NO_WITHDRAWALS = "No school has withdrawn."
NO_DATA = "No front-door data have been imported."
NO_GAPS = "No month without contacts."

WARN_TAKE_UP = (
    "Take-up is behind plan: {on_plan_pct:.0f}% of treatment schools ({on_plan} of {schools}) "
    "have had the sessions planned by now, below the trial's threshold of {threshold}%. "
    "Ask the supervising social workers to book sessions with the schools listed under "
    "'Behind plan' on the trial health page, starting with those with no session yet."
)
WARN_CONTAMINATION = (
    "{count} control {schools} had supervision sessions ({names}). A control school "
    "should not be supervised: tell the LA lead, stop further sessions, and record it (the "
    "analysis keeps these schools in the control arm, as allocated)."
)
WARN_RESPONSE_GAP = (
    "{wave}: survey response rates differ between the arms by {gap:.0f} percentage points "
    "(treatment {treatment:.0f}%, control {control:.0f}%), more than the trial's threshold of "
    "{threshold} points. A gap this size can bias the comparison: {action}"
)
ACT_OPEN = "chase the non-responding schools in the arm that lags before the wave closes."
ACT_CLOSED = (
    "the wave has closed, so record the gap for the analysis of attrition and plan to chase "
    "the arm that lagged at the next wave."
)
WARN_NO_DATA = (
    "{authority} has no front-door data imported. Ask its LA analyst to import the front "
    "door's contacts and referrals."
)
WARN_DATA_AGE = (
    "{authority}'s front-door data are {age} days old (latest record {latest}), more than the "
    "trial's threshold of {threshold} days. Ask its LA analyst to import a newer export."
)
WARN_GAPS = (
    "{authority}'s front-door data have no contacts in {months}, inside the trial's windows. "
    "Check with its LA analyst whether the export for those months was missed."
)

MAIL_ACTOR_OBJECT = "trials.health_mail"
MAIL_SUBJECT = "Trial health: {trial} (week {week})"
MAIL_BODY = """Trial health for {trial} on {today}.

{warnings}

Headline figures
{headlines}

The full picture, by arm and by local authority: {link}

You receive this weekly because you are an evaluator or an LA lead of this trial.
"""
MAIL_NO_WARNINGS = "No warnings: every figure is within the trial's thresholds."
MAIL_WARNINGS = "Warnings\n{items}"


@dataclass(frozen=True)
class Alert:
    """A threshold crossed: what crossed and what to do, in one sentence or two."""

    topic: str
    text: str


@dataclass(frozen=True)
class SchoolProgress:
    """A treatment school's sessions held against the number planned by now."""

    name: str
    urn: int
    authority: str
    held: int
    expected: int
    last_held: dt.date | None
    overdue: bool

    @property
    def on_plan(self) -> bool:
        return self.held >= self.expected


@dataclass(frozen=True)
class TakeUpHealth:
    """Take-up by arm: the treatment schools' sessions against plan, and control schools that
    had sessions (contamination)."""

    treatment_schools: int
    control_schools: int
    held: int
    expected: int
    on_plan: int
    no_session: tuple[SchoolProgress, ...]
    behind: tuple[SchoolProgress, ...]
    contaminated: tuple[tuple[str, int], ...]
    note: str = ""

    @property
    def on_plan_pct(self) -> float | None:
        if not self.treatment_schools:
            return None
        return 100 * self.on_plan / self.treatment_schools

    @property
    def held_per_school(self) -> float | None:
        return self.held / self.treatment_schools if self.treatment_schools else None

    @property
    def expected_per_school(self) -> float | None:
        return self.expected / self.treatment_schools if self.treatment_schools else None


@dataclass(frozen=True)
class ArmResponse:
    """One arm at one wave: people given a link and people who responded (None when fewer
    than `SMALL_COUNT`), and the rate (None when not shown)."""

    arm: str
    label: str
    invited: int
    responded: int | None
    rate_pct: float | None


@dataclass(frozen=True)
class WaveResponse:
    """Response by arm at one wave, and the gap (treatment − control, percentage points)."""

    wave: str
    label: str
    arms: tuple[ArmResponse, ...]
    gap_points: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    note: str = ""
    closed: bool = False


@dataclass(frozen=True)
class Withdrawal:
    arm: str
    school: str
    on: dt.date
    reason: str


@dataclass(frozen=True)
class ArmWithdrawals:
    arm: str
    label: str
    withdrawals: tuple[Withdrawal, ...]


@dataclass(frozen=True)
class DataHealth:
    """One LA's front-door data: the latest import and record, their age, and months inside
    the trial's windows (up to the latest record) with no contacts."""

    authority: str
    la_code: str
    last_import: dt.date | None
    latest_record: dt.date | None
    age_days: int | None
    gaps: tuple[str, ...]


@dataclass(frozen=True)
class Health:
    trial: Trial
    today: dt.date
    randomised: bool
    alerts: tuple[Alert, ...]
    take_up: TakeUpHealth | None
    responses: tuple[WaveResponse, ...]
    responses_note: str
    withdrawals: tuple[ArmWithdrawals, ...]
    data: tuple[DataHealth, ...]
    windows: tuple[tuple[dt.date, dt.date], ...] = field(default=())

    def headlines(self) -> list[str]:
        """The figures a weekly e-mail leads with (counts only)."""
        lines = []
        if not self.randomised:
            return [NOT_RANDOMISED]
        take_up = self.take_up
        if take_up is not None and take_up.treatment_schools:
            lines.append(
                f"Take-up: {take_up.on_plan} of {take_up.treatment_schools} treatment schools "
                f"on plan; {len(take_up.no_session)} with no session yet; {take_up.held} "
                f"sessions held against {take_up.expected} planned by now."
            )
        elif take_up is not None:
            lines.append(take_up.note)
        for wave in self.responses:
            if not wave.arms:
                lines.append(f"{wave.label} survey: {wave.note}")
                continue
            rates = ", ".join(
                f"{arm.arm} {arm.rate_pct:.0f}%"
                if arm.rate_pct is not None
                else f"{arm.arm} {SUPPRESSED} responses"
                for arm in wave.arms
            )
            lines.append(f"{wave.label} survey response: {rates}.")
        if self.responses_note:
            lines.append(self.responses_note)
        withdrawn = ", ".join(f"{len(a.withdrawals)} {a.arm}" for a in self.withdrawals)
        lines.append(f"Withdrawals: {withdrawn}.")
        for data in self.data:
            latest = day_text(data.latest_record) if data.latest_record else "none"
            lines.append(f"{data.authority}: latest front-door record {latest}.")
        return lines


def _expected(enrolment: Enrolment, today: dt.date) -> int:
    """Sessions the school should have had by `today`: the programme's planned sessions
    spread evenly over its start to end (whole sessions, rounded down)."""
    programme = enrolment.programme
    if today < programme.starts_on:
        return 0
    span = (programme.ends_on - programme.starts_on).days
    if span <= 0 or today >= programme.ends_on:
        return programme.planned_sessions
    return math.floor(programme.planned_sessions * (today - programme.starts_on).days / span)


def _enrolments(trial: Trial) -> list[Enrolment]:
    """The allocation: the enrolments of the trial's units in their LA's programme."""
    schools = trial.units.values("school")
    return list(
        Enrolment.objects.filter(programme__trials=trial, school__in=schools)
        .select_related("school__authority", "programme")
        .prefetch_related(
            Prefetch("sessions", SupervisionSession.objects.order_by("scheduled_for"))
        )
        .order_by("school__name")
    )


def _take_up(enrolments: list[Enrolment], today: dt.date) -> TakeUpHealth:
    treatment = [e for e in enrolments if e.arm == Arm.TREATMENT and e.withdrawn_on is None]
    control = [e for e in enrolments if e.arm == Arm.CONTROL]
    schools = []
    for enrolment in treatment:
        standing = school_take_up(enrolment, today=today)
        schools.append(
            SchoolProgress(
                name=enrolment.school.name,
                urn=enrolment.school.urn,
                authority=enrolment.school.authority.shown_name,
                held=standing.held,
                expected=_expected(enrolment, today),
                last_held=standing.last_held,
                overdue=standing.overdue,
            )
        )
    contaminated = []
    for enrolment in control:
        held = sum(1 for s in enrolment.sessions.all() if s.status == SessionStatus.HELD)
        if held:
            contaminated.append((enrolment.school.name, held))
    return TakeUpHealth(
        treatment_schools=len(schools),
        control_schools=len(control),
        held=sum(s.held for s in schools),
        expected=sum(s.expected for s in schools),
        on_plan=sum(1 for s in schools if s.on_plan),
        no_session=tuple(s for s in schools if s.held == 0),
        behind=tuple(s for s in schools if not s.on_plan),
        contaminated=tuple(contaminated),
        note="" if schools else NO_TREATMENT,
    )


def _gap(counts: dict[str, tuple[int, int]]) -> tuple[float, float, float]:
    """The treatment − control difference of (responded, invited) rates in percentage points
    and its 95% interval."""
    (r1, n1), (r0, n0) = counts[Arm.TREATMENT.value], counts[Arm.CONTROL.value]
    low, high = confint_proportions_2indep(r1, n1, r0, n0, method=GAP_METHOD, compare="diff")
    return 100 * (r1 / n1 - r0 / n0), 100 * float(low), 100 * float(high)


def _responses(
    trial: Trial, enrolments: list[Enrolment], today: dt.date
) -> tuple[list[WaveResponse], str]:
    """Person-level response rates by arm at each wave of the trial's programmes (schools not
    withdrawn), as the surveys' monitoring counts them."""
    waves = list(Wave.objects.filter(programme__trials=trial).order_by("opens_on"))
    if not waves:
        return [], NO_WAVE
    current = {e.school_id: e for e in enrolments if e.withdrawn_on is None}
    invited = pd.DataFrame(
        [
            {
                "respondent_token": token,
                "urn": current[school].school.urn,
                "arm": current[school].arm,
            }
            for token, school in Respondent.objects.filter(school__in=list(current)).values_list(
                "token", "school_id"
            )
        ],
        columns=["respondent_token", "urn", "arm"],
    )
    schools = pd.DataFrame(
        [{"urn": e.school.urn, "arm": e.arm} for e in current.values()], columns=["urn", "arm"]
    )
    result = []
    for kind in SurveyWave:
        of_kind = [w for w in waves if w.wave == kind.value]
        if not of_kind:
            continue
        opens = min(w.opens_on for w in of_kind)
        if opens > today:
            result.append(
                WaveResponse(
                    wave=kind.value,
                    label=kind.label,
                    arms=(),
                    note=WAVE_NOT_OPEN.format(opens=day_text(opens)),
                )
            )
            continue
        answered = set(
            Response.objects.filter(wave__in=of_kind).values_list("respondent__token", flat=True)
        )
        by_arm = rates_by_arm(rates_by_school(invited, answered, schools)).set_index("arm")
        counts = {
            arm.value: (
                int(by_arm.at[arm.value, "responded"]),
                int(by_arm.at[arm.value, "invited"]),
            )
            for arm in Arm
        }
        arms = tuple(
            ArmResponse(
                arm=arm.value,
                label=arm.label,
                invited=counts[arm.value][1],
                responded=counts[arm.value][0] if counts[arm.value][0] >= SMALL_COUNT else None,
                rate_pct=(
                    100 * counts[arm.value][0] / counts[arm.value][1]
                    if counts[arm.value][0] >= SMALL_COUNT
                    else None
                ),
            )
            for arm in Arm
        )
        uninvited = [arm for arm in arms if arm.invited == 0]
        if uninvited:
            note = " ".join(NO_ONE_INVITED.format(arm=arm.arm) for arm in uninvited)
            result.append(WaveResponse(wave=kind.value, label=kind.label, arms=arms, note=note))
        elif any(arm.responded is None for arm in arms):
            note = TOO_FEW_TO_COMPARE.format(small=SMALL_COUNT)
            result.append(WaveResponse(wave=kind.value, label=kind.label, arms=arms, note=note))
        else:
            gap, low, high = _gap(counts)
            result.append(
                WaveResponse(
                    wave=kind.value,
                    label=kind.label,
                    arms=arms,
                    gap_points=gap,
                    ci_low=low,
                    ci_high=high,
                    closed=max(w.closes_on for w in of_kind) < today,
                )
            )
    return result, ""


def _withdrawals(enrolments: list[Enrolment]) -> list[ArmWithdrawals]:
    return [
        ArmWithdrawals(
            arm=arm.value,
            label=arm.label,
            withdrawals=tuple(
                Withdrawal(
                    arm=arm.value,
                    school=e.school.name,
                    on=e.withdrawn_on,
                    reason=e.withdrawal_reason,
                )
                for e in sorted(enrolments, key=lambda e: e.withdrawn_on or dt.date.min)
                if e.arm == arm.value and e.withdrawn_on is not None
            ),
        )
        for arm in Arm
    ]


def trial_windows(trial: Trial) -> list[tuple[dt.date, dt.date]]:
    """The outcome and baseline windows of the trial's protocol; without a readable protocol,
    the programmes' years (first to last day sessions may be held)."""
    path = protocol_path(trial)
    windows: list[tuple[dt.date, dt.date]] = []
    if path.exists():
        try:
            protocol = load_protocol(path)
        except (ValueError, OSError):
            protocol = None
        if protocol is not None:
            for outcome in protocol.outcomes:
                windows.extend(w for w in (outcome.baseline_window, outcome.window) if w)
    if not windows:
        windows = [(p.starts_on, p.ends_on) for p in trial.programmes.all()]
    return sorted(set(windows))


def _months(windows: list[tuple[dt.date, dt.date]], last: dt.date) -> list[dt.date]:
    """First days of the months touched by `windows`, up to the month of `last`."""
    months: set[dt.date] = set()
    for start, end in windows:
        month = start.replace(day=1)
        while month <= min(end, last):
            months.add(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return sorted(months)


def _data(
    authority: LocalAuthority, windows: list[tuple[dt.date, dt.date]], today: dt.date
) -> DataHealth:
    fresh = freshness(authority)
    latest = fresh.latest_contact
    gaps: list[str] = []
    if latest is not None:
        months = _months(windows, latest)
        if months:
            counted = set(
                Contact.objects.filter(
                    authority=authority,
                    contact_date__gte=months[0],
                    contact_date__lte=latest,
                ).dates("contact_date", "month")
            )
            gaps = [f"{m:%B %Y}" for m in months if m not in counted]
    return DataHealth(
        authority=authority.shown_name,
        la_code=authority.la_code,
        last_import=(
            fresh.last_import.imported_at.date() if fresh.last_import is not None else None
        ),
        latest_record=latest,
        age_days=(today - latest).days if latest is not None else None,
        gaps=tuple(gaps),
    )


def _alerts(
    trial: Trial,
    take_up: TakeUpHealth | None,
    responses: list[WaveResponse],
    data: list[DataHealth],
) -> list[Alert]:
    alerts = []
    pct = None if take_up is None else take_up.on_plan_pct
    if pct is not None and pct < trial.take_up_warning_pct:
        words = {
            "on_plan_pct": pct,
            "on_plan": take_up.on_plan,
            "schools": take_up.treatment_schools,
            "threshold": trial.take_up_warning_pct,
        }
        alerts.append(Alert("take-up", WARN_TAKE_UP.format(**words)))
    if take_up is not None and take_up.contaminated:
        alerts.append(
            Alert(
                "contamination",
                WARN_CONTAMINATION.format(
                    count=len(take_up.contaminated),
                    schools="school has" if len(take_up.contaminated) == 1 else "schools have",
                    names=", ".join(name for name, _ in take_up.contaminated),
                ),
            )
        )
    for wave in responses:
        if wave.gap_points is not None and abs(wave.gap_points) > trial.response_gap_warning_points:
            treatment, control = wave.arms
            alerts.append(
                Alert(
                    "survey response",
                    WARN_RESPONSE_GAP.format(
                        wave=wave.label,
                        gap=abs(wave.gap_points),
                        treatment=treatment.rate_pct,
                        control=control.rate_pct,
                        threshold=trial.response_gap_warning_points,
                        action=ACT_CLOSED if wave.closed else ACT_OPEN,
                    ),
                )
            )
    for place in data:
        if place.latest_record is None:
            alerts.append(Alert("front-door data", WARN_NO_DATA.format(authority=place.authority)))
            continue
        if place.age_days > trial.data_age_warning_days:
            alerts.append(
                Alert(
                    "front-door data",
                    WARN_DATA_AGE.format(
                        authority=place.authority,
                        age=place.age_days,
                        latest=day_text(place.latest_record),
                        threshold=trial.data_age_warning_days,
                    ),
                )
            )
        if place.gaps:
            alerts.append(
                Alert(
                    "front-door data",
                    WARN_GAPS.format(authority=place.authority, months=", ".join(place.gaps)),
                )
            )
    return alerts


def trial_health(trial: Trial, *, today: dt.date) -> Health:
    """The trial's health on `today` (not audited: `trial_health_read` is the audited read)."""
    windows = trial_windows(trial)
    data = [_data(la, windows, today) for la in trial_authorities(trial)]
    randomised = trial.stage == Trial.Stage.RANDOMISED
    if not randomised:
        return Health(
            trial=trial,
            today=today,
            randomised=False,
            alerts=tuple(_alerts(trial, None, [], data)),
            take_up=None,
            responses=(),
            responses_note=NOT_RANDOMISED,
            withdrawals=(),
            data=tuple(data),
            windows=tuple(windows),
        )
    enrolments = _enrolments(trial)
    take_up = _take_up(enrolments, today)
    responses, responses_note = _responses(trial, enrolments, today)
    return Health(
        trial=trial,
        today=today,
        randomised=True,
        alerts=tuple(_alerts(trial, take_up, responses, data)),
        take_up=take_up,
        responses=tuple(responses),
        responses_note=responses_note,
        withdrawals=tuple(_withdrawals(enrolments)),
        data=tuple(data),
        windows=tuple(windows),
    )


def trial_health_read(trial: Trial, *, today: dt.date, by: Actor) -> Health:
    """`trial_health`, recorded as a read of the trial's supervision, survey and front-door
    counts: one event in each of its LAs' logs (one in none, while it has no LA)."""
    health = trial_health(trial, today=today)
    codes = [data.la_code for data in health.data] or [""]
    for code in codes:
        audit_read(by=by, **target_of(trial), authority_code=code, detail={"what": "trial health"})
    return health


# The weekly e-mail


def iso_week(today: dt.date) -> str:
    """`2026-W49`: the ISO week `today` falls in (the e-mail's once-a-week key)."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def health_recipients(trial: Trial) -> list[User]:
    """Active users with an e-mail address who are evaluators, or LA leads of the trial's LAs."""
    memberships = Membership.objects.filter(
        Q(role=RoleName.EVALUATOR)
        | Q(role=RoleName.LA_LEAD, authority__in=trial_authorities(trial))
    )
    return list(
        User.objects.filter(pk__in=memberships.values("user_id"), is_active=True)
        .exclude(email="")
        .order_by("username")
    )


def health_mail_text(health: Health, *, link: str) -> tuple[str, str]:
    """The e-mail's subject and body: the warnings, the headline figures and the link."""
    warnings = (
        MAIL_WARNINGS.format(items="\n".join(f"- {alert.text}" for alert in health.alerts))
        if health.alerts
        else MAIL_NO_WARNINGS
    )
    subject = MAIL_SUBJECT.format(trial=health.trial.name, week=iso_week(health.today))
    body = MAIL_BODY.format(
        trial=health.trial.name,
        today=day_text(health.today),
        warnings=warnings,
        headlines="\n".join(f"- {line}" for line in health.headlines()),
        link=link,
    )
    return subject, body


@dataclass(frozen=True)
class MailRun:
    """What one run of the weekly e-mail did: trials mailed, trials already mailed this week,
    and messages sent."""

    mailed: tuple[str, ...]
    already: tuple[str, ...]
    messages: int


def _mailed(trial: Trial, week: str) -> bool:
    return AuditEvent.objects.filter(
        object_type=MAIL_ACTOR_OBJECT, object_id=f"{trial.pk}/{week}"
    ).exists()


def trial_health_mail(*, today: dt.date, site_url: str, by: Actor) -> MailRun:
    """E-mail each randomised trial with `health_email` on its health summary, once per ISO
    week: a run that finds this week's e-mail already recorded for a trial skips it. Each
    sending is recorded as an audit event (the trial, the week, how many people), which is also
    the read of the trial's counts."""
    week = iso_week(today)
    mailed, already, messages = [], [], 0
    trials = Trial.objects.filter(stage=Trial.Stage.RANDOMISED, health_email=True).order_by("pk")
    for trial in trials:
        with transaction.atomic():
            if _mailed(trial, week):
                already.append(trial.name)
                continue
            health = trial_health(trial, today=today)
            link = site_url.rstrip("/") + reverse("trials:health", kwargs={"trial_pk": trial.pk})
            subject, body = health_mail_text(health, link=link)
            recipients = health_recipients(trial)
            with get_connection() as connection:
                for user in recipients:
                    EmailMessage(
                        subject,
                        body,
                        settings.DEFAULT_FROM_EMAIL,
                        [user.email],
                        connection=connection,
                    ).send()
            record_event(
                by=by,
                action=AuditAction.CREATE,
                object_type=MAIL_ACTOR_OBJECT,
                object_id=f"{trial.pk}/{week}",
                detail={
                    "trial": trial.pk,
                    "week": week,
                    "recipients": len(recipients),
                    "warnings": len(health.alerts),
                },
            )
            mailed.append(trial.name)
            messages += len(recipients)
    return MailRun(mailed=tuple(mailed), already=tuple(already), messages=messages)
