"""How the apps declare Celery tasks: one decorator, so the options a durable task needs
are written once, and a task that moved between apps keeps answering to its old name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

# A lost database connection is worth retrying; bad data is not.
DATABASE_HICCUPS = (OperationalError, InterfaceError)


def durable_task(
    *, former_names: tuple[str, ...] = (), **options: Any
) -> Callable[[Callable[..., Any]], Any]:
    """`shared_task` acknowledged late (a worker that dies mid-task leaves it queued),
    plus `options`.

    `former_names`: the names this task had before it moved to another app. Tasks queued
    under those names (in Redis during an upgrade, or by a beat still on the old
    schedule) still run. Keep them for one release after the move, then drop them.
    """
    options = {"acks_late": True, **options}

    def decorate(function: Callable[..., Any]) -> Any:
        task = shared_task(**options)(function)
        for name in former_names:
            shared_task(name=name, **options)(function)
        return task

    return decorate
