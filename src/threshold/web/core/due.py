"""What is due, for the home page: one section for each of a person's roles that has work to do
in the week, each item linking to the page where it is done. Reads only.

- An SSW (`supervision.record`): this week's sessions on their caseload (Monday to Sunday),
  held sessions whose record of supervision is not written yet (with how many days since the
  session), caseload schools overdue a session (take-up's rule) and a reminder to log ad hoc
  support.
- A DSL (lead or deputy), for each of their schools: the next session, the worksheet to
  prepare for it, the open surveys they have not answered, and the school's latest
  front-door figures (counts for the school as a whole; an audited read, as on the school's
  dashboard).
- An LA lead (`programme.manage`), for each of their LAs: take-up alerts, schools whose
  agreements are not signed, open survey waves and their response rates (small counts
  suppressed; an audited read of each wave's counts, as on the monitor page), how fresh the
  front-door data are, and the warnings of the LA's randomised trials (`trial_health_read`,
  audited).

Each part uses the scoping of the page it links to (`programme.selectors.caseload` and
`take_up`, `supervision.selectors.session_list`, `surveys.selectors.invitation_list` and
`wave_list`, `insights.selectors.can_view_school`, `trials.selectors.trial_list`), so no one
sees another LA's or school's items. Nothing here is child-level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from threshold.measures import school_year_window
from threshold.model import Arm, ContactOutcome, SessionMode, SessionStatus, SourceCode, SurveyWave
from threshold.web.accounts.authorisation import has_permission, user_memberships
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName, Scope
from threshold.web.audit.services import audit_read, target_of
from threshold.web.insights import selectors as insights
from threshold.web.insights.models import Contact, Referral
from threshold.web.organisations.models import LocalAuthority, School
from threshold.web.programme.models import Enrolment, SupervisionSession
from threshold.web.programme.selectors import (
    SchoolTakeUp,
    caseload,
    current_enrolment,
    day_text,
    session_day,
    take_up,
)
from threshold.web.supervision import selectors as supervision
from threshold.web.supervision.models import DslWorksheet
from threshold.web.surveys.models import Respondent, Response
from threshold.web.surveys.selectors import SMALL_COUNT, invitation_list, wave_list
from threshold.web.trials.health import trial_health_read
from threshold.web.trials.models import Trial
from threshold.web.trials.selectors import trial_list

NOTHING_DUE = "Nothing due."
LOW_RESPONSE_PCT = 50
"""An open wave with a lower response rate than this (in per cent) is flagged."""
STALE_DAYS = 45
"""Front-door data whose last import is older than this many days are flagged."""

SSW_HEADING = "Your supervision caseload"
WEEK_HEADING = "This week's sessions, {first} to {last}"
WEEK_EMPTY = "No sessions this week."
RECORDS_HEADING = "Records of supervision to write"
RECORDS_EMPTY = "Nothing due: every held session has its record."
OVERDUE_HEADING = "Schools overdue a session"
OVERDUE_EMPTY = "Nothing due: no school on your caseload is overdue a session."
AD_HOC_HEADING = "Ad hoc support"
AD_HOC_TEXT = (
    "Log any support you gave a school between sessions (a call, an e-mail, a visit) the same week."
)
AD_HOC_LAST = "Last logged: {day}."
AD_HOC_NEVER = "You have not logged any yet."

DSL_HEADING = "{school}"
NEXT_HEADING = "Next supervision session"
NEXT_EMPTY = "Nothing due: no session is planned yet. Your supervising social worker plans them."
NOT_ENROLLED = "Nothing due: your school is not in a supervision programme."
WITHDRAWN = "Nothing due: your school has withdrawn from the supervision programme."
CONTROL = (
    "Nothing due: your school is in the trial's comparison group, so it has no supervision "
    "sessions this year."
)
SURVEYS_HEADING = "Surveys to answer"
SURVEYS_EMPTY = "Nothing due: no open survey is waiting for your answers."
FIGURES_HEADING = "Your school's front-door figures"
FIGURES_TEXT = (
    "{year}: {contacts} contacts to the front door, {nfa} ended in no further action, "
    "{referrals} referrals."
)
FIGURES_NONE = "No front-door data have been imported for your local authority yet."
FIGURES_LATEST = "Latest contact: {day}."

LA_HEADING = "{authority}"
TAKE_UP_HEADING = "Take-up"
TAKE_UP_OVERDUE = (
    "Overdue a session",
    "The date their next session was due has passed with none held or planned by then.",
)
TAKE_UP_NONE = ("No session yet", "Enrolled in the treatment arm but no session held yet.")
TAKE_UP_UNPLANNED = (
    "Nothing planned",
    "Their next session is due soon and none is planned by then.",
)
TAKE_UP_EMPTY = "Nothing due: no school in a running programme."
AGREED_HEADING = "Schools not yet agreed"
AGREED_EMPTY = "Nothing due: every school has signed its agreements."
SURVEY_GAPS_HEADING = "Survey responses"
SURVEY_GAPS_EMPTY = "Nothing due: no survey wave is open."
FRESHNESS_HEADING = "Front-door data"
TRIALS_HEADING = "Trial health"
TRIALS_EMPTY = "Nothing due: no randomised trial has a warning."

TAG_HELD, TAG_DUE, TAG_PLANNED = "govuk-tag--green", "govuk-tag--yellow", "govuk-tag--blue"
TAG_OVERDUE = "govuk-tag--red"
MODE_TEXT = {SessionMode.FACE_TO_FACE: "face to face in school", SessionMode.ONLINE: "online"}


@dataclass(frozen=True)
class DueRow:
    """One item: what (`key`), its detail (`value`), an optional tag (`tag`, coloured by
    `tag_class`) and the link to act on it (`href`, `action`; `context` names the item for
    screen readers)."""

    key: str
    value: str = ""
    tag: str = ""
    tag_class: str = ""
    href: str = ""
    action: str = ""
    context: str = ""


@dataclass(frozen=True)
class DueBlock:
    """A heading and its items, with words for when there are none, and an optional link to
    the whole list (`more_href`, `more_text`)."""

    heading: str
    rows: list[DueRow] = field(default_factory=list)
    empty: str = NOTHING_DUE
    more_href: str = ""
    more_text: str = ""


@dataclass(frozen=True)
class DueSection:
    """One role's part of the home page (in one LA or school)."""

    heading: str
    role: str
    blocks: list[DueBlock]
    key: str = ""


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _schools(count: int) -> str:
    return f"{count} school" if count == 1 else f"{count} schools"


