"""The inbound pipeline: accept (store, schedule a drain), process (drain, batches,
handlers), the sweep. Split by concern; import from here."""

from intake.services.accept import (
    DRAIN_SCHEDULED_KEY,
    Accepted,
    accept_inbound,
    schedule_drain,
    validate_identities,
)
from intake.services.handlers import EVENT_HANDLERS, RetryLater
from intake.services.pipeline import drain_inbound_events, process_inbound_event, reprocess_events
from intake.services.sweep import SweepResult, sweep_stranded_work

__all__ = [
    "DRAIN_SCHEDULED_KEY",
    "EVENT_HANDLERS",
    "Accepted",
    "RetryLater",
    "SweepResult",
    "accept_inbound",
    "drain_inbound_events",
    "process_inbound_event",
    "reprocess_events",
    "schedule_drain",
    "sweep_stranded_work",
    "validate_identities",
]
