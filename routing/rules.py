"""Routing-rule matching: pure functions over plain values, no database.

A rule is a list of conditions joined by "all" or "any"; evaluating it against the
`Facts` of a conversation gives a `RuleResult` that says, per condition, whether it held
and why, in words a supervisor reads on the dry-run page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

# Fields a condition can look at, and the operators each accepts.
CHANNEL = "channel"
ENDPOINT = "endpoint"
TEXT = "text"
SUBJECT = "subject"
CUSTOMER_ATTRIBUTE = "customer_attribute"
CUSTOMER_TAG = "customer_tag"
LANGUAGE = "language"
PRIORITY = "priority"
BUSINESS_HOURS = "business_hours"
REPEAT_CONTACT = "repeat_contact"

IS = "is"
IS_NOT = "is_not"
CONTAINS = "contains"
NOT_CONTAINS = "not_contains"
REGEX = "regex"
ANY_KEYWORD = "any_keyword"
EXISTS = "exists"
HAS = "has"
HAS_NOT = "has_not"
AT_LEAST = "at_least"
AT_MOST = "at_most"
WITHIN_DAYS = "within_days"
NOT_WITHIN_DAYS = "not_within_days"

FIELD_LABELS = {
    CHANNEL: "Channel kind",
    ENDPOINT: "Inbox (endpoint)",
    TEXT: "Message text",
    SUBJECT: "Subject",
    CUSTOMER_ATTRIBUTE: "Customer attribute",
    CUSTOMER_TAG: "Customer tag",
    LANGUAGE: "Customer language",
    PRIORITY: "Priority",
    BUSINESS_HOURS: "Business hours",
    REPEAT_CONTACT: "Repeat contact",
}
OPERATOR_LABELS = {
    IS: "is",
    IS_NOT: "is not",
    CONTAINS: "contains",
    NOT_CONTAINS: "does not contain",
    REGEX: "matches regular expression",
    ANY_KEYWORD: "contains any keyword of",
    EXISTS: "is set",
    HAS: "has",
    HAS_NOT: "does not have",
    AT_LEAST: "is at least",
    AT_MOST: "is at most",
    WITHIN_DAYS: "contacted us within N days",
    NOT_WITHIN_DAYS: "did not contact us within N days",
}
_TEXT_OPERATORS = (CONTAINS, NOT_CONTAINS, REGEX, ANY_KEYWORD)
OPERATORS_BY_FIELD: dict[str, tuple[str, ...]] = {
    CHANNEL: (IS, IS_NOT),
    ENDPOINT: (IS, IS_NOT),
    TEXT: _TEXT_OPERATORS,
    SUBJECT: _TEXT_OPERATORS,
    CUSTOMER_ATTRIBUTE: (IS, IS_NOT, CONTAINS, REGEX, EXISTS, AT_LEAST, AT_MOST),
    CUSTOMER_TAG: (HAS, HAS_NOT),
    LANGUAGE: (IS, IS_NOT),
    PRIORITY: (IS, IS_NOT, AT_LEAST, AT_MOST),
    BUSINESS_HOURS: (IS,),
    REPEAT_CONTACT: (WITHIN_DAYS, NOT_WITHIN_DAYS),
}
# Typed custom attributes (customers.attributes): the operators each type compares with.
# An attribute condition's key names its record: `customer.attributes.<key>`,
# `conversation.attributes.<key>`, or a bare key (the customer's).
ATTRIBUTE_OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "text": (IS, IS_NOT, CONTAINS, REGEX, EXISTS),
    "link": (IS, IS_NOT, CONTAINS, REGEX, EXISTS),
    "choice": (IS, IS_NOT, EXISTS),
    "number": (IS, IS_NOT, AT_LEAST, AT_MOST, EXISTS),
    "date": (IS, IS_NOT, AT_LEAST, AT_MOST, EXISTS),
    "boolean": (IS, EXISTS),
}
ATTRIBUTE_SCOPES = ("customer", "conversation")
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "1"), ("false", "no", "0")
PRIORITY_NAMES = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
INSIDE, OUTSIDE = "inside", "outside"
MAX_REGEX_LENGTH = 500


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""
    # The attribute name, for CUSTOMER_ATTRIBUTE.
    key: str = ""

    def describe(self) -> str:
        subject = FIELD_LABELS.get(self.field, self.field)
        if self.field == CUSTOMER_ATTRIBUTE:
            scope, key = attribute_target(self.key)
            subject = f"{scope.capitalize()} attribute “{key}”"
        operator = OPERATOR_LABELS.get(self.operator, self.operator)
        if self.operator == EXISTS:
            return f"{subject} {operator}"
        if self.field == REPEAT_CONTACT:
            return f"Customer {operator.replace('N', self.value)}"
        return f"{subject} {operator} “{self.value}”"


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    conditions: tuple[Condition, ...]
    match: str = "all"  # "all" or "any"


@dataclass(frozen=True)
class Facts:
    """What rules may look at about one conversation at one moment."""

    channel: str
    endpoint_id: int | None = None
    endpoint_name: str = ""
    text: str = ""
    subject: str = ""
    customer_attributes: Mapping[str, Any] = field(default_factory=dict)
    conversation_attributes: Mapping[str, Any] = field(default_factory=dict)
    # The defined attributes' types by "<customer|conversation>.<key>".
    attribute_types: Mapping[str, str] = field(default_factory=dict)
    customer_tags: Sequence[str] = ()
    language: str = ""
    priority: int = 1
    inside_business_hours: bool = True
    # The customer's latest earlier conversation, if any (None: first contact).
    previous_contact_at: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    matched: bool
    reason: str


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    matched: bool
    conditions: tuple[ConditionResult, ...]

    @property
    def summary(self) -> str:
        if not self.conditions:
            return "No conditions: matches every conversation."
        held = sum(result.matched for result in self.conditions)
        joined = "all" if self.rule.match == "all" else "at least one"
        return (
            f"{held} of {len(self.conditions)} conditions held; {joined} needed: "
            f"{'matches' if self.matched else 'does not match'}."
        )


# --- Validation (used by the admin forms, so messages are for supervisors) -------------


def attribute_target(key: str) -> tuple[str, str]:
    """(record, attribute key) an attribute condition's key names."""
    key = key.strip()
    for scope in ATTRIBUTE_SCOPES:
        prefix = f"{scope}.attributes."
        if key.startswith(prefix):
            return scope, key[len(prefix) :]
    return "customer", key