def _time(session: SupervisionSession) -> str:
    return f"{timezone.localtime(session.scheduled_for):%H:%M}"


def _when(session: SupervisionSession) -> str:
    """Tuesday 8 December 2026, 10:00."""
    day = session_day(session)
    return f"{day:%A} {day_text(day)}, {_time(session)}"


def _mode(session: SupervisionSession) -> str:
    return MODE_TEXT.get(SessionMode(session.mode), session.mode)


def _holds(user: AbstractBaseUser, permission: Permission, scope: Scope) -> list:
    """The places (LAs or schools) of `user`'s memberships of `scope` granting `permission`,
    each once, in the order they were given."""
    places = {}
    for membership in user_memberships(user):
        role = membership.role_class
        if role.scope is not scope or permission not in role.permissions:
            continue
        place = membership.authority if scope is Scope.AUTHORITY else membership.school
        if place is not None:
            places.setdefault(place.pk, place)
    return list(places.values())


# The SSW


def _week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _week_block(enrolments: object, today: dt.date, now: dt.datetime) -> DueBlock:
    monday, sunday = _week(today)
    sessions = (
        SupervisionSession.objects.filter(
            enrolment__in=enrolments,
            scheduled_for__gte=_start_of(monday),
            scheduled_for__lt=_start_of(sunday + dt.timedelta(days=1)),
        )
        .filter(status__in=("", SessionStatus.HELD))
        .select_related("enrolment__school")
        .order_by("scheduled_for")
    )
    rows = []
    for session in sessions:
        school = session.enrolment.school
        held = session.status == SessionStatus.HELD
        passed = not held and session.scheduled_for <= now
        rows.append(
            DueRow(
                key=_when(session),
                value=f"{school.name}, {_mode(session)}",
                tag="Held" if held else "To record" if passed else "Planned",
                tag_class=TAG_HELD if held else TAG_DUE if passed else TAG_PLANNED,
                href=(
                    reverse("programme:session_held", kwargs={"pk": session.pk})
                    if passed
                    else reverse("programme:school_schedule", kwargs={"urn": school.urn})
                ),
                action="Record it as held" if passed else "See the schedule",
                context=f" of {school.name}, {_when(session)}",
            )
        )
    heading = WEEK_HEADING.format(first=day_text(monday), last=day_text(sunday))
    return DueBlock(heading=heading, rows=rows, empty=WEEK_EMPTY)


