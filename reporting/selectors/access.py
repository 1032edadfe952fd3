"""Who may read reports."""

from __future__ import annotations

from typing import Any

from agents.roles import sees_everything
from omnidesk.errors import PermissionDeniedError


def access_reports(*, user: Any) -> None:
    """Reports are for supervisors and admins; PermissionDeniedError otherwise."""
    if not sees_everything(user):
        raise PermissionDeniedError("Reports are for supervisors.")
