"""Writes on the shared customer record: resolving identities, merging records."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction

from customers.identities import IdentityClaim, Proof, in_resolution_order, normalize_identity
from customers.models import Customer, ExternalRecord, Identity, MergeSuggestion
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


def normalize_claims(raw: dict[str, str]) -> list[IdentityClaim]:
    """Normalise `{kind: value}` pairs, raising one error that names every bad field."""
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
    if errors:
        raise ApplicationError("Invalid sender identity.", fields=errors)
    return claims


def resolve_customer(
    *,
    claims: list[IdentityClaim],
    name: str = "",
    attributes: dict | None = None,
    proof: Proof = Proof.PROVIDER,
) -> Resolution:
    """Find or create the one customer these proven identities belong to (`proof` says
    how the door proved them; a claim goes through `resolve_claimed_customer`).

    Every identity given not yet known is attached to that customer. When the
    identities already belong to different customers nothing is merged: the customer
    of the first identity in resolution order wins and a merge suggestion is kept.

    Safe under concurrency: two workers resolving the same new identity race on the
    unique (kind, value) constraint; the loser's savepoint rolls back and it retries,
    then finds the winner's customer.
    """
    if not claims:
        raise ApplicationError(
            "At least one sender identity is required.", fields={"from": ["required"]}
        )
    ordered = in_resolution_order(claims)
    known_customer = _single_known_owner(ordered, proven_only=True)
    if known_customer is not None and not (name and not known_customer.name) and not attributes:
        # The common case, a returning customer: nothing to write, no savepoint needed.
        return Resolution(customer=known_customer)
    for attempt in range(_RESOLVE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _resolve_once(ordered, name=name, attributes=attributes or {}, proof=proof)
        except IntegrityError:
            if attempt == _RESOLVE_ATTEMPTS - 1:
                raise
            logger.info("identity race lost, retrying resolution", extra={"attempt": attempt})
    raise AssertionError("unreachable")


def _resolve_once(
    claims: list[IdentityClaim], *, name: str, attributes: dict, proof: Proof
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
                reason=f"A web form claimed this {claim.kind} before a message proved it.",
            )
    return Resolution(customer=customer, created=created, conflicting=owners[1:])


def resolve_claimed_customer(
    *, claims: list[IdentityClaim], name: str = "", attributes: dict | None = None
) -> Resolution:
    """The customer of a message whose identities are only claimed (a web form: anyone
    can type anyone's address).

    A claim never joins another customer, unless it adds nothing to them: when every
    identity given is already theirs, the message is theirs (replies still go only where
    they already did). Otherwise the message gets its own customer, holding the claimed
    identities nobody has yet (marked claimed) and, for those another customer has, a
    hint (`unverified_<kind>`) and a merge suggestion. Claimed attributes never change an
    existing customer.
    """
    if not claims:
        raise ApplicationError(
            "At least one sender identity is required.", fields={"from": ["required"]}
        )
    ordered = in_resolution_order(claims)
    owner = _single_known_owner(ordered)
    if owner is not None:
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
    hints = {f"unverified_{claim.kind}": claim.value for claim in claims if claim in known}
    customer = Customer.objects.create(name=name, attributes={**attributes, **hints})
    others: list[Customer] = []
    for claim in claims:
        identity = known.get(claim)
        if identity is None:
            Identity.objects.create(
                customer=customer, kind=claim.kind, value=claim.value, proof=Proof.CLAIMED
            )
        else:
            other = follow_merges(identity.customer)
            if other not in others:
                others.append(other)
    for other in others:
        suggest_merge(
            customer=customer,
            other=other,
            reason="A web form gave this customer's identities; nothing proves it was them.",
        )
    return Resolution(customer=customer, created=True, conflicting=others)


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
            defaults={"reason": reason},
        )
    return suggestion


def merge_customer_records(*, source: Customer, target: Customer) -> None:
    """Move identities and external records of `source` to `target` and redirect it.

    Conversations are moved by `conversations.services.merge_customers`, which calls this.
    Precondition: both rows are locked by the caller's transaction.
    """
    if source.pk == target.pk:
        raise ApplicationError("A customer cannot be merged into itself.")
    if target.merged_into_id:
        raise ApplicationError("The target customer was itself merged away.")
    Identity.objects.filter(customer=source).update(customer=target)
    for record in ExternalRecord.objects.filter(customer=source):
        record.customer = target
        record.save(update_fields=["customer", "updated_at"])
    target.attributes = {**source.attributes, **target.attributes}
    target.tags = sorted(set(target.tags) | set(source.tags))
    if not target.name:
        target.name = source.name
    if not target.language:
        target.language = source.language
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    Customer.objects.filter(merged_into=source).update(merged_into=target)
    MergeSuggestion.objects.filter(
        status=MergeSuggestion.Status.OPEN,
        customer__in=[source, target],
        other__in=[source, target],
    ).update(status=MergeSuggestion.Status.MERGED)


def update_customer(
    *,
    customer: Customer,
    name: str | None = None,
    language: str | None = None,
    attributes: dict | None = None,
    tags: list[str] | None = None,
) -> Customer:
    if name is not None:
        customer.name = name.strip()[:200]
    if language is not None:
        customer.language = language.strip()[:16]
    if attributes is not None:
        customer.attributes = attributes
    if tags is not None:
        customer.tags = sorted({t.strip() for t in tags if t.strip()})
    customer.save()
    return customer


def add_identity(
    *, customer: Customer, kind: str, value: str, proof: Proof = Proof.CLAIMED
) -> Identity:
    """An identity an agent or an integration adds to a customer. Typing an address in
    proves nothing: it is claimed unless the caller says how it was proven."""
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
