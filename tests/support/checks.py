"""Running the system checks as ``manage.py check`` runs them, for the tests of each check
module."""

from __future__ import annotations

from django.core.checks import CheckMessage, run_checks


def our_messages() -> dict[str, CheckMessage]:
    """This package's check messages, by id, as ``manage.py check`` would report them."""
    return {
        message.id: message
        for message in run_checks()
        if message.id and message.id.startswith("django_lifespan_di.")
    }


def full_text(message: CheckMessage) -> str:
    return f"{message.msg} {message.hint or ''}"