def _records_block(enrolments: object, today: dt.date) -> DueBlock:
    sessions = (
        SupervisionSession.objects.filter(
            enrolment__in=enrolments, status=SessionStatus.HELD, record__isnull=True
        )
        .select_related("enrolment__school")
        .order_by("scheduled_for")
    )
    rows = []
    for session in sessions:
        late = (today - session_day(session)).days
        school = session.enrolment.school
        rows.append(
            DueRow(
                key=school.name,
                value=f"Session {session.number}, held {day_text(session_day(session))}",
                tag=f"{_days(late)} overdue" if late > 0 else "Due today",
                tag_class=TAG_OVERDUE if late > 0 else TAG_DUE,
                href=reverse("supervision:record", kwargs={"session_id": session.pk}),
                action="Write the record",
                context=f" of session {session.number} with {school.name}",
            )
        )
    return DueBlock(
        heading=RECORDS_HEADING,
        rows=rows,
        empty=RECORDS_EMPTY,
        more_href=reverse("supervision:session_list"),
        more_text="All sessions and their records",
    )


def _overdue_row(school_take_up: SchoolTakeUp, today: dt.date) -> DueRow:
    school = school_take_up.enrolment.school
    late = (today - school_take_up.due_by).days
    last = (
        f"last session held {day_text(school_take_up.last_held)}"
        if school_take_up.last_held
        else "no session held yet"
    )
    return DueRow(
        key=school.name,
        value=f"A session was due by {day_text(school_take_up.due_by)}; {last}",
        tag=f"{_days(late)} overdue",
        tag_class=TAG_OVERDUE,
        href=reverse("programme:session_plan", kwargs={"urn": school.urn}),
        action="Plan a session",
        context=f" with {school.name}",
    )


def ssw_section(user: AbstractBaseUser, *, today: dt.date, now: dt.datetime) -> DueSection:
    """The SSW's week (see the module's docstring)."""
    mine = caseload(user=user)
    ids = set(mine.values_list("pk", flat=True))
    standing = [s for s in take_up(user=user, today=today).overall.schools if s.enrolment.pk in ids]
    overdue = [_overdue_row(s, today) for s in standing if s.overdue]
    last = supervision.ad_hoc_support_list(user=user).filter(ssw=user).order_by("-support_date")
    last_day = last.values_list("support_date", flat=True).first()
    ad_hoc = DueRow(
        key="Support between sessions",
        value=f"{AD_HOC_TEXT} "
        + (AD_HOC_LAST.format(day=day_text(last_day)) if last_day else AD_HOC_NEVER),
        href=reverse("supervision:ad_hoc_support"),
        action="Log ad hoc support",
    )
    return DueSection(
        heading=SSW_HEADING,
        role=RoleName.SSW.label,
        key="ssw",
        blocks=[
            _week_block(mine, today, now),
            _records_block(mine, today),
            DueBlock(
                heading=OVERDUE_HEADING,
                rows=overdue,
                empty=OVERDUE_EMPTY,
                more_href=reverse("programme:take_up"),
                more_text="Take-up of your caseload",
            ),
            DueBlock(heading=AD_HOC_HEADING, rows=[ad_hoc]),
        ],
    )


# The DSL


