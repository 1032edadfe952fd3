"""Agents deciding merge suggestions: the pairs of customers resolution would not merge
on its own (identities given together that belong to two customers, a claim that
collides with another customer's identity)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from conversations.services.actions import merge_customers
from customers.models import Customer, MergeSuggestion
from customers.services import dismiss_merge_suggestion
from omnidesk.errors import ApplicationError

__all__ = ["accept_merge_suggestion", "dismiss_merge_suggestion"]


def accept_merge_suggestion(
    *, suggestion: MergeSuggestion, actor: AbstractBaseUser, keep_id: int | None = None
) -> Customer:
    """Merge the suggestion's two customers: the one numbered `keep_id` (by default the
    older record) survives and the other redirects to it (`merge_customers`). Only an open
    suggestion can be accepted (409 otherwise). Returns the surviving customer.
    Precondition: access checked (`access_merge_suggestion`)."""
    pair = (suggestion.customer_id, suggestion.other_id)
    keep_id = pair[0] if keep_id is None else keep_id
    if keep_id not in pair:
        raise ApplicationError(
            "Keep one of the two customers the suggestion names.",
            fields={"keep": [f"One of {pair[0]} and {pair[1]}."]},
        )
    with transaction.atomic():
        # The customers first, then the suggestion: the order every merge locks them in.
        customers = {
            c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=pair).order_by("pk")
        }
        suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != MergeSuggestion.Status.OPEN:
            raise ApplicationError("This suggestion was already decided.", status_code=409)
        merge_away_id = pair[1] if keep_id == pair[0] else pair[0]
        kept = merge_customers(
            source=customers[merge_away_id], target=customers[keep_id], actor=actor
        )
        MergeSuggestion.objects.filter(pk=suggestion.pk).update(
            status=MergeSuggestion.Status.MERGED, decided_by=actor
        )
    return kept
