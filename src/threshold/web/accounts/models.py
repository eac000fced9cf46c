"""The user and their memberships: a role held in a scope (everywhere, an LA or a school)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from threshold.web.accounts.roles import ROLES, Role, RoleName
from threshold.web.organisations.models import LocalAuthority, School


class User(AbstractUser):
    """A person who signs in. What they may do comes only from their memberships."""

    @property
    def shown_name(self) -> str:
        """Their full name, else their username."""
        return self.get_full_name() or self.get_username()


class Membership(models.Model):
    """`user` holds `role` in `authority` or `school` (or everywhere, for global roles).

    An SSW covering three LAs has three memberships; `membership_grant` checks the scope fits.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=RoleName.choices())
    authority = models.ForeignKey(
        LocalAuthority, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        where = self.school or self.authority or "everywhere"
        return f"{self.user} — {RoleName(self.role).label} — {where}"

    @property
    def role_class(self) -> type[Role]:
        return ROLES[RoleName(self.role)]