def _typed(kind: str | None, text: str) -> Any:
    """A condition's value as the attribute's type compares it; ValueError if it is not."""
    text = text.strip()
    if kind == "number":
        return float(text)
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"expected yes or no, not {text!r}")
    return text


def validate_condition(
    condition: Condition, attribute_types: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Problems with a condition, keyed by the form field they belong to.
    `attribute_types`: the defined attributes' types (`Facts.attribute_types`)."""
    allowed = OPERATORS_BY_FIELD.get(condition.field)
    if allowed is None:
        return {"field": "Pick what the condition looks at."}
    if condition.operator not in allowed:
        names = ", ".join(f"“{OPERATOR_LABELS[op]}”" for op in allowed)
        return {"operator": f"{FIELD_LABELS[condition.field]} can only be compared with {names}."}
    value = condition.value.strip()
    if condition.field == CUSTOMER_ATTRIBUTE:
        scope, key = attribute_target(condition.key)
        if not key:
            return {"key": "Name the attribute, e.g. plan or conversation.attributes.order_id."}
        kind = (attribute_types or {}).get(f"{scope}.{key}")
        if kind is None and scope == "conversation":
            return {"key": f"No conversation attribute is defined as “{key}”."}
        if kind is not None:
            allowed = ATTRIBUTE_OPERATORS_BY_TYPE.get(kind, OPERATORS_BY_FIELD[CUSTOMER_ATTRIBUTE])
            if condition.operator not in allowed:
                names = ", ".join(f"“{OPERATOR_LABELS[op]}”" for op in allowed)
                return {"operator": f"A {kind} attribute can only be compared with {names}."}
            if condition.operator not in (EXISTS, REGEX, CONTAINS):
                for item in _values(condition.value) or [""]:
                    try:
                        _typed(kind, item)
                    except ValueError:
                        return {"value": f"“{item}” is not a {kind} value."}
        elif condition.operator in (AT_LEAST, AT_MOST):
            try:
                float(condition.value)
            except ValueError:
                return {"value": "Compare an undefined attribute only with a number."}
    if condition.operator == EXISTS:
        return {}
    if condition.field == ENDPOINT:
        return {} if value else {"endpoint": "Pick the inbox."}
    if not value:
        return {"value": "Enter a value to compare with."}
    if condition.operator == REGEX:
        if len(value) > MAX_REGEX_LENGTH:
            return {"value": f"The regular expression is longer than {MAX_REGEX_LENGTH} signs."}
        try:
            re.compile(value)
        except re.error as exc:
            return {"value": f"This is not a valid regular expression: {exc}."}
    if condition.operator == ANY_KEYWORD and not _keywords(value):
        return {"value": "List at least one keyword, separated by commas."}
    if condition.field == PRIORITY and _priority(value) is None:
        return {"value": "Priority is one of low, normal, high, urgent (or 0 to 3)."}
    if condition.field == BUSINESS_HOURS and value.lower() not in (INSIDE, OUTSIDE):
        return {"value": "Enter “inside” or “outside”."}
    if condition.field == REPEAT_CONTACT and (not value.isdigit() or int(value) < 1):
        return {"value": "Enter a whole number of days, 1 or more."}
    return {}


# --- Evaluation -------------------------------------------------------------------------


def evaluate(rule: Rule, facts: Facts) -> RuleResult:
    results = tuple(check(condition, facts) for condition in rule.conditions)
    if not results:
        matched = True
    elif rule.match == "any":
        matched = any(result.matched for result in results)
    else:
        matched = all(result.matched for result in results)
    return RuleResult(rule=rule, matched=matched, conditions=results)


def check(condition: Condition, facts: Facts) -> ConditionResult:
    try:
        matched, why = _CHECKS[condition.field](condition, facts)
    except (KeyError, ValueError, re.error) as exc:
        matched, why = False, f"the condition is invalid ({exc})"
    verdict = "yes" if matched else "no"
    return ConditionResult(condition, matched, f"{condition.describe()}: {verdict}, {why}.")


def _values(value: str) -> list[str]:
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def _keywords(value: str) -> list[str]:
    return _values(value)


@lru_cache(maxsize=2048)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=2048)
def _keyword_pattern(value: str) -> re.Pattern[str]:
    words = sorted(_keywords(value), key=len, reverse=True)
    return re.compile(
        r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE
    )


