"""One search for the inbox and the API: the words of a query matched against messages,
customer names and identity values, and a phone number however it is typed; each part
answered by an index.

Phone numbers are stored in E.164 (+14155551234). What an agent types ("415 555-1234",
"(415) 555 1234", "+1 415-555-1234", "020 7946 0018", "5551234") is read two ways:
parsed with `phonenumbers` in OMNIDESK_DEFAULT_PHONE_REGION (a whole national or
international number: equality on the unique (kind, value) index), and as its run of
digits found anywhere in a stored number (`identity_phone_trgm_idx`, a trigram GIN
index on phone identities: customers/migrations/0005_identity_search_index.py). A
trigram index rather than a digits-only column: E.164 values already are digits after
the "+", so the stored value needs no second copy, and a run of digits in the middle of
a number ("555-12") cannot use a btree at all."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q, QuerySet

from conversations.models import Conversation, Message
from customers.models import Customer, Identity

# The same expressions as the GIN indexes of the migrations, or PostgreSQL ignores them.
MESSAGE_SEARCH_VECTOR = SearchVector("subject", "text", config="simple")
CUSTOMER_SEARCH_VECTOR = SearchVector("name", config="simple")
_SEARCH_TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)
# A query that is only a phone number being typed: digits and the usual separators.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
# Fewer digits than this match too many numbers to mean one customer.
MIN_PHONE_DIGITS = 4


def has_search_words(q: str) -> bool:
    """Whether `q` holds anything `search_condition` can match on."""
    return _SEARCH_TOKEN.search(q) is not None


@dataclass(frozen=True)
class PhoneQuery:
    """What a phone-like query may match: whole numbers (E.164) and runs of digits."""

    numbers: tuple[str, ...]
    digit_runs: tuple[str, ...]


def phone_query(q: str, *, region: str | None = None) -> PhoneQuery | None:
    """How `q` reads as a phone number, or None when it is not one (letters in it, or
    fewer than MIN_PHONE_DIGITS digits)."""
    raw = q.strip()
    if not _PHONE_LIKE.match(raw):
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    numbers = []
    try:
        parsed = phonenumbers.parse(raw, region or settings.OMNIDESK_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_possible_number(parsed):
        numbers.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    runs = [digits]
    # A national number typed with its trunk prefix ("020 7946", "0151 2345") is stored
    # without it ("+44207946...").
    national = digits.lstrip("0")
    if national != digits and len(national) >= MIN_PHONE_DIGITS:
        runs.append(national)
    return PhoneQuery(numbers=tuple(numbers), digit_runs=tuple(runs))


def matching_identities(q: str) -> list[QuerySet[Identity]]:
    """The identities matching `q`, as `customer_id` subqueries each answered by one
    index: its value as a prefix (an email or an id being typed:
    `identity_value_prefix_idx`), and the phone number it reads as (the unique
    (kind, value) index and `identity_phone_trgm_idx`). Separate subqueries, because
    PostgreSQL plans an OR of both inside one as a scan of every identity."""
    by_prefix = Identity.objects.filter(value__startswith=q.strip().lower())
    matches = [by_prefix.values("customer_id")]
    phone = phone_query(q)
    if phone is not None:
        on_phones = Q(value__in=phone.numbers) if phone.numbers else Q(pk__in=[])
        for run in phone.digit_runs:
            on_phones |= Q(value__contains=run)
        phones = Identity.objects.filter(on_phones, kind=Identity.Kind.PHONE)
        matches.append(phones.values("customer_id"))
    return matches


def _identity_condition(q: str, *, field: str) -> Q:
    condition = Q(pk__in=[])
    for matches in matching_identities(q):
        condition |= Q(**{f"{field}__in": matches})
    return condition


def _words_query(q: str) -> SearchQuery | None:
    """Every word must match, the last one as a prefix (the agent may still be typing)."""
    tokens = _SEARCH_TOKEN.findall(q.lower())
    words = [word for token in tokens for word in re.sub(r"[^\w]", " ", token).split()]
    if not words:
        return None
    raw = " & ".join(f"'{word}'" for word in words[:-1]) + (" & " if words[:-1] else "")
    raw += f"'{words[-1]}':*"
    return SearchQuery(raw, search_type="raw", config="simple")


def search_condition(q: str) -> Q:
    """The search, as a condition on conversations: message text (subject and text),
    customer names, identity values and phone numbers. Used by the inbox's search box
    and `GET /api/v1/conversations/?q=`."""
    query = _words_query(q)
    if query is None and phone_query(q) is None:
        return Q(pk__in=[])
    condition = _identity_condition(q, field="customer_id")
    if query is not None:
        matching_messages = (
            Message.objects.annotate(search=MESSAGE_SEARCH_VECTOR)
            .filter(search=query)
            .values("conversation_id")
        )
        matching_customers = (
            Customer.objects.annotate(search=CUSTOMER_SEARCH_VECTOR)
            .filter(search=query)
            .values("pk")
        )
        condition |= Q(pk__in=matching_messages) | Q(customer_id__in=matching_customers)
    return condition


def customer_search_condition(q: str, *, conversations: QuerySet[Conversation]) -> Q:
    """The same search as a condition on customers (`GET /api/v1/customers/?q=`): their
    name, identities and phone numbers, and the text of their messages in
    `conversations` only (those the caller may see: matching the text of others would
    tell what those say)."""
    query = _words_query(q)
    if query is None and phone_query(q) is None:
        return Q(pk__in=[])
    condition = _identity_condition(q, field="pk")
    if query is not None:
        by_message = conversations.filter(
            pk__in=Message.objects.annotate(search=MESSAGE_SEARCH_VECTOR)
            .filter(search=query)
            .values("conversation_id")
        ).values("customer_id")
        condition |= Q(pk__in=by_message) | Q(
            pk__in=Customer.objects.annotate(search=CUSTOMER_SEARCH_VECTOR)
            .filter(search=query)
            .values("pk")
        )
    return condition
