"""People pages: the list, a person's page, inviting (one, or from a CSV), roles, deactivating
and reactivating (administrators everywhere; LA programme leads in their LAs), and the page an
invitation's link opens."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threshold.web.accounts.authorisation import may_manage_person
from threshold.web.accounts.decorators import permission_required
from threshold.web.accounts.models import Membership, User
from threshold.web.accounts.permissions import Permission
from threshold.web.accounts.roles import RoleName
from threshold.web.accounts.selectors import confirmed_device, membership_list
from threshold.web.core.lists import page_of
from threshold.web.people import selectors, services
from threshold.web.people.forms import (
    BulkInviteForm,
    ChoosePasswordForm,
    InviteForm,
    PeopleFilterForm,
    PlaceForm,
    ReasonForm,
    RoleForm,
)
from threshold.web.people.selectors import BULK_COLUMNS, PeopleFilters, PersonState
from threshold.web.people.services import PersonError

BULK_SESSION_KEY = "people.bulk_invite"
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
MSG_INVITED = "Invitation sent to {email}"
MSG_BULK_INVITED = "{count} invitation(s) sent"
MSG_BULK_PROBLEMS = (
    "The file has {count} problem(s), listed below: correct them and upload it again "
    "(nothing has been sent)"
)
MSG_BULK_STALE = "Upload the file again: the checked file is no longer the one being applied"
MSG_RESENT = "A new invitation has gone to {email}; the old link no longer works"
MSG_REVOKED = "Invitation withdrawn and account deactivated"
MSG_DEACTIVATED = "{name} is deactivated: they can no longer sign in"
MSG_REACTIVATED = "{name} is active again"
MSG_ROLE_ADDED = "Role added"
MSG_ROLE_REMOVED = "Role removed"
BULK_INTRO = (
    "Upload a CSV with one person a row. Every row is checked first and every problem listed "
    "by row and field; nothing is sent until the whole file is right, and then everyone in it "
    "is invited at once."
)
ROLE_INTRO = "To change someone's role or where they hold it, add the new one, then remove the old."


def _link(request: HttpRequest) -> Callable[[str], str]:
    """What makes an invitation's absolute address from its token, for this request's host."""
    return lambda token: request.build_absolute_uri(
        reverse("people:invitation_accept", kwargs={"token": token})
    )


def _person(request: HttpRequest, pk: int) -> User:
    person = selectors.person_visible(request.user, pk)
    if person is None:
        raise Http404
    return person


def _scoped_form(form_class: type[PlaceForm], request: HttpRequest) -> PlaceForm:
    """`form_class` offering only the roles and authorities `request.user` may give."""
    return form_class(
        request.POST or None,
        actor=request.user,
        roles=selectors.grantable_roles(request.user),
        authorities=selectors.managed_authorities(request.user),
    )


def _placement(data: dict) -> dict:
    """The role and where to give it, from a cleaned invite or role form."""
    return {
        "role": RoleName(data["role"]),
        "authorities": list(data["authorities"]),
        "school": data["school_urn"],
    }


def _needs_two_factor(person: User) -> bool:
    return any(m.role_class.requires_two_factor for m in membership_list(user=person))


def _form_page(request: HttpRequest, form: object, **context: object) -> HttpResponse:
    """The generic form page: `title`, `caption`, `intro`, `submit`, `back`."""
    return render(request, "core/form.html", {"form": form, **context})


@require_GET
@permission_required(Permission.USERS_MANAGE)
def person_list(request: HttpRequest) -> HttpResponse:
    """The people the viewer manages, searched and filtered, a page at a time."""
    form = PeopleFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = PeopleFilters(
        search=data.get("search") or "",
        role=data.get("role") or "",
        school_urn=data.get("school_urn"),
        state=data.get("state") or "",
        signed_in=data.get("signed_in") or "",
    )
    people = selectors.people_list(actor=request.user, filters=filters)
    page, query = page_of(request, people)
    rows = [{"person": p, "state": selectors.person_state(p)} for p in page]
    context = {"form": form, "page": page, "rows": rows, "query": query}
    return render(request, "people/person_list.html", context)


@require_GET
@permission_required(Permission.USERS_MANAGE)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: their state, roles, second factor, last sign-in and recent audit events."""
    person = _person(request, pk)
    manageable = may_manage_person(request.user, person)
    changeable = person.pk != request.user.pk
    memberships = [
        {"membership": m, "removable": selectors.membership_removable(request.user, m)}
        for m in membership_list(user=person)
    ]
    state = selectors.person_state(person)
    context = {
        "person": person,
        "state": state,
        "memberships": memberships,
        "device": confirmed_device(person),
        "two_factor_required": _needs_two_factor(person),
        "invitation": selectors.invitation_pending(person),
        "events": selectors.person_events(person),
        "manageable": manageable,
        "may_add_role": changeable and bool(selectors.grantable_roles(request.user)),
        "recovery": manageable and state is PersonState.ACTIVE,
    }
    return render(request, "people/person_detail.html", context)


