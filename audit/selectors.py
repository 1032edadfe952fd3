"""Reads of the audit log: who may read it, what it holds."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from agents.roles import sees_everything
from audit.models import AuditEntry
from omnidesk.errors import ApplicationError


def access_audit_log(*, user: AbstractBaseUser | AnonymousUser) -> None:
    """Supervisors and admins read the log; anyone else is refused (403)."""
    if not sees_everything(user):
        raise ApplicationError("Only supervisors may read the audit log.", status_code=403)


def audit_entries() -> QuerySet[AuditEntry]:
    """Newest first. Precondition: `access_audit_log` passed."""
    return AuditEntry.objects.order_by("-created_at", "-id")


def known_actions() -> list[str]:
    return sorted(AuditEntry.objects.order_by().values_list("action", flat=True).distinct()[:200])
