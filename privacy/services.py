"""Data subject requests and retention. Privacy orchestrates; the writes are the owners':
`customers.services.erase_customer_personal_data` for the customer record,
`conversations.services.anonymise_conversations` for conversations and messages, and
the subscribers of `conversations.hooks.personal_data_erased` for the copies other apps
keep (intake's raw payloads, webhook payloads, survey comments). Each is audited."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from audit.services import record
from conversations.services import anonymise_conversations
from customers.models import Customer
from customers.services import erase_customer_personal_data
from privacy import selectors
from privacy.models import Anonymisation, CustomerErasure, RetentionPolicy

logger = logging.getLogger(__name__)

# An archive stays in memory up to this size, then spills to a temporary file.
_IN_MEMORY_ARCHIVE = 16 * 1024 * 1024
# Conversations anonymised per transaction by a retention run.
_RETENTION_CHUNK = 200


def export_customer(*, customer: Customer, actor: AbstractBaseUser | None) -> IO[bytes]:
    """One zip archive: `customer.json` (`selectors.customer_export`) and every stored
    attachment under `attachments/<id>/<filename>`. Audited. Precondition:
    `access_data_subject_request` passed. The caller closes the returned file."""
    export = selectors.customer_export(customer=customer)
    archive = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_ARCHIVE)  # noqa: SIM115 (returned)
    missing = []
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for exported in export.files:
            try:
                with (
                    default_storage.open(exported.storage_name, "rb") as source,
                    zipped.open(exported.path, "w") as target,
                ):
                    shutil.copyfileobj(source, target)
            except FileNotFoundError:
                missing.append(exported.path)
        data = {**export.data, "missing_files": missing}
        zipped.writestr(
            "customer.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
    record(
        action="customer.export",
        object_type="customer",
        object_id=customer.pk,
        summary=f"customer #{customer.pk} exported",
        changes={
            "conversations": len(export.data["conversations"]),
            "files": len(export.files) - len(missing),
        },
        actor=actor,
    )
    archive.seek(0)
    return archive


@dataclass(frozen=True)
class Erasure:
    customer_ids: list[int]
    conversations: int
    messages: int
    attachments: int
    identities: int

    def as_dict(self) -> dict[str, int | list[int]]:
        return {
            "customers": self.customer_ids,
            "conversations": self.conversations,
            "messages": self.messages,
            "attachments": self.attachments,
            "identities": self.identities,
        }


def erase_customer(*, customer: Customer, actor: AbstractBaseUser | None) -> Erasure:
    """Remove everything personal held about `customer` (and the records merged into
    it): the record's fields, identities, external records, the content of every message
    of their conversations (agents' replies and notes too: they quote the person), the
    attachments and their files, the copies other apps keep, and the admin's history
    labels. Conversations, messages and events keep their rows, kinds, channels and
    times, so reports count the same. Audited with counts only. Idempotent.
    Precondition: `access_data_subject_request` passed."""
    with transaction.atomic():
        erased = erase_customer_personal_data(customer=customer)
        conversation_ids = selectors.customer_conversation_ids(erased.customer_ids)
        anonymised = anonymise_conversations(
            conversation_ids=conversation_ids,
            erased_customer_ids=erased.customer_ids,
            identity_values=erased.identity_values,
        )
        now = timezone.now()
        Anonymisation.objects.bulk_create(
            [
                Anonymisation(
                    conversation_id=pk, reason=Anonymisation.Reason.ERASURE, anonymised_at=now
                )
                for pk in conversation_ids
            ],
            ignore_conflicts=True,
        )
        CustomerErasure.objects.update_or_create(
            customer=customer,
            defaults={"erased_at": now, "erased_by_id": actor.pk if actor else None},
        )
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Customer),
            object_id__in=[str(pk) for pk in erased.customer_ids],
        ).update(object_repr="erased customer", change_message="")
        erasure = Erasure(
            customer_ids=erased.customer_ids,
            conversations=len(conversation_ids),
            messages=len(anonymised.message_ids),
            attachments=anonymised.attachments,
            identities=len(erased.identity_values),
        )
        record(
            action="customer.erase",
            object_type="customer",
            object_id=customer.pk,
            summary=f"customer #{customer.pk} erased",
            changes=erasure.as_dict(),
            actor=actor,
        )
    return erasure


def apply_retention(
    *, dry_run: bool, now: datetime | None = None, policy_ids: list[int] | None = None
) -> list[selectors.RetentionCandidates]:
    """Anonymise what the active retention policies (of `policy_ids` when given) say has
    been kept long enough, or with `dry_run` only say what that would be. Each policy's
    run is audited."""
    candidates = selectors.retention_candidates(now=now or timezone.now(), policy_ids=policy_ids)
    if dry_run:
        return candidates
    for candidate in candidates:
        ids = candidate.conversation_ids
        for start in range(0, len(ids), _RETENTION_CHUNK):
            _anonymise_for_policy(candidate.policy, ids[start : start + _RETENTION_CHUNK])
        if ids:
            record(
                action="retention.anonymise",
                object_type="retention_policy",
                object_id=candidate.policy.pk,
                summary=f"retention anonymised {len(ids)} conversations",
                changes={
                    key: value
                    for key, value in candidate.as_dict().items()
                    if key in ("conversations", "messages", "attachments", "attachment_bytes")
                },
            )
            logger.info(
                "retention anonymised conversations",
                extra={"policy": candidate.policy.pk, "conversations": len(ids)},
            )
    return candidates


def _anonymise_for_policy(policy: RetentionPolicy, conversation_ids: list[int]) -> None:
    with transaction.atomic():
        anonymise_conversations(conversation_ids=conversation_ids)
        Anonymisation.objects.bulk_create(
            [
                Anonymisation(
                    conversation_id=pk, reason=Anonymisation.Reason.RETENTION, policy=policy
                )
                for pk in conversation_ids
            ],
            ignore_conflicts=True,
        )
