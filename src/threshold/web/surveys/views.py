"""Survey pages. The questionnaire (`/survey/<token>/<wave>/`) needs no sign-in: the token is
the credential, shows only that person's form, and an unknown token is a 404. One response
per person and wave: once answered, the link shows "you have already answered" (answers are
not shown again, nor changed). Monitoring shows counts by arm and school, never who answered,
and small counts as "fewer than 5"."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threshold.model import Arm, SurveyWave
from threshold.surveys import WARR_STEM
from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.permissions import Permission
from threshold.web.programme.selectors import programme_list
from threshold.web.surveys import results as survey_results
from threshold.web.surveys import selectors, services
from threshold.web.surveys.forms import PersonForm, QuestionnaireForm, WaveForm
from threshold.web.surveys.models import Respondent

GET_POST = ["GET", "POST"]
MSG_WAVE_CREATED = "{wave} survey created; {issued} new people were given their link."
MSG_THANKS = "Thank you. Your answers have been saved."
MSG_INVITATIONS_SENT = (
    "{sent} invitations e-mailed; {already} had been sent before; {without} people have no "
    "e-mail address (they find their link under Your surveys when they sign in)."
)
MSG_DIFFERENTIAL = (
    "Response rates differ between the arms: {treatment:.0f}% of treatment schools and "
    "{control:.0f}% of control schools have responded. A gap of {threshold:.0f} percentage "
    "points or more can bias the comparison: chase the schools with no response in the arm "
    "that lags."
)
MSG_TOO_FEW_TO_COMPARE = (
    "The arms are compared once at least {small} schools in each have responded (fewer "
    "could tell who answered)."
)
MSG_NOT_RANDOMISED = (
    "The programme's schools were enrolled directly, without a trial, so there are no arms to "
    "compare."
)
SUPPRESSED = f"fewer than {selectors.SMALL_COUNT}"
"""Shown for a count of responses too small to show."""
MSG_DIFFERENCE = (
    "Difference in school response rates (treatment − control): {difference:+.0f} percentage "
    "points (95% confidence interval {low:+.0f} to {high:+.0f})."
)


@never_cache
@require_http_methods(GET_POST)
def respond(request: HttpRequest, token: str, wave: str) -> HttpResponse:
    respondent = selectors.respondent_by_token(token) if wave in SurveyWave.values() else None
    survey = None if respondent is None else selectors.wave_for(respondent, wave)
    arm = None if survey is None else selectors.respondent_arm(respondent, survey)
    if arm is None:
        raise Http404
    context = {"wave": survey, "wave_label": SurveyWave(survey.wave).label}
    if selectors.has_answered(respondent=respondent, wave=survey):
        return render(request, "surveys/answered.html", context)
    if not survey.is_open():
        return render(request, "surveys/closed.html", context)
    form = QuestionnaireForm(request.POST or None, wave=survey.wave, arm=arm)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(respondent=respondent, wave=survey, answers=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, MSG_THANKS)
            return redirect(request.path)
    return render(
        request,
        "surveys/questionnaire.html",
        context | {"form": form, "stem": WARR_STEM, "treatment": arm is Arm.TREATMENT},
    )


@require_GET
@permission_required(Permission.SURVEY_RESULTS_VIEW)
def wave_list(request: HttpRequest) -> HttpResponse:
    waves = selectors.wave_list(user=request.user)
    may_create = programme_list(user=request.user).exists()
    return render(request, "surveys/wave_list.html", {"waves": waves, "may_create": may_create})


@require_http_methods(GET_POST)
@permission_required(Permission.PROGRAMME_MANAGE)
def wave_create(request: HttpRequest) -> HttpResponse:
    form = WaveForm(request.POST or None, programmes=programme_list(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            wave, issued = services.wave_create(**form.cleaned_data, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            counted = _counted(selectors.invitees(wave=wave, by=request.user))
            messages.success(
                request,
                MSG_WAVE_CREATED.format(wave=SurveyWave(wave.wave).label, issued=issued)
                + " "
                + MSG_INVITED.format(**counted),
            )
            return redirect("surveys:monitor", pk=wave.pk)
    return render(request, "surveys/wave_form.html", {"form": form})


@require_GET
@permission_required(Permission.SURVEY_RESULTS_VIEW)
def monitor(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(selectors.wave_list(user=request.user), pk=pk)
    result = selectors.monitoring(wave=wave, by=request.user)
    context = {
        "wave": wave,
        "wave_label": SurveyWave(wave.wave).label,
        "result": result,
        "suppressed": SUPPRESSED,
        "small": selectors.SMALL_COUNT,
        "can_invite": has_permission(
            request.user, Permission.PROGRAMME_MANAGE, authority=wave.programme.authority
        ),
    }
    if not result.randomised:
        context["difference"] = MSG_NOT_RANDOMISED
    elif (d := result.differential) is None:
        context["difference"] = MSG_TOO_FEW_TO_COMPARE.format(small=selectors.SMALL_COUNT)
    else:
        context["difference"] = MSG_DIFFERENCE.format(
            difference=100 * d.difference, low=100 * d.ci_low, high=100 * d.ci_high
        )
        if d.warn:
            context["warning"] = MSG_DIFFERENTIAL.format(
                treatment=100 * d.rate_treatment,
                control=100 * d.rate_control,
                threshold=100 * d.threshold,
            )
    return render(request, "surveys/monitor.html", context)


@require_POST
@permission_required(Permission.PROGRAMME_MANAGE)
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    """E-mail every invited person their own link to the wave, once."""
    wave = get_object_or_404(selectors.wave_list(user=request.user), pk=pk)
    result = services.invitations_send(
        wave=wave,
        link=lambda respondent: request.build_absolute_uri(
            reverse("surveys:respond", kwargs={"token": respondent.token, "wave": wave.wave})
        ),
        by=request.user,
    )
    messages.success(
        request,
        MSG_INVITATIONS_SENT.format(
            sent=result.sent, already=result.already_sent, without=result.without_address
        ),
    )
    return redirect("surveys:monitor", pk=wave.pk)


@require_GET
@permission_required(Permission.SURVEY_RESPOND)
def invitations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "surveys/invitations.html",
        {"invitations": selectors.invitation_list(user=request.user)},
    )


@require_GET
@permission_required(Permission.SURVEY_RESULTS_VIEW)
def results(request: HttpRequest, programme_pk: int) -> HttpResponse:
    """Warr scale scores by arm and wave (counts, means and intervals; small cells hidden)."""
    programme = get_object_or_404(
        survey_results.results_programmes(user=request.user), pk=programme_pk
    )
    found = survey_results.survey_results(programme=programme, by=request.user)
    return render(
        request,
        "surveys/results.html",
        {
            "programme": programme,
            "results": found,
            "suppressed": SUPPRESSED,
            "small": selectors.SMALL_COUNT,
        },
    )


MSG_INVITED = "{people} invited: {dsls}, {by_email} added by e-mail."
MSG_DSLS_INVITED = "DSLs given their link now: {issued}. " + MSG_INVITED
MSG_PERSON_INVITED = "Their link has been e-mailed to them. " + MSG_INVITED
MSG_PERSON_REINVITED = (
    "They already had a link for {school}, so their answers stay linked between surveys: it "
    "has been e-mailed to them for this survey. " + MSG_INVITED
)


def _link(request: HttpRequest, wave_name: str) -> Callable[[Respondent], str]:
    return lambda respondent: request.build_absolute_uri(
        reverse("surveys:respond", kwargs={"token": respondent.token, "wave": wave_name})
    )


@require_http_methods(GET_POST)
@permission_required(Permission.PROGRAMME_MANAGE)
def invitees(request: HttpRequest, pk: int) -> HttpResponse:
    """The people a wave reaches, counted (never who answered): invite the DSLs of the
    enrolled schools (those with accounts), or add a person by e-mail."""
    wave = get_object_or_404(selectors.wave_list(user=request.user), pk=pk)
    if not has_permission(
        request.user, Permission.PROGRAMME_MANAGE, authority=wave.programme.authority
    ):
        raise Http404
    schools = selectors.invitable_schools(wave)
    adding = request.method == "POST" and request.POST.get("action") == "person"
    form = PersonForm(request.POST if adding else None, schools=schools)
    if request.method == "POST" and not adding:
        issued = services.respondents_issue(programme=wave.programme, by=request.user)
        counts = selectors.invitees(wave=wave, by=request.user)
        messages.success(request, MSG_DSLS_INVITED.format(issued=issued, **_counted(counts)))
        return redirect("surveys:invitees", pk=wave.pk)
    if adding and form.is_valid():
        try:
            invited = services.respondent_invite(
                wave=wave, **form.cleaned_data, link=_link(request, wave.wave), by=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            counts = selectors.invitees(wave=wave, by=request.user)
            said = MSG_PERSON_REINVITED if invited.existing else MSG_PERSON_INVITED
            messages.success(
                request, said.format(school=invited.respondent.school.name, **_counted(counts))
            )
            return redirect("surveys:invitees", pk=wave.pk)
    counts = selectors.invitees(wave=wave, by=request.user)
    context = {
        "wave": wave,
        "wave_label": SurveyWave(wave.wave).label,
        "form": form,
        "counts": counts,
        "summary": MSG_INVITED.format(**_counted(counts)),
        "schools": schools,
    }
    return render(request, "surveys/invitees.html", context)


def _counted(counts: selectors.Invitees) -> dict[str, object]:
    """The words of `MSG_INVITED` for `counts` ("1 person", "10 DSLs with accounts")."""
    return {
        "people": "1 person" if counts.total == 1 else f"{counts.total} people",
        "dsls": "1 DSL with an account"
        if counts.with_accounts == 1
        else f"{counts.with_accounts} DSLs with accounts",
        "by_email": counts.by_email,
    }