def _next_session_block(user: AbstractBaseUser, school: School, now: dt.datetime) -> DueBlock:
    enrolment = current_enrolment(school)
    if enrolment is None:
        return DueBlock(heading=NEXT_HEADING, empty=NOT_ENROLLED)
    if enrolment.withdrawn_on is not None:
        return DueBlock(heading=NEXT_HEADING, empty=WITHDRAWN)
    if enrolment.arm == Arm.CONTROL:
        return DueBlock(heading=NEXT_HEADING, empty=CONTROL)
    session = (
        enrolment.sessions.filter(status="", scheduled_for__gte=now)
        .order_by("scheduled_for")
        .first()
    )
    schedule = reverse("programme:school_schedule", kwargs={"urn": school.urn})
    if session is None:
        return DueBlock(
            heading=NEXT_HEADING,
            empty=NEXT_EMPTY,
            more_href=schedule,
            more_text="Your school's supervision schedule",
        )
    rows = [
        DueRow(
            key=f"Session {session.number}",
            value=f"{_when(session)}, {_mode(session)}",
            href=schedule,
            action="See the schedule",
            context=f" of {school.name}",
        )
    ]
    visible = supervision.session_list(user=user).filter(pk=session.pk).exists()
    if visible and has_permission(user, Permission.SUPERVISION_PREPARE, school=school):
        written = DslWorksheet.objects.filter(session=session, written_by=user).exists()
        rows.append(
            DueRow(
                key="Your worksheet",
                value="The situation you would like to bring, without identifying anyone.",
                tag="Written" if written else "Not written yet",
                tag_class=TAG_HELD if written else TAG_DUE,
                href=reverse("supervision:worksheet", kwargs={"session_id": session.pk}),
                action="Change your worksheet" if written else "Prepare your worksheet",
                context=f" for session {session.number}",
            )
        )
    return DueBlock(heading=NEXT_HEADING, rows=rows)


def _surveys_block(invitations: list, school: School) -> DueBlock:
    rows = [
        DueRow(
            key=f"{SurveyWave(invitation.wave.wave).label} survey",
            value=f"Open until {day_text(invitation.wave.closes_on)}",
            tag="Not answered",
            tag_class=TAG_DUE,
            href=invitation.href,
            action="Answer the survey",
            context=f" – {SurveyWave(invitation.wave.wave).label}",
        )
        for invitation in invitations
        if invitation.school_name == school.name and not invitation.answered
    ]
    return DueBlock(heading=SURVEYS_HEADING, rows=rows, empty=SURVEYS_EMPTY)


def _figures_block(user: AbstractBaseUser, school: School, today: dt.date) -> DueBlock:
    authority = school.authority
    href = reverse("insights:school", kwargs={"urn": school.urn})
    fresh = insights.freshness(authority)
    if fresh.latest_contact is None:
        return DueBlock(
            heading=FIGURES_HEADING,
            empty=FIGURES_NONE,
            more_href=href,
            more_text="Your school's front-door dashboard",
        )
    year = insights.school_year_of(fresh.latest_contact)
    first, last = school_year_window(year)
    window = {"source_school": school, "source_code": SourceCode.SCHOOLS.value}
    contacts = Contact.objects.filter(**window, contact_date__range=(first, last)).aggregate(
        contacts=Count("pk"), nfa=Count("pk", filter=Q(outcome=ContactOutcome.NFA.value))
    )
    referrals = Referral.objects.filter(**window, referral_date__range=(first, last)).count()
    audit_read(
        by=user,
        object_type="organisations.school",
        object_id=str(school.urn),
        authority_code=authority.la_code,
        school_urn=school.urn,
        detail={"page": "home: what's due", "school_year": year},
    )
    text = FIGURES_TEXT.format(year=year, referrals=referrals, **contacts)
    latest = FIGURES_LATEST.format(day=day_text(fresh.latest_contact))
    return DueBlock(
        heading=FIGURES_HEADING,
        rows=[
            DueRow(
                key="This school year",
                value=f"{text} {latest}",
                href=href,
                action="See your school's dashboard",
            )
        ],
    )


def dsl_sections(user: AbstractBaseUser, *, today: dt.date, now: dt.datetime) -> list[DueSection]:
    """One section per school where `user` prepares for supervision (a DSL's)."""
    schools = _holds(user, Permission.SUPERVISION_PREPARE, Scope.SCHOOL)
    if not schools:
        return []
    responds = has_permission(user, Permission.SURVEY_RESPOND)
    invitations = invitation_list(user=user) if responds else []
    roles = {
        m.school_id: m.role_class.name.label
        for m in user_memberships(user)
        if m.school_id is not None
    }
    sections = []
    for school in schools:
        blocks = [_next_session_block(user, school, now)]
        if has_permission(user, Permission.SURVEY_RESPOND, school=school):
            blocks.append(_surveys_block(invitations, school))
        if insights.can_view_school(user, school):
            blocks.append(_figures_block(user, school, today))
        sections.append(
            DueSection(
                heading=DSL_HEADING.format(school=school.name),
                role=roles.get(school.pk, ""),
                key=f"school-{school.urn}",
                blocks=blocks,
            )
        )
    return sections


