"""E-mail notices to a person about their own account: what happened, and what to do if it was
not them. Sent when the change commits (a failure to send is logged, never undoes it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from threshold.web.accounts.models import User
from threshold.web.organisations.selectors import help_authority

GREETING = "Dear {name},"
RESET_YOUR_PASSWORD = (
    "reset your password with “Forgotten your password?” on Threshold's sign-in page"
)
FALLBACK_HELP = "your local authority's programme lead"
"""Who to contact when neither the person's LA nor the service names a help contact."""


@dataclass(frozen=True)
class Notice:
    """One kind of notice: its subject, what happened, and what to do if it was not them."""

    subject: str
    what: str
    if_not_you: str


PASSWORD_CHANGED = Notice(
    "Your Threshold password was changed",
    "The password of your Threshold account ({username}) was changed on {when}.",
    f"If you did not change it, someone else may be able to sign in as you: {RESET_YOUR_PASSWORD}"
    " and contact {help} straight away.",
)
PASSWORD_RESET = Notice(
    "Your Threshold password was reset",
    "The password of your Threshold account ({username}) was reset through a link sent to "
    "this address, on {when}.",
    "If you did not reset it, someone may be reading your e-mail: contact {help} straight away.",
)
RECOVERY_CODE_USED = Notice(
    "A recovery code was used to sign in to Threshold",
    "Someone signed in to your Threshold account ({username}) with one of your recovery codes "
    "on {when}. You have {left} recovery codes left. If you no longer have your authenticator "
    "app, set up a new one from “Your account” after signing in.",
    f"If this was not you, someone has your password and a recovery code: {RESET_YOUR_PASSWORD}"
    " and contact {help} straight away.",
)
AUTHENTICATOR_RESET = Notice(
    "Your Threshold authenticator app was reset",
    "{actor} reset the authenticator app of your Threshold account ({username}) on {when}, "
    "giving this reason: {reason}. Your old app and recovery codes no longer work: the next "
    "time you sign in you will set up an authenticator app again.",
    "If you did not ask for this, contact {help} straight away.",
)
ACCOUNT_UNLOCKED = Notice(
    "Your Threshold account was unlocked",
    "{actor} unlocked your Threshold account ({username}) on {when}, after too many wrong "
    "sign-in attempts, giving this reason: {reason}.",
    "If you did not try to sign in, someone may be guessing your password: "
    f"{RESET_YOUR_PASSWORD} and contact {{help}}.",
)


def help_contact(person: User) -> str:
    """Who `person` should contact: their LA's help contact, else the service's
    (`settings.HELP_CONTACT`), else their LA's programme lead."""
    authority = help_authority(person)
    if authority is not None:
        details = [d for d in (authority.help_email, authority.help_phone) if d]
        if authority.help_name or details:
            name = authority.help_name or f"{authority.shown_name}'s help contact"
            return f"{name} ({', '.join(details)})" if details else name
    return settings.HELP_CONTACT or FALLBACK_HELP


def notice_body(person: User, notice: Notice, **words: object) -> str:
    """The text of `notice` to `person`; `words` fill its blanks beyond name, when and help."""
    now = timezone.localtime()
    words = {
        "name": person.shown_name,
        "username": person.get_username(),
        "when": f"{now.day} {now:%B %Y at %H:%M}",
        "help": help_contact(person),
        **words,
    }
    paragraphs = (GREETING, notice.what, notice.if_not_you)
    return "\n\n".join(p.format(**words) for p in paragraphs) + "\n"


def notice_send(person: User, notice: Notice, **words: object) -> None:
    """E-mail `notice` to `person` when the current transaction commits (nothing when they
    have no address)."""
    if not person.email:
        return
    body = notice_body(person, notice, **words)
    send = partial(send_mail, notice.subject, body, None, [person.email])
    transaction.on_commit(send, robust=True)