@require_http_methods(["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def person_invite(request: HttpRequest) -> HttpResponse:
    """Invite one person: name, e-mail address, role and where."""
    form = _scoped_form(InviteForm, request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_invite(
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                **_placement(data),
                link=_link(request),
                by=request.user,
            )
        except PersonError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, MSG_INVITED.format(email=person.email))
            return redirect("people:person_detail", pk=person.pk)
    return _form_page(
        request,
        form,
        title="Invite someone",
        intro="They will get an e-mail with a link, valid for 72 hours, to choose a password.",
        submit="Send invitation",
        back=reverse("people:person_list"),
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@require_http_methods(["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def bulk_invite(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of people to invite; see every problem, or who would be invited."""
    authorities = selectors.managed_authorities(request.user)
    form = BulkInviteForm(request.POST or None, request.FILES or None, authorities=authorities)
    plan = authority = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        authority = form.cleaned_data["authority"]
        plan = selectors.bulk_plan(
            actor=request.user, authority=authority, file=upload.name, data=data
        )
        request.session.pop(BULK_SESSION_KEY, None)
        if plan.violations:
            form.add_error("file", MSG_BULK_PROBLEMS.format(count=len(plan.violations)))
        else:
            request.session[BULK_SESSION_KEY] = {
                "authority": authority.pk,
                "file": upload.name,
                "data": data.decode("utf-8-sig"),
                "digest": _digest(data),
            }
    context = {
        "form": form,
        "plan": plan,
        "authority": authority,
        "digest": (request.session.get(BULK_SESSION_KEY) or {}).get("digest", ""),
        "intro": BULK_INTRO,
        "columns": BULK_COLUMNS,
        "roles": selectors.grantable_roles(request.user),
        "back": reverse("people:person_list"),
    }
    return render(request, "people/bulk_invite.html", context)


@require_POST
@permission_required(Permission.USERS_MANAGE)
def bulk_invite_apply(request: HttpRequest) -> HttpResponse:
    """Invite everyone in the checked CSV, all or nobody."""
    kept = request.session.get(BULK_SESSION_KEY) or {}
    data = kept.get("data", "").encode("utf-8")
    if not data or request.POST.get("digest") != kept.get("digest"):
        messages.error(request, MSG_BULK_STALE)
        return redirect("people:bulk_invite")
    authority = get_object_or_404(selectors.managed_authorities(request.user), pk=kept["authority"])
    try:
        invited = services.invitations_bulk_send(
            authority=authority, file=kept["file"], data=data, link=_link(request), by=request.user
        )
    except PersonError as error:
        messages.error(request, str(error))
        return redirect("people:bulk_invite")
    request.session.pop(BULK_SESSION_KEY, None)
    messages.success(request, MSG_BULK_INVITED.format(count=len(invited)))
    return redirect("people:person_list")


@require_GET
@permission_required(Permission.USERS_MANAGE)
def bulk_template(request: HttpRequest) -> HttpResponse:
    """The bulk-invite CSV's header, to fill in."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(BULK_COLUMNS)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-to-invite.csv"'
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def role_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a person another role, or the same role in another place."""
    person = _person(request, pk)
    form = _scoped_form(RoleForm, request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.role_grant(
                person=person,
                **_placement(data),
                reason=data["reason"],
                by=request.user,
            )
        except PersonError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, MSG_ROLE_ADDED)
            return redirect("people:person_detail", pk=person.pk)
    return _form_page(
        request,
        form,
        title="Add a role",
        caption=person.shown_name,
        intro=ROLE_INTRO,
        submit="Add role",
        back=reverse("people:person_detail", kwargs={"pk": person.pk}),
    )


def _reason_page(
    request: HttpRequest,
    person: User,
    write: Callable[[str], object],
    *,
    title: str,
    submit: str,
    done: str,
    intro: str = "",
) -> HttpResponse:
    """Ask for a reason, then `write(reason)`; back to the person's page with `done`."""
    form = ReasonForm(request.POST or None)
    if form.is_valid():
        try:
            write(form.cleaned_data["reason"])
        except PersonError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("people:person_detail", pk=person.pk)
    return _form_page(
        request,
        form,
        title=title,
        caption=person.shown_name,
        intro=intro,
        submit=submit,
        back=reverse("people:person_detail", kwargs={"pk": person.pk}),
    )


@require_http_methods(["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def role_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    """Take one of a person's roles away, with a reason."""
    person = _person(request, pk)
    membership = get_object_or_404(
        Membership.objects.select_related("authority", "school"), pk=membership_pk, user=person
    )
    where = membership.school or membership.authority or "everywhere"
    return _reason_page(
        request,
        person,
        lambda reason: services.role_remove(membership=membership, reason=reason, by=request.user),
        title=f"Remove the role {RoleName(membership.role).label} in {where}",
        submit="Remove role",
        done=MSG_ROLE_REMOVED,
    )


@dataclass(frozen=True)
class AccountChange:
    """A change to a whole account, made with a reason: its service and its page's words."""

    write: Callable[..., None]
    title: str
    intro: str
    submit: str
    done: str


ACCOUNT_CHANGES = {
    "deactivate": AccountChange(
        services.person_deactivate,
        "Deactivate this account",
        "They will be signed out and unable to sign in. Nothing they recorded is removed, "
        "and you can reactivate the account later.",
        "Deactivate account",
        MSG_DEACTIVATED,
    ),
    "reactivate": AccountChange(
        services.person_reactivate,
        "Reactivate this account",
        "They will be able to sign in again, with the roles they had.",
        "Reactivate account",
        MSG_REACTIVATED,
    ),
    "revoke": AccountChange(
        services.invitation_revoke,
        "Withdraw this invitation",
        "The link will stop working and the account will be deactivated.",
        "Withdraw invitation",
        MSG_REVOKED,
    ),
}
"""The changes `account_change` makes, by the name its URL gives."""


@require_http_methods(["GET", "POST"])
@permission_required(Permission.USERS_MANAGE)
def account_change(request: HttpRequest, pk: int, change: str) -> HttpResponse:
    """Deactivate or reactivate an account, or withdraw an invitation, with a reason."""
    person = _person(request, pk)
    words = ACCOUNT_CHANGES[change]
    return _reason_page(
        request,
        person,
        lambda reason: words.write(person=person, reason=reason, by=request.user),
        title=words.title,
        intro=words.intro,
        submit=words.submit,
        done=words.done.format(name=person.shown_name),
    )


@require_POST
@permission_required(Permission.USERS_MANAGE)
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a new invitation link; the old one stops working."""
    person = _person(request, pk)
    try:
        services.invitation_resend(person=person, link=_link(request), by=request.user)
    except PersonError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, MSG_RESENT.format(email=person.email))
    return redirect("people:person_detail", pk=person.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens: choose a password, then sign in (and, where the
    role needs it, set up an authenticator app: the two-factor middleware sends them there)."""
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        return render(request, "people/invitation_unusable.html", status=404)
    person = invitation.user
    form = ChoosePasswordForm(person, request.POST or None)
    if form.is_valid():
        try:
            person = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except PersonError as error:
            form.add_error(None, str(error))
        else:
            login(request, person, backend=SIGN_IN_BACKEND)
            return redirect("core:home")
    context = {"form": form, "person": person, "two_factor": _needs_two_factor(person)}
    return render(request, "people/invitation_accept.html", context)
