"""Every condition a routing rule can hold, matched and explained without the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing import rules
from routing.rules import Condition, Facts, Rule, evaluate, validate_condition

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def facts(**overrides) -> Facts:
    base = dict(
        channel="email",
        endpoint_id=7,
        endpoint_name="Support mailbox",
        text="Hi, I want a REFUND for order 123, it arrived broken.",
        subject="Broken blender",
        customer_attributes={"plan": "Enterprise", "seats": 40},
        customer_tags=("vip", "beta"),
        language="pt-BR",
        priority=1,
        inside_business_hours=True,
        previous_contact_at=NOW - timedelta(days=3),
        now=NOW,
    )
    return Facts(**{**base, **overrides})


def holds(condition: Condition, **overrides) -> bool:
    return rules.check(condition, facts(**overrides)).matched


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition(rules.CHANNEL, rules.IS, "email"), True),
        (Condition(rules.CHANNEL, rules.IS, "sms, whatsapp"), False),
        (Condition(rules.CHANNEL, rules.IS_NOT, "sms"), True),
        (Condition(rules.ENDPOINT, rules.IS, "7"), True),
        (Condition(rules.ENDPOINT, rules.IS_NOT, "7"), False),
        (Condition(rules.TEXT, rules.CONTAINS, "refund"), True),
        (Condition(rules.TEXT, rules.NOT_CONTAINS, "refund"), False),
        (Condition(rules.TEXT, rules.REGEX, r"order \d+"), True),
        (Condition(rules.TEXT, rules.REGEX, r"^invoice"), False),
        (Condition(rules.TEXT, rules.ANY_KEYWORD, "cancel, broken, damaged"), True),
        (Condition(rules.TEXT, rules.ANY_KEYWORD, "roken"), False),
        (Condition(rules.SUBJECT, rules.CONTAINS, "blender"), True),
        (Condition(rules.SUBJECT, rules.REGEX, "^Broken"), True),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.IS, "enterprise", key="plan"), True),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.IS_NOT, "free", key="plan"), True),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.CONTAINS, "prise", key="plan"), True),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.EXISTS, key="seats"), True),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.EXISTS, key="company"), False),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.REGEX, r"^\d{2}$", key="seats"), True),
        (Condition(rules.CUSTOMER_TAG, rules.HAS, "VIP"), True),
        (Condition(rules.CUSTOMER_TAG, rules.HAS_NOT, "vip"), False),
        (Condition(rules.LANGUAGE, rules.IS, "pt"), True),
        (Condition(rules.LANGUAGE, rules.IS, "es, fr"), False),
        (Condition(rules.LANGUAGE, rules.IS_NOT, "en"), True),
        (Condition(rules.PRIORITY, rules.IS, "normal"), True),
        (Condition(rules.PRIORITY, rules.AT_LEAST, "high"), False),
        (Condition(rules.PRIORITY, rules.AT_MOST, "1"), True),
        (Condition(rules.PRIORITY, rules.IS_NOT, "urgent"), True),
        (Condition(rules.BUSINESS_HOURS, rules.IS, "inside"), True),
        (Condition(rules.BUSINESS_HOURS, rules.IS, "outside"), False),
        (Condition(rules.REPEAT_CONTACT, rules.WITHIN_DAYS, "7"), True),
        (Condition(rules.REPEAT_CONTACT, rules.WITHIN_DAYS, "2"), False),
        (Condition(rules.REPEAT_CONTACT, rules.NOT_WITHIN_DAYS, "2"), True),
    ],
    ids=lambda value: value.describe() if isinstance(value, Condition) else str(value),
)
def test_each_condition_matches_as_described(condition, expected):
    assert validate_condition(condition) == {}
    assert holds(condition) is expected


def test_first_contact_is_not_a_repeat_contact():
    condition = Condition(rules.REPEAT_CONTACT, rules.WITHIN_DAYS, "30")
    result = rules.check(condition, facts(previous_contact_at=None))
    assert not result.matched
    assert "first contact" in result.reason


def test_outside_business_hours_condition():
    condition = Condition(rules.BUSINESS_HOURS, rules.IS, "outside")
    assert holds(condition, inside_business_hours=False)


def test_keywords_match_whole_words_case_insensitively():
    condition = Condition(rules.TEXT, rules.ANY_KEYWORD, "refund")
    assert holds(condition, text="REFUND please")
    assert not holds(condition, text="refunded already")


def test_a_missing_subject_and_attribute_do_not_match_positively():
    assert not holds(Condition(rules.SUBJECT, rules.CONTAINS, "x"), subject="")
    assert holds(Condition(rules.SUBJECT, rules.NOT_CONTAINS, "x"), subject="")
    assert not holds(Condition(rules.CUSTOMER_ATTRIBUTE, rules.IS, "x", key="nope"))


def test_all_needs_every_condition_and_any_needs_one():
    hit = Condition(rules.CHANNEL, rules.IS, "email")
    miss = Condition(rules.CHANNEL, rules.IS, "sms")
    assert not evaluate(Rule(1, "both", (hit, miss), "all"), facts()).matched
    assert evaluate(Rule(1, "either", (hit, miss), "any"), facts()).matched
    assert evaluate(Rule(1, "catch-all", ()), facts()).matched


def test_the_result_explains_each_condition_in_words():
    rule = Rule(
        1,
        "Refunds by SMS",
        (
            Condition(rules.TEXT, rules.CONTAINS, "refund"),
            Condition(rules.CHANNEL, rules.IS, "sms"),
        ),
    )
    result = evaluate(rule, facts())
    assert not result.matched
    reasons = [c.reason for c in result.conditions]
    assert reasons[0] == "Message text contains “refund”: yes, the message contains it."
    assert reasons[1] == "Channel kind is “sms”: no, the channel is “email”."
    assert result.summary == "1 of 2 conditions held; all needed: does not match."


@pytest.mark.parametrize(
    ("condition", "field", "words"),
    [
        (
            Condition(rules.TEXT, rules.REGEX, "(unclosed"),
            "value",
            "not a valid regular expression",
        ),
        (Condition(rules.CHANNEL, rules.REGEX, "x"), "operator", "can only be compared with"),
        (Condition(rules.TEXT, rules.CONTAINS, "  "), "value", "Enter a value"),
        (Condition(rules.PRIORITY, rules.IS, "asap"), "value", "low, normal, high, urgent"),
        (Condition(rules.BUSINESS_HOURS, rules.IS, "yes"), "value", "inside"),
        (Condition(rules.REPEAT_CONTACT, rules.WITHIN_DAYS, "a week"), "value", "whole number"),
        (Condition(rules.CUSTOMER_ATTRIBUTE, rules.IS, "x"), "key", "Name the attribute"),
        (Condition(rules.ENDPOINT, rules.IS, ""), "endpoint", "Pick the inbox"),
        (Condition("mood", rules.IS, "x"), "field", "Pick what"),
        (Condition(rules.TEXT, rules.ANY_KEYWORD, ", ,"), "value", "at least one keyword"),
    ],
)
def test_invalid_conditions_are_refused_in_plain_words(condition, field, words):
    problems = validate_condition(condition)
    assert field in problems
    assert words in problems[field]


def test_a_broken_stored_condition_does_not_crash_matching():
    result = rules.check(Condition(rules.PRIORITY, rules.IS, "asap"), facts())
    assert not result.matched
    assert "invalid" in result.reason
