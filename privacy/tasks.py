from __future__ import annotations

from omnidesk.tasks import durable_task
from privacy import services


@durable_task(name="privacy.tasks.apply_retention_policies")
def apply_retention_policies() -> int:
    """Anonymise what the retention policies say has been kept long enough; returns how
    many conversations. Idempotent: anonymised conversations are not picked again."""
    candidates = services.apply_retention(dry_run=False)
    return sum(len(candidate.conversation_ids) for candidate in candidates)
