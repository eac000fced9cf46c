"""Reads of local authorities and schools."""

from __future__ import annotations

from django.db.models import QuerySet

from threshold.web.organisations.models import LocalAuthority


def authority_list() -> QuerySet[LocalAuthority]:
    """Every local authority, by name."""
    return LocalAuthority.objects.all()
