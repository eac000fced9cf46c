"""The threshold document (a draft and its immutable published versions), the DSLs' recorded
pathway outcomes, and the calls to the DSL information line (no child details: the school,
the caller's role, a category and the advice given as a route)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from threshold.web.guidance.pathway import LABELS
from threshold.web.organisations.models import LocalAuthority, School

ROUTE_CHOICES = [(route.value, label) for route, label in LABELS.items()]
MSG_IMMUTABLE = "a published version cannot be changed or deleted: publish a new version"


class ThresholdDocument(models.Model):
    """An LA's threshold document: the draft the LA lead edits (JSON, see `content`)."""

    authority = models.OneToOneField(
        LocalAuthority, on_delete=models.PROTECT, related_name="threshold_document"
    )
    draft = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise ValueError(MSG_IMMUTABLE)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError(MSG_IMMUTABLE)


class DocumentVersion(models.Model):
    """A published version: numbered 1, 2, … per document, never changed once saved."""

    document = models.ForeignKey(
        ThresholdDocument, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    content = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("-number",)
        constraints = (
            models.UniqueConstraint(fields=("document", "number"), name="guidance_version_number"),
        )

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError(MSG_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError(MSG_IMMUTABLE)


class PathwayOutcome(models.Model):
    """What a DSL did after the pathway: the route recommended, the route taken and whether
    they then contacted the front door."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pathway_outcomes")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField()
    recommended_route = models.CharField("Route recommended", max_length=16, choices=ROUTE_CHOICES)
    route_taken = models.CharField("What you did", max_length=16, choices=ROUTE_CHOICES)
    contacted_front_door = models.BooleanField("Did you then contact the front door?")

    class Meta:
        ordering = ("-recorded_at",)


class CallerRole(models.TextChoices):
    """Who in the school called (a role, never a name)."""

    DSL_LEAD = "dsl_lead", "Designated safeguarding lead"
    DSL_DEPUTY = "dsl_deputy", "Deputy designated safeguarding lead"
    OTHER_STAFF = "other_staff", "Other member of school staff"


class ConcernCategory(models.TextChoices):
    """What the call was about, as a category only."""

    NEGLECT = "neglect", "Neglect"
    ABUSE = "abuse", "Physical, emotional or sexual abuse"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    EXPLOITATION = "exploitation", "Exploitation (criminal or sexual)"
    MENTAL_HEALTH = "mental_health", "Mental health and self-harm"
    ATTENDANCE = "attendance", "Attendance and missing education"
    PARENTING = "parenting", "Parenting and family stress"
    THRESHOLD = "threshold", "Which level or route applies"
    OTHER = "other", "Other"


class InformationLineCall(models.Model):
    """A call to the DSL information line, recorded by the LA's call handler.

    Free text (`advice`, `follow_up`) is checked for identifying details before it is saved;
    confirmations are kept in `confirmed_not_identifying` as [{"field", "kind", "text"}, …].
    """

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="line_calls")
    caller_role = models.CharField("Who called", max_length=16, choices=CallerRole.choices)
    called_at = models.DateTimeField("Date and time of the call")
    category = models.CharField("Concern", max_length=24, choices=ConcernCategory.choices)
    advice_route = models.CharField("Route advised", max_length=16, choices=ROUTE_CHOICES)
    advice = models.TextField("Advice given", blank=True)
    minutes = models.PositiveIntegerField(
        "Minutes", validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    follow_up = models.TextField("Follow-up agreed", blank=True)
    confirmed_not_identifying = models.JSONField(default=list)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-called_at",)
        indexes = (models.Index(fields=("school", "called_at")),)
