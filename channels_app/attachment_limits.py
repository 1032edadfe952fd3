"""What files each channel kind can carry in an agent's reply: one table, from the
providers' documented limits, read by the composer (shown before sending) and by the
outbound queue (a 400 naming the file, never a silent drop). Pure: no queries.

Sources (checked 2026):
- WhatsApp Cloud API, "Supported media types": images JPEG/PNG 5 MB; audio AAC, AMR,
  MP3, MP4 audio, OGG 16 MB; video MP4/3GPP 16 MB; documents (text, PDF, Office) 100 MB.
- Twilio Programmable Messaging, "Accepted content types for media": MMS up to 10 media
  and 5 MB in all; MMS only from US and Canadian numbers (elsewhere SMS carries no file).
- Telegram Bot API: photos (sendPhoto) up to 10 MB, other files (sendDocument) 50 MB.
- Messenger Send API: attachments up to 25 MB. Instagram Messaging: images PNG, JPEG,
  GIF up to 8 MB; audio and video up to 25 MB.
- Email: the total the receiving servers accept (commonly 20-25 MB), configurable.
- Web chat: configurable.
Every limit is also capped by the largest request body the desk reads
(`OMNIDESK_MAX_WEBHOOK_BYTES`), since the file has to be uploaded to the desk first.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

MB = 1024 * 1024
# Room for the form's other fields and the multipart boundaries in the upload.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class TypeRule:
    """Files of these MIME types (`image/*` matches a whole family) up to `max_bytes`."""

    label: str
    types: tuple[str, ...]
    max_bytes: int

    def matches(self, content_type: str) -> bool:
        major = content_type.split("/", 1)[0]
        return content_type in self.types or f"{major}/*" in self.types


@dataclass(frozen=True)
class AttachmentLimits:
    """A channel's limits. `rules` empty: any type up to `max_file_bytes`."""

    channel: str
    carries_files: bool
    reason: str = ""  # why it carries none
    max_files: int = 10
    max_file_bytes: int = 0
    max_total_bytes: int = 0
    rules: tuple[TypeRule, ...] = field(default_factory=tuple)

    def rule_for(self, content_type: str) -> TypeRule | None:
        return next((rule for rule in self.rules if rule.matches(content_type)), None)

    def describe(self) -> str:
        """One line for the composer: what this channel accepts."""
        if not self.carries_files:
            return self.reason
        if self.rules:
            kinds = "; ".join(f"{rule.label} up to {_size(rule.max_bytes)}" for rule in self.rules)
        else:
            kinds = f"any file up to {_size(self.max_file_bytes)}"
        return (
            f"{self.channel}: {kinds}; at most {self.max_files} files, "
            f"{_size(self.max_total_bytes)} in all."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "carries_files": self.carries_files,
            "reason": self.reason,
            "max_files": self.max_files,
            "max_file_bytes": self.max_file_bytes,
            "max_total_bytes": self.max_total_bytes,
            "rules": [
                {"label": rule.label, "types": list(rule.types), "max_bytes": rule.max_bytes}
                for rule in self.rules
            ],
            "summary": self.describe(),
        }


@dataclass(frozen=True)
class FileFacts:
    filename: str
    content_type: str
    size: int


def _size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f}".removesuffix(".0") + " MB"
    return f"{max(size // 1024, 1)} KB"


def content_type_of(filename: str, declared: str | None) -> str:
    """The file's MIME type: what the browser declared unless it said nothing useful,
    then a guess from the name."""
    value = (declared or "").split(";")[0].strip().lower()
    if value in ("", "application/octet-stream"):
        value = (mimetypes.guess_type(filename)[0] or "application/octet-stream").lower()
    return {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}.get(value, value)


def upload_cap() -> int:
    return max(settings.OMNIDESK_MAX_WEBHOOK_BYTES - UPLOAD_OVERHEAD_BYTES, 0)


