"""Assignment strategies: pure choice of an agent among candidates, no database.

The caller gathers candidates (online team members with their load, under row locks)
and applies the choice; this module only decides, so the dry run and the real
assignment decide the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

ROUND_ROBIN = "round_robin"
LEAST_BUSY = "least_busy"
SKILLS = "skills"
MANUAL = "manual"


@dataclass(frozen=True)
class Candidate:
    user_id: int
    load: int
    capacity: int
    # Load and limit on the conversation's channel, when the agent has a channel limit.
    channel_load: int = 0
    channel_capacity: int | None = None
    skills: frozenset[str] = field(default_factory=frozenset)
    languages: frozenset[str] = field(default_factory=frozenset)
    username: str = ""

    @property
    def has_room(self) -> bool:
        if self.load >= self.capacity:
            return False
        return self.channel_capacity is None or self.channel_load < self.channel_capacity

    @property
    def utilisation(self) -> float:
        return self.load / self.capacity if self.capacity else 1.0


@dataclass(frozen=True)
class Choice:
    user_id: int | None
    reason: str


def _least_busy(candidates: Sequence[Candidate]) -> Candidate:
    return min(candidates, key=lambda c: (c.utilisation, c.load, c.user_id))


def _speaks(candidate: Candidate, language: str) -> bool:
    language = language.lower()
    base = language.split("-")[0]
    return any(spoken == language or spoken.split("-")[0] == base for spoken in candidate.languages)


def choose(
    *,
    strategy: str,
    candidates: Sequence[Candidate],
    last_assigned_id: int | None = None,
    wanted_skills: frozenset[str] = frozenset(),
    language: str = "",
) -> Choice:
    """The agent to get the next conversation, or None with the reason nobody fits.

    `candidates` are the online team members; those without free capacity are left out
    here. Round robin goes to the next agent (by user id) after `last_assigned_id`,
    skipping the full ones. Skills ranks agents by speaking the customer's language and
    then by how many of `wanted_skills` they have, and takes the least busy of the best.
    """
    if strategy == MANUAL:
        return Choice(None, "the team assigns by hand; the conversation waits in its queue")
    if not candidates:
        return Choice(None, "no team member is online; the conversation waits in the queue")
    free = [c for c in candidates if c.has_room]
    if not free:
        return Choice(None, "every online team member is at capacity; it waits in the queue")
    if strategy == ROUND_ROBIN:
        ordered = sorted(free, key=lambda c: c.user_id)
        after = [c for c in ordered if last_assigned_id is None or c.user_id > last_assigned_id]
        chosen = (after or ordered)[0]
        return Choice(chosen.user_id, "next in the round robin with free capacity")
    if strategy == SKILLS:
        wanted = {s.lower() for s in wanted_skills}

        def score(candidate: Candidate) -> tuple[int, int]:
            speaks = 1 if not language or _speaks(candidate, language) else 0
            return speaks, len(wanted & {s.lower() for s in candidate.skills})

        best = max(score(c) for c in free)
        best_group = [c for c in free if score(c) == best]
        chosen = _least_busy(best_group)
        parts = []
        if language:
            parts.append("speaks the customer's language" if best[0] else "nobody online speaks it")
        if wanted:
            parts.append(f"has {best[1]} of {len(wanted)} wanted skills")
        parts.append("least busy among the best matches")
        return Choice(chosen.user_id, "; ".join(parts))
    chosen = _least_busy(free)
    return Choice(
        chosen.user_id, f"least busy online agent ({chosen.load} of {chosen.capacity} open)"
    )
