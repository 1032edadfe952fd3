"""What the pane shows beside the timeline and composer: the customer's context, other
customers to merge with, agents to assign to, canned responses."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from agents.models import Team
from conversations.models import CannedResponse, Conversation, CustomerMerge
from conversations.selectors.access import visible_conversations, visible_customers
from conversations.selectors.search import has_search_words, search_condition
from customers.models import Customer, ExternalRecord, Identity, MergeSuggestion


@dataclass(frozen=True)
class CustomerContext:
    customer: Customer
    identities: list[Identity]
    external_records: list[ExternalRecord]
    other_conversations: list[Conversation]
    merges: list[CustomerMerge] = field(default_factory=list)  # into it, not undone
    merge_suggestions: list[SuggestedMerge] = field(default_factory=list)


@dataclass(frozen=True)
class SuggestedMerge:
    """An open merge suggestion seen from one of its customers: the other one, and why."""

    suggestion: MergeSuggestion
    other: Customer


def customer_context(*, customer: Customer, user: AbstractBaseUser) -> CustomerContext:
    """What the sidebar shows about a customer, limited to what `user` may see."""
    return CustomerContext(
        customer=customer,
        identities=list(customer.identities.order_by("kind", "id")),
        external_records=list(customer.external_records.order_by("source", "kind", "-updated_at")),
        other_conversations=list(
            visible_conversations(user=user)
            .filter(customer=customer)
            .select_related("assignee")
            .order_by("-last_message_at")[:20]
        ),
        merges=list(
            CustomerMerge.objects.filter(target=customer, undone_at__isnull=True)
            .select_related("source")
            .order_by("-merged_at", "-pk")[:10]
        ),
        merge_suggestions=merge_suggestions_for(customer=customer, user=user),
    )


def merge_suggestions_for(*, customer: Customer, user: AbstractBaseUser) -> list[SuggestedMerge]:
    """The open merge suggestions naming `customer` whose other customer `user` may see
    too (a conversation of each), oldest first. Access to `customer` is the caller's."""
    suggestions = (
        MergeSuggestion.objects.filter(status=MergeSuggestion.Status.OPEN)
        .filter(Q(customer=customer) | Q(other=customer))
        .select_related("customer", "other")
        .order_by("created_at", "pk")[:20]
    )
    seen = [
        SuggestedMerge(suggestion=s, other=s.other if s.customer_id == customer.pk else s.customer)
        for s in suggestions
    ]
    visible = set(
        visible_customers(user=user)
        .filter(pk__in={item.other.pk for item in seen})
        .values_list("pk", flat=True)
    )
    return [item for item in seen if item.other.pk in visible]


def merge_candidates(*, customer: Customer, user: AbstractBaseUser, q: str) -> list[Customer]:
    """Customers `user` may see matching `q` (name, email or phone), to merge with."""
    q = q.strip()
    if len(q) < 2:
        return []
    lowered = q.lower()
    matches = visible_customers(user=user).exclude(pk=customer.pk)
    if has_search_words(q):
        # Only conversations the user may see: matching the text of others would tell
        # them what those say.
        by_conversation = (
            visible_conversations(user=user).filter(search_condition(q)).values("customer_id")
        )
        matches = matches.filter(
            Q(pk__in=by_conversation)
            | Q(pk__in=Identity.objects.filter(value__startswith=lowered).values("customer_id"))
        )
    else:
        matches = matches.filter(
            Q(name__icontains=q)
            | Q(pk__in=Identity.objects.filter(value__startswith=lowered).values("customer_id"))
        )
    return list(matches.prefetch_related("identities").order_by("name", "pk")[:10])


def assignable_agents(*, conversation: Conversation) -> QuerySet:
    """Agents who may be given the conversation: members of the teams that see it."""
    team_ids = set(conversation.endpoint.teams.values_list("id", flat=True))
    if conversation.team_id:
        team_ids.add(conversation.team_id)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(teams__id__in=team_ids) | Q(agent_profile__role__in=["supervisor", "admin"]))
        .distinct()
        .order_by("first_name", "username")
    )


def canned_responses_for(*, user: AbstractBaseUser, prefix: str = "") -> QuerySet[CannedResponse]:
    """The shared responses and those of `user`'s teams whose shortcut starts with
    `prefix`, at most 20."""
    my_teams = Team.members.through.objects.filter(user_id=user.pk).values("team_id")
    responses = CannedResponse.objects.filter(Q(team__isnull=True) | Q(team_id__in=my_teams))
    if prefix:
        responses = responses.filter(shortcut__startswith=prefix.lower())
    return responses.order_by("shortcut")[:20]