WHATSAPP_RULES = (
    TypeRule("JPEG or PNG images", ("image/jpeg", "image/png"), 5 * MB),
    TypeRule(
        "audio (AAC, AMR, MP3, M4A, OGG)",
        ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"),
        16 * MB,
    ),
    TypeRule("MP4 or 3GPP video", ("video/mp4", "video/3gpp"), 16 * MB),
    TypeRule(
        "documents (PDF, text, Word, Excel, PowerPoint)",
        (
            "application/pdf",
            "text/plain",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.ms-powerpoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        100 * MB,
    ),
)
TWILIO_MMS_TOTAL = 5 * MB
TWILIO_MMS_RULES = (
    TypeRule("JPEG, PNG or GIF images", ("image/jpeg", "image/png", "image/gif"), 5 * MB),
    TypeRule(
        "other images, audio and video",
        (
            "image/bmp",
            "image/tiff",
            "image/webp",
            "audio/*",
            "video/mpeg",
            "video/mp4",
            "video/quicktime",
            "video/webm",
            "video/3gpp",
            "video/3gpp2",
        ),
        5 * MB,
    ),
    TypeRule(
        "PDF, vCard, calendar, CSV or RTF",
        (
            "application/pdf",
            "text/vcard",
            "text/x-vcard",
            "text/calendar",
            "text/csv",
            "text/rtf",
            "text/richtext",
        ),
        5 * MB,
    ),
)
TELEGRAM_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
TELEGRAM_PHOTO_MAX_BYTES = 10 * MB
TELEGRAM_DOCUMENT_MAX_BYTES = 50 * MB
INSTAGRAM_RULES = (
    TypeRule("PNG, JPEG or GIF images", ("image/png", "image/jpeg", "image/gif"), 8 * MB),
    TypeRule(
        "video (MP4, OGG, AVI, MOV, WebM)",
        ("video/mp4", "video/ogg", "video/x-msvideo", "video/quicktime", "video/webm"),
        25 * MB,
    ),
    TypeRule(
        "audio (AAC, M4A, WAV, MP4)",
        ("audio/aac", "audio/mp4", "audio/x-m4a", "audio/wav", "audio/x-wav"),
        25 * MB,
    ),
)


def _sms_carries_mms(config: Mapping[str, Any], sender: str) -> bool:
    """MMS only where Twilio delivers it: `config.mms` when set, otherwise a US or
    Canadian sender number (a messaging service is trusted to have one)."""
    if "mms" in config:
        return bool(config["mms"])
    if config.get("messaging_service_sid"):
        return True
    return sender.startswith("+1")


def limits_for(
    kind: str, *, config: Mapping[str, Any] | None = None, sender: str = ""
) -> AttachmentLimits:
    """The limits of an endpoint of `kind` with `config` (`sender`: an SMS endpoint's
    own number). Each limit is capped by what the desk accepts as an upload."""
    config = config or {}
    limits = _provider_limits(kind, config, sender)
    if not limits.carries_files:
        return limits
    cap = upload_cap()
    return AttachmentLimits(
        channel=limits.channel,
        carries_files=True,
        max_files=limits.max_files,
        max_file_bytes=min(limits.max_file_bytes, cap),
        max_total_bytes=min(limits.max_total_bytes, cap),
        rules=tuple(
            TypeRule(rule.label, rule.types, min(rule.max_bytes, cap)) for rule in limits.rules
        ),
    )


def _configured(config: Mapping[str, Any], setting: str) -> int:
    try:
        value = int(config.get("max_attachment_bytes") or 0)
    except (TypeError, ValueError):
        value = 0
    return value if value > 0 else int(getattr(settings, setting))


def _provider_limits(kind: str, config: Mapping[str, Any], sender: str) -> AttachmentLimits:
    if kind == "whatsapp":
        return AttachmentLimits(
            "WhatsApp", True, max_files=10, max_file_bytes=100 * MB,
            max_total_bytes=100 * MB, rules=WHATSAPP_RULES,
        )  # fmt: skip
    if kind == "sms":
        if not _sms_carries_mms(config, sender):
            return AttachmentLimits(
                "SMS",
                False,
                reason="This SMS number cannot send MMS, so it carries no files: "
                "send a link, or reply on another channel.",
            )
        return AttachmentLimits(
            "MMS", True, max_files=10, max_file_bytes=TWILIO_MMS_TOTAL,
            max_total_bytes=TWILIO_MMS_TOTAL, rules=TWILIO_MMS_RULES,
        )  # fmt: skip
    if kind == "telegram":
        return AttachmentLimits(
            "Telegram", True, max_files=10, max_file_bytes=TELEGRAM_DOCUMENT_MAX_BYTES,
            max_total_bytes=10 * TELEGRAM_DOCUMENT_MAX_BYTES,
        )  # fmt: skip
    if kind == "messenger":
        return AttachmentLimits(
            "Messenger", True, max_files=10, max_file_bytes=25 * MB, max_total_bytes=250 * MB
        )
    if kind == "instagram":
        return AttachmentLimits(
            "Instagram", True, max_files=10, max_file_bytes=25 * MB,
            max_total_bytes=250 * MB, rules=INSTAGRAM_RULES,
        )  # fmt: skip
    if kind == "email":
        total = _configured(config, "OMNIDESK_EMAIL_ATTACHMENTS_MAX_BYTES")
        return AttachmentLimits(
            "Email", True, max_files=20, max_file_bytes=total, max_total_bytes=total
        )
    if kind == "webchat":
        size = _configured(config, "OMNIDESK_WEBCHAT_ATTACHMENT_MAX_BYTES")
        return AttachmentLimits(
            "Web chat", True, max_files=10, max_file_bytes=size, max_total_bytes=10 * size
        )
    if kind == "api":
        return AttachmentLimits(
            "API", True, max_files=10, max_file_bytes=25 * MB, max_total_bytes=250 * MB
        )
    return AttachmentLimits(
        kind or "This channel", False, reason=f"{kind or 'This channel'} replies carry no files."
    )


def check_files(limits: AttachmentLimits, files: Iterable[FileFacts]) -> list[str]:
    """What is wrong with sending `files` on a channel with `limits`, one line each;
    empty when they can go."""
    files = list(files)
    if not files:
        return []
    if not limits.carries_files:
        return [limits.reason]
    problems = []
    if len(files) > limits.max_files:
        problems.append(f"{limits.channel} takes at most {limits.max_files} files per reply.")
    for item in files:
        if item.size <= 0:
            problems.append(f"{item.filename} is empty.")
            continue
        if limits.rules:
            rule = limits.rule_for(item.content_type)
            if rule is None:
                problems.append(
                    f"{limits.channel} cannot carry {item.filename} ({item.content_type})."
                )
                continue
            largest = rule.max_bytes
        else:
            largest = limits.max_file_bytes
        if item.size > largest:
            problems.append(
                f"{item.filename} is {_size(item.size)}: {limits.channel} takes files of "
                f"this type up to {_size(largest)}."
            )
    total = sum(item.size for item in files)
    if total > limits.max_total_bytes:
        problems.append(
            f"The files are {_size(total)} in all: {limits.channel} takes at most "
            f"{_size(limits.max_total_bytes)} per reply."
        )
    return problems


def limits_for_endpoint(endpoint: Any) -> AttachmentLimits:
    """`limits_for` an endpoint (a `ChannelEndpoint`): its kind, config and, for SMS, its
    own number."""
    sender = ""
    if endpoint.kind == "sms":
        sender = (endpoint.credentials or {}).get("phone_number") or (endpoint.config or {}).get(
            "phone_number", ""
        )
    return limits_for(endpoint.kind, config=endpoint.config or {}, sender=str(sender or ""))
