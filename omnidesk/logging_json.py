"""Log records as one JSON object a line, for log shippers (OMNIDESK_LOG_FORMAT=json).

Every field a caller passes in `extra=` (endpoint, conversation_id, event_id, message_id,
provider_id...) is kept as a field of its own. Fields whose names say they hold message
content or a secret are dropped, whatever their value: a log line must never carry a
customer's words or a credential.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# The attributes every LogRecord has; anything else came from `extra=`.
_RECORD_ATTRIBUTES = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

# Exact names that hold message content or objects that carry one (a request's path may
# hold a signed link's token).
SENSITIVE_FIELDS = frozenset(
    {"text", "body", "html", "raw", "payload", "content", "subject", "request", "scope"}
)
# Parts of a name that mark a secret: "password", "api_token", "client_secret"...
SENSITIVE_NAME_PARTS = (
    "password",
    "passwd",
    "token",
    "secret",
    "credential",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "signature",
)


def is_sensitive(name: str) -> bool:
    lowered = name.lower()
    return lowered in SENSITIVE_FIELDS or any(part in lowered for part in SENSITIVE_NAME_PARTS)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name in _RECORD_ATTRIBUTES or name.startswith("_") or is_sensitive(name):
                continue
            entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
