"""The audit log of supervisor changes to rules, policies and hours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone

from routing.models import RuleChange


class SavedRows(Protocol):
    """What a saved inline formset knows about the rows it wrote (Django's model
    formsets fill these in `save()`)."""

    @property
    def model(self) -> type[models.Model]: ...

    @property
    def new_objects(self) -> Sequence[models.Model]: ...

    @property
    def changed_objects(self) -> Sequence[tuple[models.Model, Sequence[str]]]: ...

    @property
    def deleted_objects(self) -> Sequence[models.Model]: ...


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


def describe_changes(
    *, created: bool, changed_fields: Iterable[str], rows: Iterable[SavedRows]
) -> list[str]:
    """The audit lines for one save: "created" or "changed <field>" for the object
    itself, then one line per inline row added, changed or deleted."""
    changes = ["created"] if created else [f"changed {name}" for name in changed_fields]
    for saved in rows:
        label = saved.model._meta.verbose_name
        changes += [f"added {label} “{obj}”" for obj in saved.new_objects]
        changes += [
            f"changed {label} “{obj}”: {', '.join(fields)}" for obj, fields in saved.changed_objects
        ]
        changes += [f"deleted {label} “{obj}”" for obj in saved.deleted_objects]
    return changes


def record_save(
    *,
    actor: AbstractBaseUser | None,
    object_type: str,
    instance: models.Model,
    created: bool,
    changed_fields: Iterable[str] = (),
    rows: Iterable[SavedRows] = (),
) -> RuleChange | None:
    """Audit a supervisor's save of `instance` (already written, with its inline `rows`).

    A creation is always recorded; an edit only when a field or a row changed. When the
    model has an `updated_at`, it is bumped even for edits to inline rows only: the
    cached rule set (`routing.selectors.active_rules`) is keyed on it.

    Precondition: inside the transaction of the save."""
    if _has_field(type(instance), "updated_at"):
        type(instance).objects.filter(pk=instance.pk).update(updated_at=timezone.now())
    changes = describe_changes(created=created, changed_fields=changed_fields, rows=rows)
    if not created and not changes:
        return None
    return record_change(
        actor=actor,
        object_type=object_type,
        object_id=instance.pk,
        object_name=str(instance),
        action=RuleChange.Action.CREATED if created else RuleChange.Action.CHANGED,
        changes=changes,
    )


def record_deletions(
    *,
    actor: AbstractBaseUser | None,
    object_type: str,
    instances: Iterable[models.Model],
) -> list[RuleChange]:
    """Audit the deletion of `instances`; call before deleting them, while they still
    have their ids and names."""
    return [
        record_change(
            actor=actor,
            object_type=object_type,
            object_id=instance.pk,
            object_name=str(instance),
            action=RuleChange.Action.DELETED,
        )
        for instance in instances
    ]


def _has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
