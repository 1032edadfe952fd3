"""The one write of the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from audit.context import actor_of, current_origin
from audit.models import AuditEntry


def record(
    *,
    action: str,
    object_type: str = "",
    object_id: int | str | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    actor: AbstractBaseUser | None = None,
) -> AuditEntry:
    """Append one entry, inside the caller's transaction (a rolled-back change leaves no
    entry). `actor` when the service knows who acted; otherwise the request's user or
    token, or the system. `summary` and `changes` must hold no message body, no
    customer's personal value and no secret."""
    origin = current_origin()
    who = actor_of(actor, origin)
    return AuditEntry.objects.create(
        actor_kind=who.kind,
        actor_id=who.id,
        actor_label=who.label[:150],
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        summary=summary[:300],
        changes=changes or {},
        ip=origin.ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
    )
