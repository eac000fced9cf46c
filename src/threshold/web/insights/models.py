"""Front-door records held by the service: contacts and referrals as the data contract has them
(pseudonymised child ids), each import that brought them, and when the data were last brought
up to date. They come only through `threshold.frontdoor` (the same code path as the CLI)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from threshold.model import ContactOutcome, ReferralOutcome, SourceCode
from threshold.web.organisations.models import LocalAuthority, School


class FrontDoorImport(models.Model):
    """One LA export imported: the file, its format and checksum, and what it did."""

    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=16)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=150)
    records = models.PositiveIntegerField()
    loaded = models.PositiveIntegerField()
    quarantined = models.PositiveIntegerField()
    summary = models.JSONField(default=dict)
    """What each part of the file did to the store, and what loading did to the database."""
    store_version = models.CharField(max_length=16, blank=True)
    """The version of the LA's store this import left (the database holds exactly it)."""
    key_fingerprint = models.CharField(max_length=16, blank=True)
    """Names the store's pseudonymisation key, so that a lost or replaced key is noticed."""

    class Meta:
        ordering = ("-imported_at",)


class Contact(models.Model):
    """A contact to the LA's front door (row of the contract's `contacts`)."""

    contact_id = models.CharField(max_length=64, unique=True)
    person_id = models.CharField(max_length=64)
    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="contacts")
    contact_date = models.DateField()
    source_code = models.CharField(max_length=2, choices=SourceCode.choices())
    source_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts_made"
    )
    source_school_name = models.CharField(max_length=300, blank=True)
    child_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts_about"
    )
    outcome = models.CharField(max_length=32, choices=ContactOutcome.choices(), blank=True)

    class Meta:
        indexes = (
            models.Index(fields=("source_school", "contact_date")),
            models.Index(fields=("authority", "contact_date")),
        )


class Referral(models.Model):
    """A referral to children's social care (row of the contract's `referrals`)."""

    referral_id = models.CharField(max_length=64, unique=True)
    contact_id = models.CharField(max_length=64, blank=True)
    person_id = models.CharField(max_length=64)
    authority = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, related_name="referrals"
    )
    referral_date = models.DateField()
    source_code = models.CharField(max_length=2, choices=SourceCode.choices())
    source_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_made"
    )
    child_school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_about"
    )
    outcome = models.CharField(max_length=32, choices=ReferralOutcome.choices(), blank=True)
    close_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = (models.Index(fields=("source_school", "referral_date")),)


class ImportJob(models.Model):
    """An export uploaded in the browser, imported by a background job: who asked, which
    files (kept owner-only under the store root until the job ends), the job, and how it ended
    (the import made, or the error in plain words)."""

    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=300)
    format = models.CharField(max_length=16)
    profile_name = models.CharField(max_length=300, blank=True)
    site_url = models.CharField(max_length=300)
    """The service's address as the uploader reached it, for the link in the e-mail."""
    task_id = models.CharField(max_length=64, blank=True)
    record = models.OneToOneField(
        FrontDoorImport, null=True, blank=True, on_delete=models.PROTECT, related_name="job"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("-requested_at",)
