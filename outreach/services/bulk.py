"""Bulk notifications: one template or text to many customers (a CSV of ids, emails or
phone numbers, or a customer filter), paced per channel.

A bulk send is accepted at once (its recipients stored on the `BulkSend`); a Celery task
then routes them a batch per transaction, each batch enqueueing the next. In a batch,
each recipient's channel is chosen and their notification scheduled at the next free
slot of that endpoint (`ChannelPace`, reserved under a row lock held only for the batch,
so concurrent bulk sends share a channel's rate). The sweep sends what is due. A
recipient no channel can carry is recorded as skipped, with the reason.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from conversations import services as conversation_services
from customers.identities import InvalidIdentity, normalize_email, normalize_phone
from customers.models import Customer, Identity
from omnidesk.errors import ApplicationError
from outreach import selectors
from outreach.models import BulkSend, ChannelPace, Notification
from outreach.services.notifications import check_send_at, choose_route, variables_for
from outreach.wording import render

MAX_CSV_ROWS = 100_000
# Messages per second per channel kind unless the endpoint's configuration says
# (`config["notifications_per_second"]`): a Twilio long code sends 1 SMS a second,
# WhatsApp's lowest tier about 80, mail servers take a few dozen.
DEFAULT_RATES = {"sms": 1.0, "whatsapp": 20.0, "email": 10.0}
FALLBACK_RATE = 5.0
# A bulk send whose row has not moved for this long lost its batch chain.
STALLED_AFTER = timedelta(minutes=10)


def rate_of(endpoint: ChannelEndpoint) -> float:
    configured = endpoint.config.get("notifications_per_second")
    rates = {**DEFAULT_RATES, **getattr(settings, "OMNIDESK_NOTIFICATION_RATES", {})}
    try:
        rate = float(configured) if configured else float(rates.get(endpoint.kind, FALLBACK_RATE))
    except (TypeError, ValueError):
        rate = FALLBACK_RATE
    return max(rate, 0.01)


def reserve_slots(*, endpoint: ChannelEndpoint, count: int, earliest: datetime) -> list[datetime]:
    """`count` send times on `endpoint`, spaced by its rate, from its next free slot (not
    before `earliest`). Precondition: inside a transaction."""
    ChannelPace.objects.get_or_create(endpoint=endpoint)
    pace = ChannelPace.objects.select_for_update().get(endpoint=endpoint)
    start = max(pace.next_free_at, earliest)
    step = timedelta(seconds=1 / rate_of(endpoint))
    slots = [start + step * index for index in range(count)]
    pace.next_free_at = start + step * count
    pace.save(update_fields=["next_free_at"])
    return slots


def customers_from_csv(content: bytes | str) -> tuple[list[Customer], list[str]]:
    """The customers a CSV names, one per row: a `customer`/`id`, `email` or `phone`
    column (or a single column of any of them). Returns (customers, rows matching
    nobody)."""
    text = content.decode("utf-8-sig", "replace") if isinstance(content, bytes) else content
    try:
        rows = list(csv.reader(io.StringIO(text.replace("\x00", ""))))
    except csv.Error as exc:
        raise ApplicationError(f"Not a CSV file: {exc}.", fields={"file": ["Unreadable."]})
    if len(rows) > MAX_CSV_ROWS:
        raise ApplicationError(
            f"At most {MAX_CSV_ROWS} rows.", fields={"file": ["Too many rows."]}, status_code=413
        )
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    named = {"customer", "id", "customer_id", "email", "phone"}
    if any(cell in named for cell in header):
        rows = rows[1:]
        columns = [cell for cell in header]
    else:
        columns = ["any"] * (len(header) or 1)
    values = []
    for row in rows:
        cells = {columns[i] if i < len(columns) else "any": c.strip() for i, c in enumerate(row)}
        value = (
            cells.get("customer")
            or cells.get("customer_id")
            or cells.get("id")
            or cells.get("email")
            or cells.get("phone")
            or cells.get("any")
            or ""
        )
        if value:
            values.append(value)
    return customers_named(values)


def customers_named(values: Sequence[str]) -> tuple[list[Customer], list[str]]:
    """Customers by id, email or phone number, in the order given, each once; and the
    values that name nobody."""
    ids: dict[str, int] = {}
    identities: dict[str, tuple[str, str]] = {}
    unmatched: list[str] = []
    for value in values:
        if value.isdigit() and len(value) < 10:
            ids[value] = int(value)
            continue
        try:
            identities[value] = (
                ("email", normalize_email(value))
                if "@" in value
                else ("phone", normalize_phone(value))
            )
        except InvalidIdentity:
            unmatched.append(value)
    by_id = {c.pk: c for c in Customer.objects.filter(pk__in=ids.values(), merged_into=None)}
    by_identity: dict[tuple[str, str], Customer] = {}
    wanted_values = {v for _, v in identities.values()}
    for identity in Identity.objects.filter(value__in=wanted_values).select_related("customer"):
        by_identity[(identity.kind, identity.value)] = identity.customer
    found: dict[int, Customer] = {}
    for value in values:
        customer = None
        if value in ids:
            customer = by_id.get(ids[value])
        elif value in identities:
            customer = by_identity.get(identities[value])
        if customer is None:
            if value not in unmatched:
                unmatched.append(value)
            continue
        found.setdefault(customer.pk, customer)
    return list(found.values()), unmatched


def customers_matching(filter_: Mapping[str, Any]) -> QuerySet[Customer]:
    """A saved customer filter: `tag`, `language`, `attributes` (all must match)."""
    queryset = Customer.objects.filter(merged_into=None)
    unknown = set(filter_) - {"tag", "language", "attributes"}
    if unknown:
        raise ApplicationError(
            "Unknown filter fields.", fields={"filter": [f"Unknown: {', '.join(sorted(unknown))}"]}
        )
    if filter_.get("tag"):
        queryset = queryset.filter(tags__contains=[str(filter_["tag"])])
    if filter_.get("language"):
        queryset = queryset.filter(language=str(filter_["language"]))
    if filter_.get("attributes"):
        if not isinstance(filter_["attributes"], dict):
            raise ApplicationError(
                "attributes must be an object.", fields={"filter": ["attributes"]}
            )
        queryset = queryset.filter(attributes__contains=filter_["attributes"])
    return queryset.order_by("pk")


def create_bulk_send(
    *,
    customer_ids: Sequence[int],
    template_key: str = "",
    text: str = "",
    variables: Mapping[str, Any] | None = None,
    send_at: datetime | None = None,
    source: str = "",
    unmatched: Sequence[str] = (),
    created_by: AbstractBaseUser | None = None,
) -> BulkSend:
    """Accept a bulk send: validate it and store its recipients; `send_bulk_batch` routes
    them after commit, a batch per transaction (`process_bulk_batch`)."""
    if bool(template_key) == bool(text and text.strip()):
        raise ApplicationError(
            "Give either a template or a text.",
            fields={"template": ["Exactly one of template and text."]},
        )
    if text:
        conversation_services.validate_text(text)
    template = selectors.template_for(key=template_key) if template_key else None
    now = timezone.now()
    check_send_at(send_at, now=now)
    recipients = list(dict.fromkeys(int(pk) for pk in customer_ids))
    with transaction.atomic():
        bulk = BulkSend.objects.create(
            template=template,
            template_key=template_key,
            text=text,
            variables=dict(variables or {}),
            send_at=send_at,
            source=source[:200],
            recipient_ids=recipients,
            total=len(recipients),
            unmatched=list(unmatched)[:1000],
            created_by=created_by,
            created_at=now,
        )
        if not recipients:
            BulkSend.objects.filter(pk=bulk.pk).update(status=BulkSend.Status.DONE, finished_at=now)
            bulk.refresh_from_db()
        else:
            _continue_after_commit(bulk.pk)
    return bulk


def _continue_after_commit(bulk_id: int) -> None:
    from outreach.tasks import send_bulk_batch

    transaction.on_commit(lambda: send_bulk_batch.delay(bulk_id), robust=True)


def batch_size() -> int:
    return max(int(getattr(settings, "OMNIDESK_OUTREACH_BULK_BATCH", 200)), 1)


def _recipients(ids: Sequence[int]) -> dict[int, Customer]:
    """Each id's customer now: whom it was merged into if merged; absent if deleted."""
    customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
    resolved: dict[int, Customer] = {}
    for pk, customer in customers.items():
        seen = {pk}
        while customer.merged_into_id and customer.merged_into_id not in seen:
            seen.add(customer.merged_into_id)
            customer = customer.merged_into
        resolved[pk] = customer
    return resolved


