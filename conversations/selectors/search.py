"""Full-text search over conversations: the words of a query matched against messages,
customer names and identity values, each part answered by an index."""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q

from conversations.models import Message
from customers.models import Customer, Identity

# The same expressions as the GIN indexes of the migrations, or PostgreSQL ignores them.
MESSAGE_SEARCH_VECTOR = SearchVector("subject", "text", config="simple")
CUSTOMER_SEARCH_VECTOR = SearchVector("name", config="simple")
_SEARCH_TOKEN = re.compile(r"[\w@.+-]+", re.UNICODE)


def has_search_words(q: str) -> bool:
    """Whether `q` holds anything `search_condition` can match on."""
    return _SEARCH_TOKEN.search(q) is not None


def search_condition(q: str) -> Q:
    """Full-text search over messages (subject and text), customer names and identity
    values, as a condition on conversations. Each part is answered by an index (GIN or
    pattern btree)."""
    tokens = _SEARCH_TOKEN.findall(q.lower())
    if not tokens:
        return Q(pk__in=[])
    # Every word must match, the last one as a prefix (the agent may still be typing).
    words = [re.sub(r"[^\w]", " ", token).split() for token in tokens]
    flat = [word for group in words for word in group]
    if not flat:
        return Q(pk__in=[])
    raw = " & ".join(f"'{word}'" for word in flat[:-1]) + (" & " if flat[:-1] else "")
    raw += f"'{flat[-1]}':*"
    query = SearchQuery(raw, search_type="raw", config="simple")
    matching_messages = (
        Message.objects.annotate(search=MESSAGE_SEARCH_VECTOR)
        .filter(search=query)
        .values("conversation_id")
    )
    matching_customers = (
        Customer.objects.annotate(search=CUSTOMER_SEARCH_VECTOR).filter(search=query).values("pk")
    )
    identity_value = q.strip().lower()
    matching_identities = Identity.objects.filter(value__startswith=identity_value).values(
        "customer_id"
    )
    return (
        Q(pk__in=matching_messages)
        | Q(customer_id__in=matching_customers)
        | Q(customer_id__in=matching_identities)
    )