# The LA lead


def _count_row(label: str, explained: str, count: int, colour: str) -> DueRow:
    return DueRow(
        key=label,
        value=explained,
        tag=f"{_schools(count)} overdue" if colour == TAG_OVERDUE else _schools(count),
        tag_class=colour,
        href=reverse("programme:take_up"),
        action="Check take-up",
        context=f": {label.lower()}",
    )


def _take_up_block(schools: list[SchoolTakeUp]) -> DueBlock:
    if not schools:
        return DueBlock(heading=TAKE_UP_HEADING, empty=TAKE_UP_EMPTY)
    href = reverse("programme:take_up")
    counts = (
        (*TAKE_UP_OVERDUE, sum(1 for s in schools if s.overdue), TAG_OVERDUE),
        (*TAKE_UP_NONE, sum(1 for s in schools if s.held == 0), TAG_DUE),
        (*TAKE_UP_UNPLANNED, sum(1 for s in schools if s.unplanned), TAG_DUE),
    )
    rows = [_count_row(*count) for count in counts if count[2]]
    return DueBlock(
        heading=TAKE_UP_HEADING,
        rows=rows,
        empty=f"Nothing due: all {_schools(len(schools))} have had a session and are on plan.",
        more_href=href,
        more_text="Take-up of every school",
    )


