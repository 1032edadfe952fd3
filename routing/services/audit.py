"""The audit log of supervisor changes to rules, policies and hours."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from routing.models import RuleChange


def record_change(
    *,
    actor: AbstractBaseUser | None,
    object_type: str,
    object_id: int | None,
    object_name: str,
    action: str,
    changes: list[Any] | None = None,
) -> RuleChange:
    return RuleChange.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        object_type=object_type,
        object_id=object_id,
        object_name=object_name[:200],
        action=action,
        changes=changes or [],
    )
