"""What happens in supervision, in writing: the first-session sheet, the record of each
session, the DSLs' worksheets and reflections, ad hoc support and the SSW's termly scores.

Free text here must not identify anyone (`threshold.web.supervision.identifiers` checks it
before saving); where the writer confirmed that a flagged detail is not identifying, the
confirmation is kept in `confirmed_not_identifying` as [{"field", "kind", "text"}, …].
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from threshold.model import AdHocChannel, AdHocTopic
from threshold.web.programme.models import Enrolment, SupervisionSession


class Theme(models.TextChoices):
    """What a session's discussion touched on (the record of supervision's themes)."""

    NEGLECT = "neglect", "Neglect"
    PHYSICAL_ABUSE = "physical_abuse", "Physical abuse"
    EMOTIONAL_ABUSE = "emotional_abuse", "Emotional abuse"
    CSA = "csa", "Child sexual abuse"
    EXPLOITATION = "exploitation", "Criminal or sexual exploitation (including county lines)"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    CHILD_ON_CHILD = "child_on_child", "Child-on-child abuse and harmful sexual behaviour"
    ONLINE_SAFETY = "online_safety", "Online safety"
    MENTAL_HEALTH = "mental_health", "Mental health and self-harm"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse (child or parent)"
    RADICALISATION = "radicalisation", "Radicalisation and extremism"
    HONOUR_BASED_ABUSE = "honour_based_abuse", "FGM and honour-based abuse"
    ATTENDANCE = "attendance", "Attendance and children missing education"
    SEND = "send", "Special educational needs and disabilities"
    THRESHOLDS = "thresholds", "Thresholds and the front door"
    EARLY_HELP = "early_help", "Early Help and other routes of support"
    MULTI_AGENCY = "multi_agency", "Multi-agency working and escalation"
    PARENTS = "parents", "Working with parents and carers"
    RECORDING = "recording", "Recording and information sharing"
    DSL_WELLBEING = "dsl_wellbeing", "DSL wellbeing and workload"


class Term(models.TextChoices):
    """A school term, for the SSW's need and engagement scores."""

    AUTUMN = "autumn", "Autumn term"
    SPRING = "spring", "Spring term"
    SUMMER = "summer", "Summer term"


class Initiator(models.TextChoices):
    """Who asked for ad hoc support."""

    SCHOOL = "school", "The school"
    SSW = "ssw", "The supervising social worker"


class Checked(models.Model):
    """Free text checked for identifying details, and who last wrote it, when."""

    confirmed_not_identifying = models.JSONField(default=list, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class FirstSessionSheet(Checked):
    """What the SSW notes at a school's first session (one sheet per enrolment)."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="first_session_sheet"
    )
    team_roles = models.TextField(
        "Who is in the safeguarding team",
        help_text="By role (for example lead DSL, two deputy DSLs, SENCO), never by name.",
    )
    hopes = models.TextField("What the team hopes to get from supervision")
    ground_rules = models.TextField("Ground rules agreed")
    practicalities = models.TextField(
        "Practicalities", help_text="When, where and how often; cover; how to get in touch."
    )

    def __str__(self) -> str:
        return f"First-session sheet for {self.enrolment.school.name}"


class SupervisionRecord(Checked):
    """The SSW's record of one supervision session (the programme's record of supervision)."""

    session = models.OneToOneField(
        SupervisionSession, on_delete=models.PROTECT, related_name="record"
    )
    wellbeing = models.TextField(
        "Wellbeing check-in", help_text="How members of the team are, as the session opened."
    )
    presentation = models.TextField(
        "Stage 1: the situation presented",
        help_text="One member's account of a situation, without identifying anyone.",
    )
    group_reflection = models.TextField(
        "Stage 2: the group's reflection",
        help_text="What the others explored and wondered about while the presenter listened.",
    )
    shared_discussion = models.TextField(
        "Stage 3: discussion together",
        help_text="The presenter's response on rejoining, and what the whole group discussed.",
    )
    themes = models.JSONField("Themes", default=list)
    resources = models.TextField("Resources signposted", blank=True)
    actions = models.TextField("Actions", blank=True)
    no_open_case_confirmed = models.BooleanField(
        "No case open to children's social care was discussed"
    )

    def __str__(self) -> str:
        return f"Record of {self.session}"


class DslWorksheet(Checked):
    """A DSL's preparation for a session: the situation they want to bring."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="worksheets"
    )
    situation = models.TextField(
        "The situation you would like to bring",
        help_text="Describe it without names, dates of birth or anything else that identifies.",
    )
    wanted = models.TextField("What you would like from the discussion")

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("session", "written_by"), name="one_worksheet_per_dsl_and_session"
            ),
        )

    def __str__(self) -> str:
        return f"Worksheet by {self.written_by} for {self.session}"


class DslReflection(Checked):
    """A DSL's reflection after a session."""

    session = models.ForeignKey(
        SupervisionSession, on_delete=models.PROTECT, related_name="reflections"
    )
    takeaway = models.TextField("What you take away from the session")
    confidence = models.PositiveSmallIntegerField(
        "How confident you feel in your safeguarding role",
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 not at all confident, 5 very confident.",
    )
    usefulness = models.PositiveSmallIntegerField(
        "How useful the session was",
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 not at all useful, 5 very useful.",
    )

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=("session", "written_by"), name="one_reflection_per_dsl_and_session"
            ),
        )

    def __str__(self) -> str:
        return f"Reflection by {self.written_by} on {self.session}"


class AdHocSupport(models.Model):
    """Unplanned support between sessions (row of the contract's `ad_hoc_support`); a topic
    category only, never case details."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="ad_hoc")
    ssw = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ad_hoc_support"
    )
    support_date = models.DateField("Date")
    channel = models.CharField("How", max_length=16, choices=AdHocChannel.choices())
    initiated_by = models.CharField("Who asked", max_length=8, choices=Initiator.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        "Minutes spent", null=True, blank=True, validators=[MaxValueValidator(480)]
    )
    topic = models.CharField("What it was about", max_length=32, choices=AdHocTopic.choices())
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-support_date", "-pk")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} support for {self.enrolment.school.name}"


class DeliveryRating(models.Model):
    """The SSW's scores of a school's need (1–4) and engagement (1–4) in one term."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="ratings")
    term = models.CharField(max_length=8, choices=Term.choices)
    ssw = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delivery_ratings"
    )
    need = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    engagement = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("enrolment", "term"), name="one_rating_per_term"),
        )
        ordering = ("enrolment__school__name", "term")

    def __str__(self) -> str:
        return f"{self.enrolment.school.name}, {self.get_term_display()}"