def _agreements(enrolment: Enrolment) -> str:
    parts = []
    signed = Enrolment.Agreement.SIGNED
    if enrolment.mou_status != signed:
        parts.append(f"MOU: {enrolment.get_mou_status_display().lower()}")
    if enrolment.arm == Arm.TREATMENT and enrolment.supervision_agreement_status != signed:
        status = enrolment.get_supervision_agreement_status_display().lower()
        parts.append(f"supervision agreement: {status}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]


def _agreed_block(authority: LocalAuthority, today: dt.date) -> DueBlock:
    signed = Enrolment.Agreement.SIGNED
    enrolments = (
        Enrolment.objects.filter(
            programme__authority=authority,
            programme__ends_on__gte=today,
            withdrawn_on__isnull=True,
        )
        .filter(
            ~Q(mou_status=signed) | (Q(arm=Arm.TREATMENT) & ~Q(supervision_agreement_status=signed))
        )
        .select_related("school")
        .order_by("school__name")
    )
    rows = [
        DueRow(
            key=enrolment.school.name,
            value=_agreements(enrolment),
            href=reverse("programme:enrolment_edit", kwargs={"pk": enrolment.pk}),
            action="Update the agreements",
            context=f" of {enrolment.school.name}",
        )
        for enrolment in enrolments
    ]
    return DueBlock(heading=AGREED_HEADING, rows=rows, empty=AGREED_EMPTY)


def _response_rate(wave: object) -> tuple[int, int]:
    """(invited, responded) among the respondents of the wave's programme's enrolled schools
    that have not withdrawn: the monitor page's counts."""
    schools = Enrolment.objects.filter(
        programme=wave.programme_id, withdrawn_on__isnull=True
    ).values("school")
    invited = Respondent.objects.filter(school__in=schools)
    responded = Response.objects.filter(wave=wave, respondent__in=invited).count()
    return invited.count(), responded


def _survey_block(user: AbstractBaseUser, authority: LocalAuthority, today: dt.date) -> DueBlock:
    waves = wave_list(user=user).filter(
        programme__authority=authority, opens_on__lte=today, closes_on__gte=today
    )
    rows = []
    for wave in waves:
        invited, responded = _response_rate(wave)
        audit_read(
            by=user,
            **target_of(wave),
            authority_code=authority.la_code,
            detail={"what": "response rate on the home page"},
        )
        if responded < SMALL_COUNT:
            value = f"Fewer than {SMALL_COUNT} of {invited} people invited have answered"
            tag, colour = "Low response", TAG_OVERDUE
        else:
            rate = round(100 * responded / invited)
            value = f"{rate}% answered ({responded} of {invited} people invited)"
            low = rate < LOW_RESPONSE_PCT
            tag, colour = ("Low response", TAG_OVERDUE) if low else ("", "")
        label = SurveyWave(wave.wave).label
        rows.append(
            DueRow(
                key=f"{label} survey, {wave.programme.school_year}",
                value=f"{value}; open until {day_text(wave.closes_on)}",
                tag=tag,
                tag_class=colour,
                href=reverse("surveys:monitor", kwargs={"pk": wave.pk}),
                action="Follow responses",
                context=f" to the {label.lower()} survey",
            )
        )
    return DueBlock(heading=SURVEY_GAPS_HEADING, rows=rows, empty=SURVEY_GAPS_EMPTY)


def _freshness_block(authority: LocalAuthority, today: dt.date) -> DueBlock:
    href = reverse("insights:authority", kwargs={"la_code": authority.la_code})
    fresh = insights.freshness(authority)
    last = fresh.last_import
    if last is None:
        row = DueRow(
            key="Latest import",
            value="No front-door data have been imported yet",
            tag="No data",
            tag_class=TAG_OVERDUE,
            href=href,
            action="See the dashboard",
        )
    else:
        imported = timezone.localdate(last.imported_at)
        age = (today - imported).days
        latest = (
            f"; latest contact {day_text(fresh.latest_contact)}" if fresh.latest_contact else ""
        )
        stale = age > STALE_DAYS
        row = DueRow(
            key="Latest import",
            value=f"{day_text(imported)} ({_days(age)} ago){latest}",
            tag=f"Older than {STALE_DAYS} days" if stale else "",
            tag_class=TAG_OVERDUE if stale else "",
            href=href,
            action="See the dashboard",
            context=f" of {authority.name}",
        )
    return DueBlock(heading=FRESHNESS_HEADING, rows=[row])


def _trials_block(user: AbstractBaseUser, authority: LocalAuthority, today: dt.date) -> DueBlock:
    trials = (
        trial_list(user=user)
        .filter(stage=Trial.Stage.RANDOMISED, programmes__authority=authority)
        .distinct()
        .order_by("name")
    )
    rows = []
    for trial in trials:
        health = trial_health_read(trial, today=today, by=user)
        href = reverse("trials:health", kwargs={"trial_pk": trial.pk})
        rows.extend(
            DueRow(
                key=f"{trial.name}: {alert.topic}",
                value=alert.text,
                tag="Warning",
                tag_class=TAG_OVERDUE,
                href=href,
                action="See trial health",
                context=f" of {trial.name}",
            )
            for alert in health.alerts
        )
    return DueBlock(heading=TRIALS_HEADING, rows=rows, empty=TRIALS_EMPTY)


def la_lead_sections(user: AbstractBaseUser, *, today: dt.date) -> list[DueSection]:
    """One section per LA where `user` runs the programme."""
    authorities = [
        la
        for la in _holds(user, Permission.PROGRAMME_MANAGE, Scope.AUTHORITY)
        if has_permission(user, Permission.PROGRAMME_MANAGE, authority=la)
    ]
    if not authorities:
        return []
    standing = take_up(user=user, today=today).overall.schools
    sections = []
    for authority in authorities:
        blocks = [
            _take_up_block(
                [s for s in standing if s.enrolment.programme.authority_id == authority.pk]
            ),
            _agreed_block(authority, today),
        ]
        if has_permission(user, Permission.SURVEY_RESULTS_VIEW, authority=authority):
            blocks.append(_survey_block(user, authority, today))
        if has_permission(user, Permission.INSIGHTS_VIEW, authority=authority):
            blocks.append(_freshness_block(authority, today))
        if has_permission(user, Permission.TRIALS_VIEW, authority=authority):
            blocks.append(_trials_block(user, authority, today))
        sections.append(
            DueSection(
                heading=LA_HEADING.format(authority=authority.name),
                role=RoleName.LA_LEAD.label,
                key=f"la-{authority.la_code}",
                blocks=blocks,
            )
        )
    return sections


def due_list(*, user: AbstractBaseUser, now: dt.datetime | None = None) -> list[DueSection]:
    """Every section of what is due for `user`: as an SSW, as a DSL of each school, as the LA
    lead of each LA (those that apply)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sections = []
    if _holds(user, Permission.SUPERVISION_RECORD, Scope.AUTHORITY):
        sections.append(ssw_section(user, today=today, now=now))
    sections.extend(dsl_sections(user, today=today, now=now))
    sections.extend(la_lead_sections(user, today=today))
    return sections
