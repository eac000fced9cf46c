"""Guarding views with a permission, decided by `has_permission`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from threshold.web.accounts.authorisation import has_permission
from threshold.web.accounts.permissions import Permission

View = Callable[..., HttpResponse]


def permission_required(permission: Permission) -> Callable[[View], View]:
    """Let a view run only for users holding `permission` somewhere (the view's selectors then
    narrow to the places where they hold it); anonymous users go to sign in, others get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_permission(request.user, permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorator
