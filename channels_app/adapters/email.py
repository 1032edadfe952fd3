"""Email: inbound-parse webhooks through django-anymail (Mailgun, Postmark, SendGrid),
IMAP polling (channels_app/services/email.py) and outbound SMTP.

Every inbound path ends in the same `email_parsing.parse_email`, so a message reads the
same whether it came by webhook or IMAP.
"""

from __future__ import annotations

import hashlib
import smtplib
import time
import warnings
from collections.abc import Callable, Sequence
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives, get_connection
from django.http import HttpRequest

from channels_app import email_auth
from channels_app.adapters import register
from channels_app.adapters.base import Adapter, UnparseablePayload
from channels_app.email_auth import AuthResult
from channels_app.email_ids import outbound_message_id
from channels_app.email_parsing import parse_email, subject_token, to_inbound
from channels_app.outbound_targets import (
    RefusedTarget,
    allowed_email_backend,
    check_host,
    check_peer,
)
from channels_app.types import DeliveryError, InboundMessage, OutboundMessage, SendResult

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

RAW_MIME = "message/rfc822"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _anymail_view(endpoint: ChannelEndpoint):
    """The anymail inbound view for the endpoint's provider, with its secrets, or None."""
    provider = endpoint.config.get("inbound_provider", "")
    credentials = endpoint.credentials
    basic_auth = credentials.get("webhook_basic_auth", "")
    with warnings.catch_warnings():
        # anymail warns about unsecured views and about SendGrid's support status; the
        # checks below refuse what those warnings are about.
        warnings.simplefilter("ignore")
        if provider == "mailgun" and credentials.get("webhook_signing_key"):
            return MailgunInboundWebhookView(
                webhook_signing_key=credentials["webhook_signing_key"],
                webhook_secret=[basic_auth] if basic_auth else [],
            )
        if provider == "postmark" and basic_auth:
            return PostmarkInboundWebhookView(webhook_secret=[basic_auth])
        if provider == "sendgrid" and basic_auth:
            return SendGridInboundWebhookView(webhook_secret=[basic_auth])
    return None


def inbound_from_raw(
    raw: bytes,
    *,
    source: str,
    trusted_authserv_ids: Sequence[str] = (),
    reported: Callable[[str], list[AuthResult]] | None = None,
) -> InboundMessage:
    """The message, its sender proven only by a passing verdict of someone trusted: the
    `Authentication-Results` of a receiving server in `trusted_authserv_ids` (the
    endpoint's `config["trusted_authserv_id"]`) and what the inbound provider `reported`
    (given the From address). With neither, the sender is only claimed."""
    parsed = parse_email(raw)
    results = email_auth.authentication_results(
        email_auth.header_values(raw, "Authentication-Results"), trusted=trusted_authserv_ids
    )
    if reported is not None:
        results = [*reported(parsed.from_address), *results]
    verdict = email_auth.evaluate(from_address=parsed.from_address, results=results, source=source)
    return to_inbound(parsed, raw=raw, source=source, verdict=verdict)


def _provider_verdict(
    provider: str, event: Any, trusted: Sequence[str]
) -> Callable[[str], list[AuthResult]]:
    """What the inbound provider reported of an anymail inbound event's sender."""

    def reported(from_address: str) -> list[AuthResult]:
        if provider == "mailgun":
            return email_auth.mailgun_results(
                event.message,
                from_address=from_address,
                envelope_sender=event.message.envelope_sender or "",
            )
        if provider == "sendgrid":
            return email_auth.sendgrid_results(event.esp_event.POST)
        if provider == "postmark":
            # Postmark's own headers are in the list it posts, not always in RawEmail.
            headers = event.esp_event.get("Headers") or []
            return [
                *email_auth.postmark_results(headers, from_address=from_address),
                *email_auth.authentication_results(
                    email_auth.header_list_values(headers, "Authentication-Results"),
                    trusted=trusted,
                ),
            ]
        return []

    return reported


# Mailgun signs only its timestamp and token, not the message: a captured signature would
# carry any other body. So a signature is good for this long, and its token once.
MAILGUN_SIGNATURE_MAX_AGE_SECONDS = 15 * 60


def _fresh_mailgun_post(request: HttpRequest) -> bool:
    """A recent timestamp, and a token not seen before with another body (Mailgun's own
    retry of the same post is the same body)."""
    try:
        timestamp = int(request.POST.get("timestamp", ""))
    except ValueError:
        return False
    if abs(time.time() - timestamp) > MAILGUN_SIGNATURE_MAX_AGE_SECONDS:
        return False
    token = hashlib.sha256(request.POST.get("token", "").encode()).hexdigest()
    body = hashlib.sha256(request.body).hexdigest()
    key = f"mailgun-token:{token}"
    if cache.add(key, body, timeout=2 * MAILGUN_SIGNATURE_MAX_AGE_SECONDS):
        return True
    return cache.get(key) == body


class EmailAdapter(Adapter):
    kind = "email"
    provider = "email"

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        view = _anymail_view(endpoint)
        if view is None:
            return False
        try:
            view.run_validators(request)
        except AnymailWebhookValidationFailure:
            return False
        if endpoint.config.get("inbound_provider") == "mailgun":
            return _fresh_mailgun_post(request)
        return True

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        trusted = email_auth.trusted_authserv_ids(endpoint.config)
        if request.content_type == RAW_MIME:
            # A stored raw message (IMAP), parsed again on re-processing.
            return [inbound_from_raw(request.body, source="imap", trusted_authserv_ids=trusted)]
        view = _anymail_view(endpoint)
        if view is None:
            raise UnparseablePayload("the endpoint has no inbound provider configured")
        try:
            events = view.parse_events(request)
        except AnymailError as exc:
            raise UnparseablePayload(str(exc))
        provider = endpoint.config.get("inbound_provider", "")
        return [
            inbound_from_raw(
                event.message.as_bytes(),
                source=provider,
                trusted_authserv_ids=trusted,
                reported=_provider_verdict(provider, event, trusted),
            )
            for event in events
        ]

    def send(self, message: OutboundMessage, endpoint: ChannelEndpoint) -> SendResult:
        """SMTP (or the configured Django email backend) with threading headers."""
        address = endpoint.config.get("address", "")
        if not address or "@" not in address:
            raise DeliveryError("The email endpoint has no sending address.", permanent=True)
        if not message.to:
            raise DeliveryError("No email address to send to.", permanent=True)
        conversation_id = message.metadata.get("conversation_id")
        domain = address.rsplit("@", 1)[1]
        message_id = outbound_message_id(message.idempotency_key, domain=domain)
        subject = message.subject or "Your conversation with us"
        token = subject_token(conversation_id) if conversation_id else ""
        if token and token not in subject:
            subject = f"{subject} {token}"
        brand = endpoint.config.get("display_name") or endpoint.name
        sender = f"{message.sender_name} ({brand})" if message.sender_name else brand
        headers = {"Message-ID": message_id}
        if message.in_reply_to:
            headers["In-Reply-To"] = message.in_reply_to
        if message.references:
            headers["References"] = " ".join(message.references)
        if unsubscribe := message.metadata.get("unsubscribe_url"):
            # RFC 2369 and RFC 8058: mail clients offer their own one-click unsubscribe.
            headers["List-Unsubscribe"] = f"<{unsubscribe}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMultiAlternatives(
            subject=subject,
            body=message.text,
            from_email=formataddr((sender, address)),
            to=[message.to],
            cc=[address for address in message.cc if address != message.to],
            reply_to=[address],
            headers=headers,
            connection=self._connection(endpoint),
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            if attachment.get("path"):
                with default_storage.open(attachment["path"], "rb") as handle:
                    email.attach(
                        attachment.get("filename") or Path(attachment["path"]).name,
                        handle.read(),
                        attachment.get("content_type") or None,
                    )
        try:
            with email.connection as connection:
                if isinstance(getattr(connection, "connection", None), smtplib.SMTP):
                    # The address the configured host resolved to when connecting.
                    check_peer(connection.connection.sock)
                email.send(fail_silently=False)
        except RefusedTarget as exc:
            raise DeliveryError(f"smtp_host refused: {exc}", permanent=True)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"Recipient refused: {_smtp_reason(exc)}", permanent=True)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login failed: {_smtp_reason(exc)}", permanent=True)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP error {exc.smtp_code}: {_smtp_reason(exc)}", permanent=exc.smtp_code >= 500
            )
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {type(exc).__name__}: {exc}")
        return SendResult(provider_message_id=message_id, email_message_id=message_id)

    @staticmethod
    def _connection(endpoint: ChannelEndpoint) -> Any:
        backend = endpoint.config.get("email_backend") or SMTP_BACKEND
        if not allowed_email_backend(backend):
            raise DeliveryError(
                f"email_backend {backend!r} is not in OMNIDESK_EMAIL_BACKENDS.", permanent=True
            )
        if backend != SMTP_BACKEND:
            return get_connection(backend, fail_silently=False)
        credentials = endpoint.credentials
        if not credentials.get("smtp_host"):
            raise DeliveryError("The email endpoint has no smtp_host.", permanent=True)
        try:
            check_host(credentials["smtp_host"])
        except RefusedTarget as exc:
            raise DeliveryError(f"smtp_host refused: {exc}", permanent=True)
        security = credentials.get("smtp_tls", "starttls")
        return get_connection(
            SMTP_BACKEND,
            host=credentials["smtp_host"],
            port=int(credentials.get("smtp_port") or (465 if security == "ssl" else 587)),
            username=credentials.get("smtp_user", ""),
            password=credentials.get("smtp_password", ""),
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=20,
            fail_silently=False,
        )


def _smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()
        )
    return _text(getattr(exc, "smtp_error", b"")) or str(exc)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


register(EmailAdapter())
