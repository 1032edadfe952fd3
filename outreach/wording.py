"""Pure text rules of outreach: template variables and the carriers' consent keywords.
No database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omnidesk.errors import ApplicationError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")

# The keywords US carriers and Twilio honour on every number (CTIA), and what WhatsApp's
# business policy asks to treat alike. Only a whole message counts: "stop by later" is
# not an opt-out.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "OPTIN"})


def placeholders(body: str) -> list[str]:
    """The variable names `body` uses, each once, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(body)))


def render(body: str, variables: Mapping[str, Any]) -> str:
    """`body` with each `{{ name }}` replaced by its variable. ApplicationError naming
    the missing ones; values are text, never evaluated."""
    missing = [name for name in placeholders(body) if name not in variables]
    if missing:
        raise ApplicationError(
            f"Missing template variables: {', '.join(missing)}.",
            fields={"variables": [f"{name} is required." for name in missing]},
        )
    return PLACEHOLDER.sub(lambda match: str(variables[match.group(1)]), body)


def consent_keyword(text: str) -> tuple[str, bool] | None:
    """(keyword, opts out) when the whole message is a consent keyword ("Stop", "stop!",
    "opt-out"), else None."""
    word = re.sub(r"[^A-Z]", "", (text or "").upper())
    if not word or len(text) > 32:
        return None
    if word in OPT_OUT_KEYWORDS:
        return word, True
    if word in OPT_IN_KEYWORDS:
        return word, False
    return None
