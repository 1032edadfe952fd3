"""Writes on the shared customer record: resolving identities, merging records."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from customers import hooks
from customers.attributes import validate_attributes
from customers.identities import IdentityClaim, Proof, in_resolution_order, normalize_identity
from customers.models import (
    AttributeDefinition,
    Customer,
    ExternalRecord,
    Identity,
    MergeSuggestion,
)
from omnidesk.errors import ApplicationError

logger = logging.getLogger(__name__)

_RESOLVE_ATTEMPTS = 4


@dataclass
class Resolution:
    customer: Customer
    created: bool = False
    conflicting: list[Customer] = field(default_factory=list)


def follow_merges(customer: Customer) -> Customer:
    """The live customer a (possibly merged-away) record redirects to."""
    seen = set()
    while customer.merged_into_id and customer.pk not in seen:
        seen.add(customer.pk)
        customer = customer.merged_into
    return customer


def normalize_claims(raw: dict[str, str], *, skip_invalid: bool = False) -> list[IdentityClaim]:
    """Normalise `{kind: value}` pairs, raising one error that names every bad field
    (`skip_invalid`: leaving them out instead, for hints nothing depends on)."""
    claims, errors = [], {}
    for kind, value in raw.items():
        if value in (None, ""):
            continue
        try:
            claims.append(
                normalize_identity(kind, str(value), settings.OMNIDESK_DEFAULT_PHONE_REGION)
            )
        except ValueError as exc:
            errors[kind] = [getattr(exc, "message", str(exc))]
    if errors and not skip_invalid:
        raise ApplicationError("Invalid sender identity.", fields=errors)
    return claims


def resolve_customer(
    *,
    claims: list[IdentityClaim],
    name: str = "",
    attributes: dict | None = None,
    proof: Proof = Proof.PROVIDER,
    claimed: Sequence[IdentityClaim] = (),
) -> Resolution:
    """Find or create the one customer these proven identities belong to (`proof` says
    how the door proved them; a claim goes through `resolve_claimed_customer`).

    Every identity given not yet known is attached to that customer. When the
    identities already belong to different customers nothing is merged: the customer
    of the first identity in resolution order wins and a merge suggestion is kept.

    `claimed`: what the sender also said about themselves that nothing proves (an
    unsigned email beside a signed user id). It never decides the customer: a claim
    nobody has is attached to the customer as claimed; one another customer has stays
    theirs, and becomes a hint (`unverified_<kind>`) and a merge suggestion.

    Safe under concurrency: two workers resolving the same new identity race on the
    unique (kind, value) constraint; the loser's savepoint rolls back and it retries,
    then finds the winner's customer.
    """
    if not claims:
        raise ApplicationError(
            "At least one sender identity is required.", fields={"from": ["required"]}
        )
    ordered = in_resolution_order(claims)
    extras = [claim for claim in in_resolution_order(list(claimed)) if claim not in ordered]
    known_customer = _single_known_owner(ordered, proven_only=True)
    if (
        known_customer is not None
        and not (name and not known_customer.name)
        and not attributes
        and (not extras or _single_known_owner(extras) == known_customer)
    ):
        # The common case, a returning customer: nothing to write, no savepoint needed.
        return Resolution(customer=known_customer)
    for attempt in range(_RESOLVE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _resolve_once(
                    ordered,
                    name=name,
                    attributes=attributes or {},
                    proof=proof,
                    claimed=extras,
                )
        except IntegrityError:
            if attempt == _RESOLVE_ATTEMPTS - 1:
                raise
            logger.info("identity race lost, retrying resolution", extra={"attempt": attempt})
    raise AssertionError("unreachable")


def _resolve_once(
    claims: list[IdentityClaim],
    *,
    name: str,
    attributes: dict,
    proof: Proof,
    claimed: list[IdentityClaim],
) -> Resolution:
    known = _known_identities(claims)
    # A value someone only claimed earlier (a web form) does not decide whose message this
    # is: the proven message takes the identity over, and the claimant's record becomes
    # a merge suggestion for an agent to judge.
    claimed_by = {
        claim: follow_merges(identity.customer)
        for claim, identity in known.items()
        if identity.proof == Proof.CLAIMED
    }
    owners: list[Customer] = []
    for claim in claims:
        identity = known.get(claim)
        if identity is not None and claim not in claimed_by:
            owner = follow_merges(identity.customer)
            if owner not in owners:
                owners.append(owner)

    if owners:
        customer, created = owners[0], False
        if name and not customer.name:
            customer.name = name
            customer.save(update_fields=["name", "updated_at"])
    else:
        customer, created = Customer.objects.create(name=name), True

    if attributes:
        merged = {**customer.attributes, **attributes}
        if merged != customer.attributes:
            customer.attributes = merged
            customer.save(update_fields=["attributes", "updated_at"])

    for claim in claims:
        identity = known.get(claim)
        if identity is None:
            Identity.objects.create(
                customer=customer, kind=claim.kind, value=claim.value, proof=proof
            )
        elif claim in claimed_by:
            Identity.objects.filter(pk=identity.pk).update(customer=customer, proof=proof)
        elif identity.customer_id != customer.pk and identity.customer.merged_into_id:
            # A stale identity of a merged-away record: it belongs to the survivor.
            Identity.objects.filter(pk=identity.pk).update(customer=customer)

    for other in owners[1:]:
        suggest_merge(
            customer=customer,
            other=other,
            reason="Identities given together belong to different customers.",
        )
    for claim, claimant in claimed_by.items():
        if claimant != customer:
            suggest_merge(
                customer=customer,
                other=claimant,
                reason=(
                    f"This {claim.kind} was only claimed (a form, unauthenticated mail, an "
                    "untrusted integration) before a message proved it."
                ),
            )
    _attach_claims(customer, claimed)
    if created:
        hooks.notify_customers_created([customer])
    return Resolution(customer=customer, created=created, conflicting=owners[1:])


def _attach_claims(customer: Customer, claimed: list[IdentityClaim]) -> None:
    """The unproven extras of a message `customer` is proven to have sent: each nobody
    has becomes theirs (claimed); one another customer has is never taken from them,
    only noted on `customer` as a hint, with a merge suggestion saying why."""
    if not claimed:
        return
    known = _known_identities(claimed)
    hints = {}
    for claim, identity in known.items():
        owner = follow_merges(identity.customer)
        if owner != customer:
            hints[f"unverified_{claim.kind}"] = claim.value
            suggest_merge(
                customer=customer,
                other=owner,
                reason=f"Gave, unproven, the other customer's {claim.kind}: {claim.value}",
            )
    Identity.objects.bulk_create(
        Identity(customer=customer, kind=claim.kind, value=claim.value, proof=Proof.CLAIMED)
        for claim in claimed
        if claim not in known
    )
    if hints and {**customer.attributes, **hints} != customer.attributes:
        customer.attributes = {**customer.attributes, **hints}
        customer.save(update_fields=["attributes", "updated_at"])


def resolve_claimed_customer(
    *,
    claims: list[IdentityClaim],
    name: str = "",
    attributes: dict | None = None,
    join_proven_owner: bool = True,
) -> Resolution:
    """The customer of a message whose identities are only claimed (a web form: anyone
    can type anyone's address).

    A claim never joins another customer, unless it adds nothing to them: when every
    identity given is already theirs, the message is theirs (replies still go only where
    they already did). `join_proven_owner=False` (a door whose replies go back to the
    claimant, such as an integration's callback) narrows that to a customer nothing
    proves, a record of the same claims. Otherwise the message gets its own customer,
    holding the claimed identities nobody has yet (marked claimed) and, for those another
    customer has, a hint (`unverified_<kind>`) and a merge suggestion. Claimed attributes
    never change an existing customer.
    """
    if not claims:
        raise ApplicationError(
            "At least one sender identity is required.", fields={"from": ["required"]}
        )
    ordered = in_resolution_order(claims)
    owner = _single_known_owner(ordered)
    if owner is not None and (
        join_proven_owner
        or not Identity.objects.filter(customer=owner).exclude(proof=Proof.CLAIMED).exists()
    ):
        return Resolution(customer=owner)
    for attempt in range(_RESOLVE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _resolve_claimed_once(ordered, name=name, attributes=attributes or {})
        except IntegrityError:
            if attempt == _RESOLVE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _resolve_claimed_once(
    claims: list[IdentityClaim], *, name: str, attributes: dict
) -> Resolution:
    known = _known_identities(claims)
    customer = _earlier_claimant(claims, known)
    created = customer is None
    if customer is None:
        hints = {f"unverified_{claim.kind}": claim.value for claim in claims if claim in known}
        customer = Customer.objects.create(name=name, attributes={**attributes, **hints})
    others: list[Customer] = []
    for claim in claims:
        identity = known.get(claim)
        if identity is None:
            Identity.objects.create(
                customer=customer, kind=claim.kind, value=claim.value, proof=Proof.CLAIMED
            )
            continue
        other = follow_merges(identity.customer)
        if other != customer and other not in others:
            others.append(other)
    for other in others:
        suggest_merge(
            customer=customer,
            other=other,
            reason=(
                "A message gave this customer's identities; nothing proves it was them (a "
                "form, unauthenticated mail, an untrusted integration)."
            ),
        )
    if created:
        hooks.notify_customers_created([customer])
    return Resolution(customer=customer, created=created, conflicting=others)


def _earlier_claimant(
    claims: list[IdentityClaim], known: dict[IdentityClaim, Identity]
) -> Customer | None:
    """The record an earlier message making the same claims got, so one unproven sender
    (a spoofer, or a customer whose mail fails authentication) keeps one record and one
    merge suggestion instead of a new pair per message: a customer nothing proves that
    holds one of these claims, or the hints of all of those another customer has."""
    claimant_ids = {
        identity.customer_id for identity in known.values() if identity.proof == Proof.CLAIMED
    }
    hints = {
        f"unverified_{claim.kind}": claim.value
        for claim, identity in known.items()
        if identity.proof != Proof.CLAIMED
    }
    if not claimant_ids and not hints:
        return None
    candidates = Customer.objects.filter(merged_into__isnull=True).exclude(
        identities__in=Identity.objects.exclude(proof=Proof.CLAIMED)
    )
    if claimant_ids:
        candidates = candidates.filter(pk__in=claimant_ids)
    else:
        candidates = candidates.filter(attributes__contains=hints)
    return candidates.order_by("-pk").first()


@dataclass(frozen=True)
class ResolveRequest:
    claims: list[IdentityClaim]
    name: str = ""
    attributes: dict | None = None
    proof: Proof = Proof.PROVIDER


def resolve_customers(requests: list[ResolveRequest]) -> list[Customer]:
    """`resolve_customer` for each request, in order, for an inbound batch: identities
    are looked up once and the writes are made together.

    The result is what resolving them one by one gives. A request whose identities are
    all known to one customer is answered from the lookup. A request whose new
    identities no other request of the batch claims is settled in bulk: its customer is
    the first owner in resolution order (or a new customer), its new identities are
    attached to it, and other owners become merge suggestions. Every other request
    (identities shared within the batch, merged-away owners, names or attributes to
    store on an existing customer) goes through `resolve_customer` itself.
    """
    for request in requests:
        if not request.claims:
            raise ApplicationError(
                "At least one sender identity is required.", fields={"from": ["required"]}
            )
    known = _known_identities([claim for request in requests for claim in request.claims])
    claim_uses: dict[IdentityClaim, int] = {}
    for request in requests:
        for claim in set(request.claims):
            claim_uses[claim] = claim_uses.get(claim, 0) + 1
    found: list[Customer | None] = []
    settled: list[tuple[int, list[Customer], list[IdentityClaim]]] = []
    for index, request in enumerate(requests):
        ordered = in_resolution_order(request.claims)
        owners = list(dict.fromkeys(known[c].customer for c in ordered if c in known))
        new_claims = [c for c in ordered if c not in known]
        found.append(None)
        if any(owner.merged_into_id for owner in owners):
            continue
        if any(known[c].proof == Proof.CLAIMED for c in ordered if c in known):
            continue  # a claim to take over: the one-by-one rules
        if owners and (request.attributes or (request.name and not owners[0].name)):
            continue
        if not new_claims and len(owners) == 1:
            found[index] = owners[0]
        elif all(claim_uses[claim] == 1 for claim in new_claims):
            settled.append((index, owners, new_claims))
    for index, customer in _settle_in_bulk(requests, settled).items():
        found[index] = customer
    return [
        customer
        or resolve_customer(
            claims=request.claims,
            name=request.name,
            attributes=request.attributes,
            proof=request.proof,
        ).customer
        for request, customer in zip(requests, found, strict=True)
    ]


def _settle_in_bulk(
    requests: list[ResolveRequest],
    settled: list[tuple[int, list[Customer], list[IdentityClaim]]],
) -> dict[int, Customer]:
    """New customers, new identities and merge suggestions of the bulk-settled requests;
    nothing when another worker took one of the identities meanwhile (the unique
    constraint says so, and the callers then resolve those requests one by one)."""
    if not settled:
        return {}
    try:
        with transaction.atomic():
            fresh = [index for index, owners, _ in settled if not owners]
            created = Customer.objects.bulk_create(
                [
                    Customer(name=requests[i].name, attributes=requests[i].attributes or {})
                    for i in fresh
                ]
            )
            customers = dict(zip(fresh, created, strict=True))
            identities, suggestions = [], []
            for index, owners, new_claims in settled:
                customer = customers.setdefault(index, owners[0] if owners else None)
                identities += [
                    Identity(
                        customer=customer,
                        kind=claim.kind,
                        value=claim.value,
                        proof=requests[index].proof,
                    )
                    for claim in new_claims
                ]
                for other in owners[1:]:
                    first, second = sorted([customer, other], key=lambda c: c.pk)
                    suggestions.append(
                        MergeSuggestion(
                            customer=first,
                            other=second,
                            reason="Identities given together belong to different customers.",
                        )
                    )
            Identity.objects.bulk_create(identities)
            # An open suggestion for the same pair already exists: nothing to add.
            MergeSuggestion.objects.bulk_create(suggestions, ignore_conflicts=True)
            hooks.notify_customers_created(created)
    except IntegrityError:
        logger.info("identity race lost in a batch, resolving one by one")
        return {}
    return customers


def _single_known_owner(
    claims: list[IdentityClaim], *, proven_only: bool = False
) -> Customer | None:
    """The live customer owning every given identity, if there is exactly one.
    `proven_only`: none if one of them is only claimed."""
    known = _known_identities(claims)
    if len(known) != len(claims):
        return None
    if proven_only and any(i.proof == Proof.CLAIMED for i in known.values()):
        return None
    owners = {identity.customer_id: identity.customer for identity in known.values()}
    if len(owners) != 1:
        return None
    owner = next(iter(owners.values()))
    return None if owner.merged_into_id else owner


def _known_identities(claims: list[IdentityClaim]) -> dict[IdentityClaim, Identity]:
    by_kind: dict[str, list[str]] = {}
    for claim in claims:
        by_kind.setdefault(claim.kind, []).append(claim.value)
    found: dict[IdentityClaim, Identity] = {}
    for kind, values in by_kind.items():
        for identity in Identity.objects.select_related("customer").filter(
            kind=kind, value__in=values
        ):
            found[IdentityClaim(identity.kind, identity.value)] = identity
    return found


def suggest_merge(*, customer: Customer, other: Customer, reason: str) -> MergeSuggestion:
    first, second = sorted([customer, other], key=lambda c: c.pk)
    with transaction.atomic():
        suggestion, _ = MergeSuggestion.objects.get_or_create(
            customer=first,
            other=second,
            status=MergeSuggestion.Status.OPEN,
            defaults={"reason": reason[: MergeSuggestion._meta.get_field("reason").max_length]},
        )
    return suggestion


def dismiss_merge_suggestion(
    *, suggestion: MergeSuggestion, actor: AbstractBaseUser
) -> MergeSuggestion:
    """An agent judged the two customers to be different people. Only an open
    suggestion can be dismissed (409 otherwise). Precondition: access checked
    (`access_merge_suggestion`)."""
    with transaction.atomic():
        suggestion = MergeSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if suggestion.status != MergeSuggestion.Status.OPEN:
            raise ApplicationError("This suggestion was already decided.", status_code=409)
        suggestion.status = MergeSuggestion.Status.DISMISSED
        suggestion.decided_by = actor
        suggestion.save(update_fields=["status", "decided_by"])
    return suggestion


@dataclass(frozen=True)
class CustomerFields:
    """A customer's own fields, as a merge found or left them."""

    name: str
    language: str
    attributes: dict
    tags: list[str]

    @classmethod
    def of(cls, customer: Customer) -> CustomerFields:
        return cls(
            name=customer.name,
            language=customer.language,
            attributes=dict(customer.attributes),
            tags=list(customer.tags),
        )

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "language": self.language,
            "attributes": self.attributes,
            "tags": self.tags,
        }

    @classmethod
    def from_json(cls, data: dict) -> CustomerFields:
        return cls(
            name=data.get("name", ""),
            language=data.get("language", ""),
            attributes=dict(data.get("attributes") or {}),
            tags=list(data.get("tags") or []),
        )


@dataclass(frozen=True)
class MergedRecords:
    """What `merge_customer_records` moved from the source to the target, so that
    `restore_customer_records` can move exactly that back."""

    identity_ids: list[int]
    external_record_ids: list[int]
    redirected_customer_ids: list[int]  # customers that redirected to the source
    suggestion_ids: list[int]  # open merge suggestions the merge settled
    target_before: CustomerFields
    target_after: CustomerFields

    def as_json(self) -> dict:
        return {
            "identity_ids": self.identity_ids,
            "external_record_ids": self.external_record_ids,
            "redirected_customer_ids": self.redirected_customer_ids,
            "suggestion_ids": self.suggestion_ids,
            "target_before": self.target_before.as_json(),
            "target_after": self.target_after.as_json(),
        }

    @classmethod
    def from_json(cls, data: dict) -> MergedRecords:
        return cls(
            identity_ids=list(data.get("identity_ids") or []),
            external_record_ids=list(data.get("external_record_ids") or []),
            redirected_customer_ids=list(data.get("redirected_customer_ids") or []),
            suggestion_ids=list(data.get("suggestion_ids") or []),
            target_before=CustomerFields.from_json(data.get("target_before") or {}),
            target_after=CustomerFields.from_json(data.get("target_after") or {}),
        )


def merge_customer_records(*, source: Customer, target: Customer) -> MergedRecords:
    """Move identities and external records of `source` to `target` and redirect it;
    returns what moved.

    Conversations are moved by `conversations.services.merge_customers`, which calls this.
    Precondition: both rows are locked by the caller's transaction.
    """
    if source.pk == target.pk:
        raise ApplicationError("A customer cannot be merged into itself.")
    if target.merged_into_id:
        raise ApplicationError("The target customer was itself merged away.")
    target_before = CustomerFields.of(target)
    identity_ids = sorted(Identity.objects.filter(customer=source).values_list("pk", flat=True))
    Identity.objects.filter(pk__in=identity_ids).update(customer=target)
    external_record_ids = []
    for record in ExternalRecord.objects.filter(customer=source).order_by("pk"):
        record.customer = target
        record.save(update_fields=["customer", "updated_at"])
        external_record_ids.append(record.pk)
    target.attributes = {**source.attributes, **target.attributes}
    target.tags = sorted(set(target.tags) | set(source.tags))
    if not target.name:
        target.name = source.name
    if not target.language:
        target.language = source.language
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    redirected_customer_ids = sorted(
        Customer.objects.filter(merged_into=source).values_list("pk", flat=True)
    )
    Customer.objects.filter(pk__in=redirected_customer_ids).update(merged_into=target)
    settled = MergeSuggestion.objects.filter(
        status=MergeSuggestion.Status.OPEN,
        customer__in=[source, target],
        other__in=[source, target],
    )
    suggestion_ids = sorted(settled.values_list("pk", flat=True))
    MergeSuggestion.objects.filter(pk__in=suggestion_ids).update(
        status=MergeSuggestion.Status.MERGED
    )
    return MergedRecords(
        identity_ids=identity_ids,
        external_record_ids=external_record_ids,
        redirected_customer_ids=redirected_customer_ids,
        suggestion_ids=suggestion_ids,
        target_before=target_before,
        target_after=CustomerFields.of(target),
    )


def restore_customer_records(
    *,
    source: Customer,
    target: Customer,
    records: MergedRecords,
    decided_by: AbstractBaseUser | None,
) -> list[Identity]:
    """Undo `merge_customer_records`: what moved goes back to `source` when it is still
    on `target`, `source` and the customers re-pointed with it redirect as before (source:
    not at all), and the merge's suggestions count as dismissed (undoing the merge says
    these are two people). Returns the identities given back.

    The target's fields go back to their values before the merge where they still hold
    what the merge left; a field (for attributes and tags: a key, a tag) someone changed
    after the merge keeps its new value. Identities and records that reached the target
    after the merge stay with it.
    Precondition: both rows are locked by the caller's transaction, and `source` still
    redirects to `target`.
    """
    returning = list(
        Identity.objects.filter(pk__in=records.identity_ids, customer=target).order_by("pk")
    )
    Identity.objects.filter(pk__in=[identity.pk for identity in returning]).update(customer=source)
    ExternalRecord.objects.filter(pk__in=records.external_record_ids, customer=target).update(
        customer=source
    )
    Customer.objects.filter(pk__in=records.redirected_customer_ids, merged_into=target).update(
        merged_into=source
    )
    source.merged_into = None
    source.save(update_fields=["merged_into", "updated_at"])
    restored = restored_fields(
        before=records.target_before,
        after=records.target_after,
        current=CustomerFields.of(target),
    )
    target.name, target.language = restored.name, restored.language
    target.attributes, target.tags = restored.attributes, restored.tags
    target.save()
    MergeSuggestion.objects.filter(
        pk__in=records.suggestion_ids, status=MergeSuggestion.Status.MERGED
    ).update(status=MergeSuggestion.Status.DISMISSED, decided_by=decided_by)
    for identity in returning:
        identity.customer = source
    return returning


_ABSENT = object()


def restored_fields(
    *, before: CustomerFields, after: CustomerFields, current: CustomerFields
) -> CustomerFields:
    """A merge target's fields once its merge is undone: `before` wherever `current` still
    holds what the merge made (`after`), `current` wherever someone changed it since."""
    if current.attributes == after.attributes:
        attributes = dict(before.attributes)
    else:
        attributes = dict(current.attributes)
        for key in set(before.attributes) | set(after.attributes):
            made = after.attributes.get(key, _ABSENT)
            if made == before.attributes.get(key, _ABSENT):
                continue  # the merge left this key alone
            if current.attributes.get(key, _ABSENT) != made:
                continue  # changed since the merge
            if key in before.attributes:
                attributes[key] = before.attributes[key]
            else:
                attributes.pop(key, None)
    if current.tags == after.tags:
        tags = list(before.tags)
    else:
        added_by_merge = set(after.tags) - set(before.tags)
        tags = [tag for tag in current.tags if tag not in added_by_merge]
    return CustomerFields(
        name=before.name if current.name == after.name else current.name,
        language=before.language if current.language == after.language else current.language,
        attributes=attributes,
        tags=tags,
    )


def update_customer(
    *,
    customer: Customer,
    name: str | None = None,
    language: str | None = None,
    attributes: dict | None = None,
    tags: list[str] | None = None,
    may_edit_restricted: bool = False,
    actor: AbstractBaseUser | None = None,
) -> Customer:
    """A person's edit of the customer's own fields; `attributes`, when given, is the whole
    new set, checked against the definitions (`customers.attributes`), supervisors-only
    ones changeable only with `may_edit_restricted`. `actor`: who edits, when the caller
    knows (else the audit log takes the request's user)."""
    if name is not None:
        customer.name = name.strip()[:200]
    if language is not None:
        customer.language = language.strip()[:16]
    previous_attributes = dict(customer.attributes or {})
    if attributes is not None:
        customer.attributes = validate_attributes(
            applies_to=AttributeDefinition.AppliesTo.CUSTOMER,
            values=attributes,
            previous=customer.attributes,
            may_edit_restricted=may_edit_restricted,
        )
    if tags is not None:
        customer.tags = sorted({t.strip() for t in tags if t.strip()})
    customer.save()
    hooks.notify_customer_attributes_changed(
        customer=customer, previous=previous_attributes, actor=actor
    )
    hooks.notify_customer_updated(customer)
    return customer


def add_identity(
    *, customer: Customer, kind: str, value: str, proof: Proof = Proof.AGENT_VERIFIED
) -> Identity:
    """An identity an agent adds to the customer's record (the address they gave in a
    conversation): the agent vouches for it, so the customer's own message on it later
    finds them rather than taking it over as a claim would be."""
    claim = normalize_claims({kind: value})[0]
    existing = Identity.objects.filter(kind=claim.kind, value=claim.value).first()
    if existing and existing.customer_id != customer.pk:
        raise ApplicationError(
            "This identity belongs to another customer; merge the customers instead.",
            # Which customer is not said: the agent may not be allowed to see them.
            fields={"value": [f"This {claim.kind} is another customer's identity."]},
            status_code=409,
        )
    if existing:
        return existing
    return Identity.objects.create(
        customer=customer, kind=claim.kind, value=claim.value, proof=proof
    )


@dataclass(frozen=True)
class ErasedCustomers:
    """What `erase_customer_personal_data` removed: the customers (the one asked for and
    every record merged into it) and their identity values, which other apps look for in
    copies they keep (raw provider payloads, webhook payloads)."""

    customer_ids: list[int]
    identity_values: list[str]
    names: list[str]


def erase_customer_personal_data(*, customer: Customer) -> ErasedCustomers:
    """Remove the personal data held on `customer` and on the records merged into it:
    name, language, attributes, tags, identities, external records and merge suggestions
    (their reasons quote identities). The customers' rows stay, so conversations and
    reports keep counting them.

    Precondition: inside the caller's transaction (privacy's erasure), which also
    anonymises the customers' conversations."""
    family = [customer.pk]
    frontier = [customer.pk]
    while frontier:
        frontier = list(
            Customer.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=family)
            .values_list("pk", flat=True)
        )
        family += frontier
    customers = list(Customer.objects.select_for_update().filter(pk__in=family).order_by("pk"))
    names = sorted({c.name for c in customers if c.name})
    identities = Identity.objects.filter(customer_id__in=family)
    values = sorted(set(identities.values_list("value", flat=True)))
    identities.delete()
    ExternalRecord.objects.filter(customer_id__in=family).delete()
    MergeSuggestion.objects.filter(customer_id__in=family).delete()
    MergeSuggestion.objects.filter(other_id__in=family).delete()
    Customer.objects.filter(pk__in=family).update(name="", language="", attributes={}, tags=[])
    return ErasedCustomers(customer_ids=family, identity_values=values, names=names)