def process_bulk_batch(*, bulk_id: int, size: int | None = None) -> bool:
    """Route the next `size` recipients of bulk send `bulk_id` in one transaction and
    record how far it got; True while recipients remain. Safe to run again or
    concurrently: the bulk's row lock serialises its batches, and a customer who already
    has this bulk's notification is passed over."""
    size = size or batch_size()
    now = timezone.now()
    with transaction.atomic():
        bulk = BulkSend.objects.select_for_update().filter(pk=bulk_id).first()
        if bulk is None or bulk.status == BulkSend.Status.DONE:
            return False
        ids = bulk.recipient_ids[bulk.next_offset : bulk.next_offset + size]
        customers = _recipients(ids)
        served = set(
            Notification.objects.filter(
                bulk=bulk, customer_id__in=[c.pk for c in customers.values()]
            ).values_list("customer_id", flat=True)
        )
        earliest = max(bulk.send_at or now, now)
        templates_by_locale: dict[str, Any] = {}
        rows: list[Notification] = []
        routed: dict[int, list[Notification]] = defaultdict(list)
        endpoints: dict[int, ChannelEndpoint] = {}
        missing = 0
        for pk in ids:
            customer = customers.get(pk)
            if customer is None:
                missing += 1
                continue
            if customer.pk in served:
                continue
            served.add(customer.pk)
            template = None
            if bulk.template_key:
                locale = customer.language or ""
                if locale not in templates_by_locale:
                    templates_by_locale[locale] = selectors.template_for(
                        key=bulk.template_key, locale=locale
                    )
                template = templates_by_locale[locale]
            merged = variables_for(customer, bulk.variables)
            rendered = render(template.body, merged) if template is not None else bulk.text
            route = choose_route(
                customer=customer, template=template, variables=merged, requested=None, now=now
            )
            notification = Notification(
                customer=customer,
                template=template,
                text=rendered,
                variables=bulk.variables,
                bulk=bulk,
                created_by_id=bulk.created_by_id,
                created_at=now,
                send_at=earliest,
            )
            if route.endpoint is None:
                notification.status = Notification.Status.SKIPPED
                notification.skip_reason = route.skip_reason
                notification.detail = route.detail
                notification.processed_at = now
            else:
                notification.requested_endpoint = route.endpoint
                endpoints[route.endpoint.pk] = route.endpoint
                routed[route.endpoint.pk].append(notification)
            rows.append(notification)
        # Pace rows are locked in endpoint order, so two bulk sends' batches sharing
        # channels cannot deadlock; the locks last only as long as this batch.
        for endpoint_id in sorted(routed):
            waiting = routed[endpoint_id]
            slots = reserve_slots(
                endpoint=endpoints[endpoint_id], count=len(waiting), earliest=earliest
            )
            for notification, slot in zip(waiting, slots, strict=True):
                notification.send_at = slot
        Notification.objects.bulk_create(rows, batch_size=1000)
        scheduled = sum(len(waiting) for waiting in routed.values())
        bulk.next_offset += len(ids)
        bulk.processed += len(ids)
        bulk.scheduled += scheduled
        bulk.skipped += len(rows) - scheduled
        bulk.missing += missing
        remaining = bulk.next_offset < len(bulk.recipient_ids)
        bulk.status = BulkSend.Status.SENDING if remaining else BulkSend.Status.DONE
        bulk.finished_at = None if remaining else now
        bulk.save(
            update_fields=[
                "next_offset",
                "processed",
                "scheduled",
                "skipped",
                "missing",
                "status",
                "finished_at",
                "updated_at",
            ]
        )
        if remaining:
            _continue_after_commit(bulk.pk)
        if scheduled:
            from outreach.tasks import send_due_outreach

            # The first slots are due now; the rest follow with the periodic sweep.
            transaction.on_commit(lambda: send_due_outreach.delay(), robust=True)
    return remaining


def resume_stalled_bulk_sends(*, now: datetime | None = None) -> int:
    """Re-enqueue bulk sends whose batches stopped (a lost task, a crashed worker); the
    periodic sweep calls it. A chain that was only slow is harmless to double: batches
    of one bulk run one at a time and never serve a customer twice."""
    stalled_since = (now or timezone.now()) - STALLED_AFTER
    stalled = list(
        BulkSend.objects.exclude(status=BulkSend.Status.DONE)
        .filter(updated_at__lt=stalled_since)
        .values_list("pk", flat=True)
    )
    for bulk_id in stalled:
        _continue_after_commit(bulk_id)
    return len(stalled)
