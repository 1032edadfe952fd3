"""The self-service outcomes (definitions in docs/metrics.md), counted from the bot's
sessions and the knowledge base's facts over a period of days."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from bot.models import BotSession
from knowledge.models import ArticleFeedback, ArticleView, KnowledgeGap
from knowledge.selectors import knowledge_gaps


@dataclass(frozen=True)
class Outcomes:
    start: date
    end: date
    bot_conversations: int
    resolved_by_bot: int
    revoked_resolutions: int
    handed_off: int
    still_talking: int
    agent_took_over: int
    article_views: int
    article_views_by_source: dict[str, int]
    helpful_yes: int
    helpful_no: int
    knowledge_gaps: int
    top_gaps: list[dict]

    @property
    def kept_resolutions(self) -> int:
        return self.resolved_by_bot - self.revoked_resolutions

    @property
    def containment_rate(self) -> float | None:
        """Bot resolutions that held, per bot conversation."""
        if not self.bot_conversations:
            return None
        return round(self.kept_resolutions / self.bot_conversations, 3)

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kept_resolutions": self.kept_resolutions,
            "containment_rate": self.containment_rate,
        }


def period(start: date | None, end: date | None) -> tuple[date, date, datetime, datetime]:
    end = end or timezone.localdate()
    start = start or end - timedelta(days=29)
    zone = timezone.get_current_timezone()
    return (
        start,
        end,
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def outcomes(*, start: date | None = None, end: date | None = None) -> Outcomes:
    """Sessions are counted in the period they started in; views, votes and gaps in the
    period they happened in."""
    start, end, since, until = period(start, end)
    states = BotSession.objects.filter(started_at__gte=since, started_at__lt=until).aggregate(
        total=Count("id"),
        resolved=Count("id", filter=Q(state=BotSession.State.RESOLVED)),
        revoked=Count("id", filter=Q(state=BotSession.State.RESOLVED, revoked_at__isnull=False)),
        handed_off=Count("id", filter=Q(state=BotSession.State.HANDED_OFF)),
        active=Count("id", filter=Q(state=BotSession.State.ACTIVE)),
        silenced=Count("id", filter=Q(state=BotSession.State.SILENCED)),
    )
    views = dict(
        ArticleView.objects.filter(created_at__gte=since, created_at__lt=until)
        .values_list("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    votes = ArticleFeedback.objects.filter(created_at__gte=since, created_at__lt=until).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    return Outcomes(
        start=start,
        end=end,
        bot_conversations=states["total"],
        resolved_by_bot=states["resolved"],
        revoked_resolutions=states["revoked"],
        handed_off=states["handed_off"],
        still_talking=states["active"],
        agent_took_over=states["silenced"],
        article_views=sum(views.values()),
        article_views_by_source=views,
        helpful_yes=votes["yes"],
        helpful_no=votes["no"],
        knowledge_gaps=KnowledgeGap.objects.filter(
            created_at__gte=since, created_at__lt=until
        ).count(),
        top_gaps=knowledge_gaps(limit=10, since=since, until=until),
    )