def _priority(value: Any) -> int | None:
    text = str(value).strip().lower()
    if text in PRIORITY_NAMES:
        return PRIORITY_NAMES[text]
    if text.isdigit() and int(text) in PRIORITY_NAMES.values():
        return int(text)
    return None


def _priority_name(value: int) -> str:
    return next((name for name, number in PRIORITY_NAMES.items() if number == value), str(value))


def _quote(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return f"“{flat[:limit]}{'…' if len(flat) > limit else ''}”"


def _check_membership(actual: str, condition: Condition, label: str) -> tuple[bool, str]:
    wanted = _values(condition.value)
    inside = actual.lower() in wanted
    matched = inside if condition.operator == IS else not inside
    return matched, f"{label} is {_quote(actual) if actual else 'not known'}"


def _check_channel(condition: Condition, facts: Facts) -> tuple[bool, str]:
    return _check_membership(facts.channel, condition, "the channel")


def _check_endpoint(condition: Condition, facts: Facts) -> tuple[bool, str]:
    wanted = _values(condition.value)
    inside = str(facts.endpoint_id) in wanted
    matched = inside if condition.operator == IS else not inside
    name = facts.endpoint_name or f"#{facts.endpoint_id}"
    return matched, f"it came in on {_quote(name)}"


def _check_text_field(condition: Condition, actual: str, label: str) -> tuple[bool, str]:
    operator, value = condition.operator, condition.value
    if operator in (CONTAINS, NOT_CONTAINS):
        found = value.strip().lower() in actual.lower()
        matched = found if operator == CONTAINS else not found
        return matched, f"the {label} {'contains' if found else 'does not contain'} it"
    if operator == REGEX:
        hit = _compiled(value).search(actual)
        if hit:
            return True, f"the {label} matches at {_quote(hit.group(0))}"
        return False, f"nothing in the {label} matches"
    hit = _keyword_pattern(value).search(actual)
    if hit:
        return True, f"found the keyword {_quote(hit.group(0))}"
    return False, f"none of the keywords is in the {label}"


def _check_text(condition: Condition, facts: Facts) -> tuple[bool, str]:
    return _check_text_field(condition, facts.text, "message")


def _check_subject(condition: Condition, facts: Facts) -> tuple[bool, str]:
    if not facts.subject:
        found_nothing = condition.operator == NOT_CONTAINS
        return found_nothing, "there is no subject"
    return _check_text_field(condition, facts.subject, "subject")


def _check_attribute(condition: Condition, facts: Facts) -> tuple[bool, str]:
    scope, key = attribute_target(condition.key)
    values = facts.customer_attributes if scope == "customer" else facts.conversation_attributes
    if key not in values or values[key] in (None, ""):
        return condition.operator == IS_NOT, f"the {scope} has no such attribute"
    raw = values[key]
    kind = facts.attribute_types.get(f"{scope}.{key}")
    shown = ("yes" if raw else "no") if isinstance(raw, bool) else str(raw)
    said = f"it is {_quote(shown)}"
    if condition.operator == EXISTS:
        return True, said
    if kind in ("number", "date", "boolean") or condition.operator in (AT_LEAST, AT_MOST):
        # Typed: 10 is more than 9, and 2026-02-01 after 2026-01-15, whatever the text.
        actual = _typed(kind or "number", str(raw) if kind != "boolean" else shown)
        wanted = [_typed(kind or "number", item) for item in _values(condition.value)]
        if condition.operator in (IS, IS_NOT):
            same = actual in wanted
            return (same if condition.operator == IS else not same), said
        if not wanted:
            raise ValueError("no value to compare with")
        if condition.operator == AT_LEAST:
            return actual >= wanted[0], said
        return actual <= wanted[0], said
    actual = str(raw).lower()
    if condition.operator in (IS, IS_NOT):
        same = actual in _values(condition.value)
        return (same if condition.operator == IS else not same), said
    if condition.operator == CONTAINS:
        return condition.value.strip().lower() in actual, said
    return bool(_compiled(condition.value).search(str(raw))), said


def _check_tag(condition: Condition, facts: Facts) -> tuple[bool, str]:
    tags = {tag.lower() for tag in facts.customer_tags}
    wanted = set(_values(condition.value))
    has = bool(tags & wanted)
    shown = ", ".join(sorted(facts.customer_tags)) or "none"
    return (has if condition.operator == HAS else not has), f"the customer's tags are {shown}"


def _check_language(condition: Condition, facts: Facts) -> tuple[bool, str]:
    # "pt" matches "pt-BR": a rule for a language covers its regional variants.
    actual = facts.language.lower().replace("_", "-")
    inside = any(
        actual == want or actual.startswith(f"{want}-") for want in _values(condition.value)
    )
    matched = inside if condition.operator == IS else not inside
    return (
        matched,
        f"the customer's language is {_quote(facts.language) if actual else 'not known'}",
    )


def _check_priority(condition: Condition, facts: Facts) -> tuple[bool, str]:
    wanted = _priority(condition.value)
    if wanted is None:
        raise ValueError(f"unknown priority {condition.value!r}")
    actual = facts.priority
    matched = {
        IS: actual == wanted,
        IS_NOT: actual != wanted,
        AT_LEAST: actual >= wanted,
        AT_MOST: actual <= wanted,
    }[condition.operator]
    return matched, f"the priority is {_priority_name(actual)}"


def _check_business_hours(condition: Condition, facts: Facts) -> tuple[bool, str]:
    wanted_inside = condition.value.strip().lower() == INSIDE
    state = "inside" if facts.inside_business_hours else "outside"
    return facts.inside_business_hours == wanted_inside, f"it is {state} business hours"


def _check_repeat_contact(condition: Condition, facts: Facts) -> tuple[bool, str]:
    days = int(condition.value)
    if facts.previous_contact_at is None or facts.now is None:
        recent, why = False, "this is the customer's first contact"
    else:
        ago = facts.now - facts.previous_contact_at
        recent = ago <= timedelta(days=days)
        why = f"the previous contact was {_ago(ago)} ago"
    return (recent if condition.operator == WITHIN_DAYS else not recent), why


def _ago(delta: timedelta) -> str:
    if delta >= timedelta(days=1):
        return f"{delta.days} day{'s' if delta.days != 1 else ''}"
    hours = int(delta.total_seconds() // 3600)
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{int(delta.total_seconds() // 60)} minutes"


_CHECKS = {
    CHANNEL: _check_channel,
    ENDPOINT: _check_endpoint,
    TEXT: _check_text,
    SUBJECT: _check_subject,
    CUSTOMER_ATTRIBUTE: _check_attribute,
    CUSTOMER_TAG: _check_tag,
    LANGUAGE: _check_language,
    PRIORITY: _check_priority,
    BUSINESS_HOURS: _check_business_hours,
    REPEAT_CONTACT: _check_repeat_contact,
}
