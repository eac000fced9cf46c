"""Survey waves, respondents (one opaque token per person, reused at every wave) and their
responses (one per person and wave). Answers hold the codes of `threshold.surveys.QUESTIONS`;
a question not asked at that wave or arm is blank."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from threshold.model import DslExperience, SurveyRole, SurveyWave, WarrAnswer
from threshold.surveys import Confidence, Recommend, Usefulness, UseOfTime
from threshold.web.organisations.models import School
from threshold.web.programme.models import Programme


def normalise_email(address: str) -> str:
    """An e-mail address as kept and compared: trimmed and case-folded, so " Ann@School.org "
    and "ann@school.org" are one person."""
    return address.strip().casefold()


def _answer(code: type) -> models.CharField:
    """An answer to one question of `threshold.surveys.QUESTIONS` (named as the field)."""
    return models.CharField(max_length=24, blank=True, choices=code.choices())


class Wave(models.Model):
    """A programme's baseline or endline survey, open from `opens_on` to `closes_on`."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="waves")
    wave = models.CharField(max_length=16, choices=SurveyWave.choices())
    opens_on = models.DateField()
    closes_on = models.DateField()

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["programme", "wave"], name="one_wave_per_programme"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="wave_dates_ordered"
            ),
        )

    def __str__(self) -> str:
        return f"{SurveyWave(self.wave).label}, {self.programme}"

    def is_open(self) -> bool:
        """Whether answers are taken today."""
        return self.opens_on <= timezone.localdate() <= self.closes_on


class Respondent(models.Model):
    """A person invited to the surveys: their school, their role and the token that is their
    credential and their link between waves (never their name).

    `email`: for a person invited by e-mail, the address they were invited at, normalised
    (`normalise_email`). It is kept only to send them their links and chasers, and to give the
    same person the same token when they are invited again (at a later wave, or once they have
    an account); no page shows it, and no export or audit event holds it."""

    token = models.CharField(max_length=32, unique=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="respondents")
    role = models.CharField(max_length=24, choices=SurveyRole.choices())
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_respondents",
    )
    email = models.EmailField(blank=True, default="")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(
                fields=["user", "school"],
                condition=models.Q(user__isnull=False),
                name="one_token_per_person_and_school",
            ),
            models.UniqueConstraint(
                fields=["email", "school"],
                condition=~models.Q(email=""),
                name="one_token_per_address_and_school",
            ),
        )

    def __str__(self) -> str:
        return f"respondent {self.pk}"


class Response(models.Model):
    """One person's answers at one wave."""

    respondent = models.ForeignKey(Respondent, on_delete=models.PROTECT, related_name="responses")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="responses")
    submitted_on = models.DateField()
    warr_tense = _answer(WarrAnswer)
    warr_worried = _answer(WarrAnswer)
    warr_uneasy = _answer(WarrAnswer)
    warr_depressed = _answer(WarrAnswer)
    warr_gloomy = _answer(WarrAnswer)
    warr_miserable = _answer(WarrAnswer)
    confidence = _answer(Confidence)
    dsl_experience = _answer(DslExperience)
    usefulness = _answer(Usefulness)
    use_of_time = _answer(UseOfTime)
    recommend = _answer(Recommend)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["respondent", "wave"], name="one_response_per_wave"),
        )

    def __str__(self) -> str:
        return f"{self.respondent}, {self.wave}"


class InvitationSent(models.Model):
    """A respondent was e-mailed their link to a wave (so each is sent once)."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations_sent")
    respondent = models.ForeignKey(
        Respondent, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=["wave", "respondent"], name="one_invitation_per_wave"),
        )
