"""The demo LAs' settings for `seed_demo`: front door and help contacts (Ofcom's drama numbers,
`.example` addresses), so that the help page shows an LA's contacts."""

from __future__ import annotations

from collections.abc import Iterator

from threshold.web.audit.services import Actor
from threshold.web.organisations.models import LocalAuthority
from threshold.web.organisations.services import authority_settings_update

DEMO_SETTINGS = {
    "990": {
        "frontdoor_phone": "01632 960100",
        "frontdoor_out_of_hours_phone": "01632 960199",
        "frontdoor_hours": "Monday to Thursday 8:30am to 5pm, Friday 8:30am to 4:30pm",
        "audit_contact_email": "information.governance@northmoor.example",
        "help_name": "Northmoor Threshold team",
        "help_email": "threshold@northmoor.example",
        "help_phone": "01632 960123",
    },
    "991": {
        "frontdoor_phone": "01632 960200",
        "frontdoor_hours": "Monday to Friday 9am to 5pm",
        "help_name": "Eastvale Early Help Hub",
        "help_email": "threshold@eastvale.example",
    },
}
MSG_SET = "gave {authority} its demo front door and help contacts"


def seed_demo_settings(*, by: Actor) -> Iterator[str]:
    """Give each demo LA without a help contact its demo settings; say which."""
    for authority in LocalAuthority.objects.filter(la_code__in=DEMO_SETTINGS, help_email=""):
        authority_settings_update(authority=authority, by=by, **DEMO_SETTINGS[authority.la_code])
        yield MSG_SET.format(authority=authority)
