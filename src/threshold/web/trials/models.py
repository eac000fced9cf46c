"""Trials of a programme: the schools chosen, the protocol's lock and the randomisation (whose
files live in the trial's folder, as the CLI keeps them: `threshold.web.trials.files`), the
thresholds trial health warns at, and the analysis runs.

The allocation itself is the programme's enrolments (arm, block, random number, order,
withdrawal), made in one transaction when the trial is randomised."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme


class Trial(models.Model):
    """A randomised trial of the programmes it names (one per LA taking part)."""

    class Stage(models.TextChoices):
        DRAFT = "draft", "Drafting the protocol"
        LOCKED = "locked", "Protocol locked"
        RANDOMISED = "randomised", "Randomised"

    name = models.CharField(max_length=200)
    programmes = models.ManyToManyField(Programme, related_name="trials")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trials_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    protocol_sha256 = models.CharField(max_length=64, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    randomised_at = models.DateTimeField(null=True, blank=True)
    ledger_head = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the trial ledger's last entry."
    )
    take_up_warning_pct = models.PositiveSmallIntegerField(
        "Warn when fewer treatment schools than this (%) have had a session as planned",
        default=80,
    )
    response_gap_warning_points = models.PositiveSmallIntegerField(
        "Warn when survey response rates differ between arms by more than (percentage points)",
        default=10,
    )
    data_age_warning_days = models.PositiveSmallIntegerField(
        "Warn when an LA's front-door data are older than (days)", default=45
    )
    health_email = models.BooleanField(
        "E-mail trial health weekly to the evaluators and LA leads", default=True
    )

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name


class TrialSchool(models.Model):
    """A school chosen for the trial, before randomisation (the units)."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="units")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="trial_units")

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("trial", "school"), name="one_unit_per_school"),
        )
        ordering = ("school__name",)

    def __str__(self) -> str:
        return f"{self.school} in {self.trial}"


class AnalysisRun(models.Model):
    """One run of the main job on the service's records and the LAs' stores, in the background:
    who asked, confirmatory or exploratory, progress, the data cut and protocol hash it used,
    its primary estimate and its reports (in the trial's folder, `runs/<pk>/`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="runs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="analysis_runs"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    exploratory = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=32, blank=True)
    fraction = models.FloatField(default=0.0)
    task_id = models.CharField(max_length=64, blank=True)
    site_url = models.CharField(max_length=300, blank=True)
    protocol_sha256 = models.CharField(max_length=64, blank=True)
    data_cut = models.JSONField(
        default=dict, blank=True, help_text="When the records were read and each store's version."
    )
    primary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-requested_at",)

    def __str__(self) -> str:
        kind = "exploratory" if self.exploratory else "confirmatory"
        return f"{kind} analysis {self.pk} of {self.trial}"
