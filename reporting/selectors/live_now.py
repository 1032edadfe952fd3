"""Live now (docs/metrics.md): open, waiting and SLA-breached conversations per team."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from agents.models import Team
from conversations.models import Conversation


def live_counts(*, team_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Open, waiting and SLA-breached conversations per team, as of now (docs/metrics.md,
    Live now). Runs on any database (the embedded default shows it too)."""
    now = timezone.now()
    unresolved = Conversation.objects.exclude(status=Conversation.Status.RESOLVED)
    breached = (
        Q(first_response_at__isnull=True, first_response_due_at__lt=now)
        | Q(waiting_since__isnull=False, next_response_due_at__lt=now)
        | Q(resolution_due_at__lt=now)
    )
    counts = {
        row["team_id"]: row
        for row in unresolved.values("team_id").annotate(
            open=Count("id", filter=Q(status=Conversation.Status.OPEN)),
            waiting=Count(
                "id",
                filter=Q(
                    status__in=[Conversation.Status.OPEN, Conversation.Status.PENDING],
                    waiting_since__isnull=False,
                ),
            ),
            breached=Count("id", filter=breached),
        )
    }
    teams = Team.objects.order_by("name")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    rows = [
        {
            "team_id": team.pk,
            "team": team.name,
            "open": counts.get(team.pk, {}).get("open", 0),
            "waiting": counts.get(team.pk, {}).get("waiting", 0),
            "breached": counts.get(team.pk, {}).get("breached", 0),
        }
        for team in teams
    ]
    if team_ids is None and None in counts:
        row = counts[None]
        rows.append(
            {
                "team_id": None,
                "team": "No team",
                "open": row["open"],
                "waiting": row["waiting"],
                "breached": row["breached"],
            }
        )
    return rows
