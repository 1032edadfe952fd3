"""IMAP polling: fetch new mail by UID, store it, only then mark it seen (or move it)."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from channels_app.adapters.email import RAW_MIME, inbound_from_raw
from channels_app.email_auth import trusted_authserv_ids
from channels_app.models import ChannelEndpoint
from channels_app.outbound_targets import RefusedTarget, check_host, check_peer
from intake.services.accept import accept_inbound
from intake.services.webhooks import record_unparseable_webhook

logger = logging.getLogger(__name__)

# One poll per mailbox at a time; a crashed poller's lock expires on its own.
POLL_LOCK_SECONDS = 300
MAX_MESSAGES_PER_POLL = 200
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")


@dataclass(frozen=True)
class PollResult:
    fetched: int
    stored: int
    failed: int
    skipped: bool = False


def imap_endpoints() -> list[int]:
    """Active email endpoints with an IMAP mailbox to poll."""
    return [
        endpoint.pk
        for endpoint in ChannelEndpoint.objects.filter(kind="email", is_active=True).order_by("id")
        if endpoint.credentials.get("imap_host")
    ]


def poll_mailbox(*, endpoint_id: int) -> PollResult:
    """Fetch messages with a UID above the last one stored, oldest first.

    Each message is committed as an InboundEvent before it is flagged \\Seen (or moved
    to `imap_processed_folder`) and before the endpoint's last UID advances, so a crash
    at any point re-fetches rather than loses; re-fetching is harmless because events
    are unique on the Message-ID.
    """
    endpoint = ChannelEndpoint.objects.get(pk=endpoint_id, kind="email")
    lock = f"channels:imap-poll:{endpoint.key}"
    if not cache.add(lock, 1, POLL_LOCK_SECONDS):
        return PollResult(fetched=0, stored=0, failed=0, skipped=True)
    try:
        return _poll(endpoint)
    finally:
        cache.delete(lock)


def _connect(credentials: dict) -> imaplib.IMAP4:
    """A logged-in client, connected only to a host `outbound_targets` allows (raises
    RefusedTarget otherwise, before anything is sent)."""
    host = credentials["imap_host"]
    security = credentials.get("imap_tls", "ssl")
    port = int(credentials.get("imap_port") or (993 if security == "ssl" else 143))
    check_host(host, port)
    if security == "ssl":
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            host, port, ssl_context=ssl.create_default_context(), timeout=30
        )
        _check_connected(client)
    else:
        client = imaplib.IMAP4(host, port, timeout=30)
        _check_connected(client)
        if security == "starttls":
            client.starttls(ssl_context=ssl.create_default_context())
    client.login(credentials["imap_user"], credentials["imap_password"])
    return client


def _check_connected(client: imaplib.IMAP4) -> None:
    try:
        check_peer(client.sock)
    except RefusedTarget:
        with contextlib.suppress(OSError):
            client.shutdown()
        raise


def _poll(endpoint: ChannelEndpoint) -> PollResult:
    folder = endpoint.config.get("imap_folder", "INBOX")
    processed_folder = endpoint.config.get("imap_processed_folder", "")
    state = dict(endpoint.config.get("imap_state") or {})
    fetched = stored = failed = 0
    client = _connect(endpoint.credentials)
    try:
        status, _ = client.select(_quote(folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select folder {folder}")
        uidvalidity = _uidvalidity(client)
        if state.get("uidvalidity") != uidvalidity:
            # The server renumbered the mailbox: UIDs mean nothing any more. Start over;
            # Message-ID uniqueness keeps already stored mail from doubling.
            state = {"uidvalidity": uidvalidity, "last_uid": 0}
        last_uid = int(state.get("last_uid", 0))
        status, data = client.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        uids = sorted(int(uid) for uid in (data[0] or b"").split() if int(uid) > last_uid)
        for uid in uids[:MAX_MESSAGES_PER_POLL]:
            status, parts = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), None)
            if status != "OK" or raw is None:
                logger.warning("imap fetch failed", extra={"endpoint": endpoint.key, "uid": uid})
                break
            fetched += 1
            if _store(endpoint, raw, uid=uid, uidvalidity=uidvalidity):
                stored += 1
            else:
                failed += 1
            _mark_done(client, uid, processed_folder)
            state["last_uid"] = uid
            _save_state(endpoint, state)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return PollResult(fetched=fetched, stored=stored, failed=failed)


def _store(endpoint: ChannelEndpoint, raw: bytes, *, uid: int, uidvalidity: int) -> bool:
    envelope = {
        "path": f"/hooks/email/{endpoint.key}/",
        "query": "",
        "content_type": RAW_MIME,
        "body_b64": base64.b64encode(raw).decode("ascii"),
        "imap": {"uid": uid, "uidvalidity": uidvalidity},
    }
    try:
        inbound = inbound_from_raw(
            raw,
            source="imap",
            # Only the receiving server the admin named is believed (none: claimed).
            trusted_authserv_ids=trusted_authserv_ids(endpoint.config),
        )
    except (ValueError, LookupError, TypeError) as exc:
        record_unparseable_webhook(endpoint=endpoint, envelope=envelope, error=exc)
        return False
    accept_inbound(endpoint=endpoint, messages=[inbound], raw=envelope)
    return True


def _mark_done(client: imaplib.IMAP4, uid: int, processed_folder: str) -> None:
    if processed_folder:
        status, _ = client.uid("MOVE", str(uid), _quote(processed_folder))
        if status == "OK":
            return
        # No MOVE extension: copy, then flag deleted.
        client.uid("COPY", str(uid), _quote(processed_folder))
        client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen \Deleted)")
        return
    client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")


def _save_state(endpoint: ChannelEndpoint, state: dict) -> None:
    # Only our key changes; the rest of config may have been edited by an admin meanwhile.
    with transaction.atomic():
        locked = ChannelEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.config = {**locked.config, "imap_state": state}
        locked.save(update_fields=["config"])


def _uidvalidity(client: imaplib.IMAP4) -> int:
    _, data = client.response("UIDVALIDITY")
    if data and data[0]:
        return int(data[0])
    _, data = client.status("INBOX", "(UIDVALIDITY)")
    match = _UIDVALIDITY.search(data[0] or b"")
    return int(match.group(1)) if match else 0


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
