"""Reading inbound email: MIME, charsets, attachments, quotes, loops, bounces.

Pure functions over bytes, no database. `parse_email` never raises on a malformed
message: whatever can be read is kept, and the rest is described in `problems`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import nh3

from channels_app.email_auth import Verdict, no_verdict
from channels_app.types import InboundAttachment, InboundMessage
from customers.identities import Proof

# Tags and attributes an agent may see in a customer's HTML; everything else (scripts,
# styles, event handlers, forms, iframes) is dropped by nh3.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"title", "dir", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "cid"}
BULK_PRECEDENCE = {"bulk", "list", "junk"}
BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)

# Outbound email subjects carry "[#<conversation id>]", so a reply whose mail client
# dropped the threading headers still finds its conversation.
_SUBJECT_TOKEN = re.compile(r"\[#(\d{1,12})\]")


def subject_token(conversation_id: int) -> str:
    return f"[#{conversation_id}]"


def conversation_id_from_subject(subject: str) -> int | None:
    match = _SUBJECT_TOKEN.search(subject or "")
    return int(match.group(1)) if match else None


_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
]
_OUTLOOK_HEADER = re.compile(r"^\s*From:\s.+$", re.IGNORECASE)
_SIGNATURE_MARKERS = [
    re.compile(r"^-- ?$"),
    re.compile(r"^Sent from my \w+", re.IGNORECASE),
    re.compile(r"^Get Outlook for \w+", re.IGNORECASE),
]


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    from_address: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    attachments: list[InboundAttachment] = field(default_factory=list)
    auto_submitted: bool = False
    bounce: bool = False
    bounced_message_id: str = ""
    bounce_diagnostic: str = ""
    problems: list[str] = field(default_factory=list)


# Python's email header parsers take time quadratic in a hostile header's length (a
# 40 KiB From header of `"a` took 30 s) and recurse once per nested comment. Every
# header, of the message and of its parts, is cut to this length as it is read: an
# address list at its last whole address; References loses its oldest ids (they come
# first). Real headers stay below it; a To or Cc line keeps its first few dozen people.
MAX_HEADER_CHARS = 2048


class _BoundedHeaders(EmailPolicy):
    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        if len(value) > MAX_HEADER_CHARS:
            lowered = name.strip().lower()
            if lowered == "references":
                value = value[-MAX_HEADER_CHARS:]
            elif lowered in ("to", "cc"):
                value = value[:MAX_HEADER_CHARS].rsplit(",", 1)[0]
            else:
                value = value[:MAX_HEADER_CHARS]
        return name, value

    def header_fetch_parse(self, name: str, value: str) -> str | BaseHeader:
        # The MIME structure headers are read as plain text (what `get_content_type`,
        # `get_param` and `get_filename` parse anyway): the structured parse would run
        # again at every read of every part.
        if name.lower() in _STRUCTURE_HEADERS and not hasattr(value, "name"):
            unfolded = value.replace("\r", "").replace("\n", "")
            return unfolded.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return super().header_fetch_parse(name, value)


_STRUCTURE_HEADERS = {
    "content-type",
    "content-disposition",
    "content-transfer-encoding",
    "content-id",
}
_POLICY = _BoundedHeaders()


def parse_email(raw: bytes) -> ParsedEmail:
    """Everything we keep from one RFC 5322 message. Never raises on bad input."""
    parsed = ParsedEmail()
    try:
        message = BytesParser(policy=_POLICY).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is a last resort
        parsed.problems.append(f"unparseable message: {exc}")
        parsed.text = raw.decode("utf-8", errors="replace")
        return parsed
    try:
        _read(message, parsed)
    except RecursionError:  # comments or parts nested deeper than Python recurses
        parsed.problems.append("too deeply nested to read whole")
        parsed.text = parsed.text or raw.decode("utf-8", errors="replace")
    return parsed


def _read(message: Message, parsed: ParsedEmail) -> None:
    if message.defects:
        parsed.problems.extend(type(d).__name__ for d in message.defects[:10])
    parsed.message_id = _msgid(_header(message, "Message-ID", parsed))
    parsed.in_reply_to = _msgid(_header(message, "In-Reply-To", parsed))
    parsed.references = tuple(re.findall(r"<[^<>\s]+>", _header(message, "References", parsed)))
    parsed.from_name, parsed.from_address = _address(_header(message, "From", parsed))
    parsed.reply_to = _address(_header(message, "Reply-To", parsed))[1]
    parsed.to = _addresses(_header(message, "To", parsed))
    parsed.cc = _addresses(_header(message, "Cc", parsed))
    parsed.subject = " ".join(_header(message, "Subject", parsed).split())
    try:
        date = _header(message, "Date", parsed)
        parsed.date = parsedate_to_datetime(date) if date else None
        if parsed.date is not None and parsed.date.tzinfo is None:
            parsed.date = None
    except (TypeError, ValueError, IndexError):
        parsed.problems.append("unreadable Date header")
    parsed.auto_submitted = is_automated(message, parsed)
    _walk(message, parsed)
    parsed.bounce = _is_bounce(message, parsed)
    if parsed.bounce:
        _read_bounce(message, parsed)
    if not parsed.text and parsed.html:
        parsed.text = html_to_text(parsed.html)


def _header(message: Message, name: str, parsed: ParsedEmail) -> str:
    """A header as text; a malformed one falls back to its raw, undecoded value."""
    try:
        value = message.get(name)
        return str(value) if value is not None else ""
    except Exception as exc:  # header classes raise on some malformed values
        parsed.problems.append(f"unreadable {name} header: {type(exc).__name__}")
        for key, raw_value in message.raw_items():
            if key.lower() == name.lower():
                return str(raw_value).encode("ascii", "replace").decode("ascii")
        return ""


def _msgid(value: str) -> str:
    match = re.search(r"<[^<>\s]+>", value or "")
    if match:
        return match.group(0)
    value = (value or "").strip()
    return f"<{value}>" if value and " " not in value else ""


# More would only be a mailing list; the thread's people are its first few.
MAX_RECIPIENTS = 50


def _addresses(value: str) -> tuple[str, ...]:
    """The addresses of a To or Cc header, lower-cased, in order, without repeats."""
    try:
        pairs = getaddresses([value])
    except RecursionError:  # nested comments: take what looks like addresses
        pairs = [("", address) for address in _LOOSE_ADDRESS.findall(value)]
    found = (address.strip().lower() for _, address in pairs if address)
    return tuple(dict.fromkeys(a for a in found if "@" in a))[:MAX_RECIPIENTS]


_LOOSE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _address(value: str) -> tuple[str, str]:
    try:
        name, address = parseaddr(value or "")
    except RecursionError:  # nested comments: the search below finds the address
        name, address = "", ""
    address = address.strip().lower()
    if not _LOOSE_ADDRESS.fullmatch(address):
        # A malformed header still usually contains the address somewhere.
        found = _LOOSE_ADDRESS.search(value or "")
        address = found.group(0).lower() if found else ""
        if found and not name:
            name = (value or "")[: found.start()].strip(' \t"<')
    return " ".join(name.split()), address


def is_automated(message: Message, parsed: ParsedEmail | None = None) -> bool:
    """True for mail that must never get an automatic answer (RFC 3834 and custom)."""
    scratch = parsed or ParsedEmail()
    auto = _header(message, "Auto-Submitted", scratch).strip().lower()
    precedence = _header(message, "Precedence", scratch).strip().lower()
    return bool(
        (auto and auto != "no")
        or precedence in BULK_PRECEDENCE
        or _header(message, "X-Autoreply", scratch)
        or _header(message, "X-Autorespond", scratch)
        or _header(message, "X-Auto-Response-Suppress", scratch).lower() in ("all", "oof")
    )


def _is_bounce(message: Message, parsed: ParsedEmail) -> bool:
    content_type = message.get_content_type()
    report_type = (message.get_param("report-type") or "").lower()
    return bool(
        (content_type == "multipart/report" and report_type == "delivery-status")
        or BOUNCE_SENDERS.match(parsed.from_address or "")
    )


def _read_bounce(message: Message, parsed: ParsedEmail) -> None:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            text = _part_bytes(part).decode("utf-8", errors="replace")
            for block in part.get_payload() if part.is_multipart() else []:
                text += "\n" + str(block)
            text = re.sub(r"\r?\n[ \t]+", " ", text)  # unfold continuation lines
            diagnostic = re.search(r"^Diagnostic-Code:\s*(.+)$", text, re.MULTILINE | re.I)
            status = re.search(r"^Status:\s*(\S+)", text, re.MULTILINE | re.I)
            parsed.bounce_diagnostic = " ".join(
                filter(None, [status and status.group(1), diagnostic and diagnostic.group(1)])
            ).strip()
        elif content_type in ("message/rfc822", "text/rfc822-headers"):
            if content_type == "message/rfc822" and part.is_multipart():
                inner = part.get_payload()[0]
                original = str(inner.get("Message-ID", ""))
            else:
                headers = _part_bytes(part).decode("utf-8", errors="replace")
                found = re.search(r"^Message-ID:\s*(<[^>]+>)", headers, re.MULTILINE | re.I)
                original = found.group(1) if found else ""
            parsed.bounced_message_id = parsed.bounced_message_id or _msgid(original)
    if not parsed.bounced_message_id:
        parsed.bounced_message_id = parsed.in_reply_to
    if not parsed.bounce_diagnostic:
        parsed.bounce_diagnostic = parsed.subject


def _walk(message: Message, parsed: ParsedEmail) -> None:
    texts: list[str] = []
    htmls: list[str] = []
    for part in _leaf_parts(message):
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part, parsed)
        is_body = disposition != "attachment" and not (filename and disposition == "inline")
        if content_type == "text/plain" and is_body and not filename:
            texts.append(_text_content(part, parsed))
        elif content_type == "text/html" and is_body and not filename:
            htmls.append(_text_content(part, parsed))
        else:
            parsed.attachments.append(_attachment(part, filename, parsed))
    texts = [t.replace("\r\n", "\n").replace("\r", "\n").strip("\n") for t in texts]
    parsed.text = "\n\n".join(t for t in texts if t.strip())
    if htmls:
        whole = "\n".join(htmls)
        if html_clipped(whole):
            # Shown clipped (as webmail clips a long message); the whole HTML is kept.
            parsed.problems.append("HTML body clipped for display")
            parsed.attachments.append(
                InboundAttachment(
                    filename="message.html",
                    content_type="text/html; charset=utf-8",
                    content_b64=base64.b64encode(whole.encode("utf-8", "replace")).decode("ascii"),
                )
            )
        parsed.html = sanitize_html(whole)


def _leaf_parts(message: Message):
    """Leaf parts in order; a forwarded message/rfc822 is one attachment, not body."""
    if message.get_content_type() == "message/rfc822" or not message.is_multipart():
        yield message
        return
    for part in message.get_payload():
        if part.get_content_type() == "message/rfc822":
            yield part
        elif part.is_multipart():
            yield from _leaf_parts(part)
        else:
            yield part


def _filename(part: Message, parsed: ParsedEmail) -> str:
    try:
        name = (part.get_filename() or "").strip()
    except Exception:
        parsed.problems.append("unreadable attachment filename")
        return "attachment"
    if "=?" not in name:
        return name
    try:  # many mailers write a non-ASCII name as RFC 2047 encoded words
        return str(make_header(decode_header(name))).strip()
    except Exception:  # a malformed encoded word: the name as written
        return name


def _part_bytes(part: Message) -> bytes:
    if part.is_multipart():
        return part.as_bytes(policy=policy.SMTP) if hasattr(part, "as_bytes") else b""
    payload = part.get_payload(decode=True)
    if payload is None:
        raw = part.get_payload()
        return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    return payload


def _text_content(part: Message, parsed: ParsedEmail) -> str:
    """Decode a text part with its declared charset; unknown or wrong charsets fall back
    to a guess rather than failing."""
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError, ValueError) as exc:
        parsed.problems.append(f"charset problem: {type(exc).__name__}")
    data = _part_bytes(part)
    charset = (part.get_content_charset() or "").lower()
    for candidate in (charset, "utf-8", "cp1252", "latin-1"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _attachment(part: Message, filename: str, parsed: ParsedEmail) -> InboundAttachment:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        if part.is_multipart():
            inner = part.get_payload()[0]
            data = inner.as_bytes(policy=policy.SMTP) if hasattr(inner, "as_bytes") else b""
            subject = str(inner.get("Subject", "") or "")
        else:
            data = _part_bytes(part)
            subject = ""
        filename = filename or f"{(_safe_name(subject) or 'forwarded-message')}.eml"
    else:
        data = _part_bytes(part)
    if not filename:
        extension = {"text/plain": "txt", "text/html": "html"}.get(
            content_type, content_type.rsplit("/", 1)[-1]
        )
        filename = f"part-{hashlib.sha1(data).hexdigest()[:8]}.{extension}"  # noqa: S324
    content_id = str(part.get("Content-ID", "") or "").strip().strip("<>")
    return InboundAttachment(
        filename=_safe_name(filename) or "attachment",
        content_type=content_type,
        content_b64=base64.b64encode(data).decode("ascii"),
        content_id=content_id[:255],
    )


def _safe_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[\x00-\x1f<>:\"|?*]", "_", name).strip(" .")[:200]


# The HTML5 parsing algorithm (nh3's html5ever, and browsers) costs time quadratic in
# what a hostile message nests or repeats: 10,000 nested tags take seconds, 100,000
# minutes; unclosed formatting elements with distinct attributes (`<b title=1><b
# title=2>...`) are compared with each other at every new one and cloned again after
# every closed block, so 50 KiB became 78 MB in 13 s. Before parsing, HTML is clipped
# (as webmail clips a long message) and formatting elements lose their attributes (then
# at most three alike stay open: the parser's own "Noah's Ark" limit). Real mail is far
# inside these bounds.
MAX_HTML_CHARS = 256 * 1024
MAX_HTML_TAGS = 4000
_START_TAG = re.compile(r"<[A-Za-z]")
# Formatting elements but `a` (one open `a` at most: a new one closes it). Scanning stops
# at the next `<` or `>`, so it is linear; a tag cut by a `<` becomes text.
_FORMATTING_START_TAG = re.compile(
    r"<(b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)(?=[\s/>])[^<>]*(>?)",
    re.IGNORECASE,
)


def _clip_end(value: str) -> int:
    end = min(len(value), MAX_HTML_CHARS)
    beyond = next(itertools.islice(_START_TAG.finditer(value, 0, end), MAX_HTML_TAGS, None), None)
    return beyond.start() if beyond else end


def html_clipped(value: str) -> bool:
    """Whether `bounded_html` cuts `value` short."""
    return _clip_end(value) < len(value)


def _bare_formatting_tag(match: re.Match[str]) -> str:
    return f"<{match.group(1)}>" if match.group(2) else "&lt;" + match.group(0)[1:]


def bounded_html(value: str) -> str:
    """`value` as HTML that parses in time linear in its length: at most MAX_HTML_CHARS
    characters and MAX_HTML_TAGS start tags, with no attributes on formatting elements.
    Everything that parses email HTML parses this instead."""
    return _FORMATTING_START_TAG.sub(_bare_formatting_tag, value[: _clip_end(value)])


def sanitize_html(value: str) -> str:
    return nh3.clean(
        bounded_html(value),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(value: str) -> str:
    with_breaks = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>|</li>", "\n", bounded_html(value))
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def quoted_tail_start(lines: list[str]) -> int:
    """The index from which every line is blank or quoted (`> ...`), or len(lines) when
    the last line is neither: one pass from the end, so folding stays linear in the text
    however many `>` lines a hostile message holds."""
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.strip() and not line.startswith(">"):
            break
        start = index
    return start


def split_reply(text: str) -> tuple[str, str]:
    """(what the customer wrote now, the quoted thread and signature below it).

    The full text is always kept; this is only for folding it in the timeline.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = len(lines)
    quoted_from = quoted_tail_start(lines)
    for index, line in enumerate(lines):
        window = " ".join(lines[index : index + 3])
        if line.startswith(">") and index >= quoted_from:
            cut = index
            break
        if any(pattern.match(line) for pattern in _SIGNATURE_MARKERS):
            cut = index
            break
        if any(pattern.match(line) for pattern in _QUOTE_HEADERS) or (
            index + 1 < len(lines)
            and _QUOTE_HEADERS[0].match(window)
            and window.rstrip().endswith("wrote:")
        ):
            cut = index
            break
        if _OUTLOOK_HEADER.match(line) and any(
            re.match(r"^\s*(Sent|Date):", later, re.I) for later in lines[index + 1 : index + 3]
        ):
            cut = index
            break
    reply = "\n".join(lines[:cut]).strip()
    quoted = "\n".join(lines[cut:]).strip()
    if not reply:
        return text.strip(), ""
    return reply, quoted


def to_inbound(
    parsed: ParsedEmail, *, raw: bytes, source: str, verdict: Verdict | None = None
) -> InboundMessage:
    """The normalised inbound message (a bounce becomes a `bounce` event, not a message).

    `verdict`: what a trusted party said of its sender (`channels_app.email_auth`). Only a
    passing one proves the From address; without one it is only claimed."""
    # Message-ID alone is not unique enough (some senders reuse one); a digest of what
    # the message says is added, built from parsed fields so the same mail read by
    # webhook and by IMAP (whose bytes differ in trace headers) has one id.
    fingerprint = hashlib.sha256(
        "\n".join(
            [
                parsed.from_address,
                parsed.date.isoformat() if parsed.date else "",
                parsed.subject,
                parsed.text[:4000],
            ]
        ).encode("utf-8", "replace")
    ).hexdigest()[:16]
    if not parsed.message_id and not parsed.text and not parsed.subject:
        fingerprint = hashlib.sha256(raw).hexdigest()[:32]
    provider_id = f"{parsed.message_id or '<no-message-id>'}#{fingerprint}"
    metadata: dict = {"source": source}
    if parsed.bounce:
        return InboundMessage(
            provider_id=provider_id[:255],
            identities={},
            kind="bounce",
            subject=parsed.subject[:300],
            metadata={
                **metadata,
                "bounced_message_id": parsed.bounced_message_id,
                "diagnostic": parsed.bounce_diagnostic[:500],
            },
        )
    if parsed.auto_submitted:
        # Loop protection: nothing automatic (confirmations, auto-replies) answers this.
        metadata["auto_submitted"] = True
        metadata["no_auto_reply"] = True
    if parsed.to:
        metadata["delivered_to"] = list(parsed.to)
    if parsed.cc:
        # Who else the thread was copied to: they may reply into it (a colleague).
        metadata["cc"] = list(parsed.cc)
    if parsed.reply_to and parsed.reply_to != parsed.from_address:
        metadata["reply_to"] = parsed.reply_to
    if parsed.problems:
        metadata["parse_problems"] = parsed.problems[:20]
    # Shown to agents: "sender not verified" unless it passed.
    metadata["email_auth"] = (verdict or no_verdict(source=source)).to_json()
    identities = {"email": parsed.from_address} if parsed.from_address else {}
    if not identities:
        raise ValueError("the message has no readable From address")
    return InboundMessage(
        provider_id=provider_id[:255],
        identities=identities,
        text=parsed.text,
        html=parsed.html,
        sender_name=parsed.from_name[:200],
        subject=parsed.subject[:300],
        email_message_id=parsed.message_id,
        email_in_reply_to=parsed.in_reply_to,
        email_references=parsed.references,
        attachments=tuple(parsed.attachments),
        metadata=metadata,
        sent_at=parsed.date,
        proof=Proof.EMAIL_AUTHENTICATED if verdict and verdict.passed else Proof.CLAIMED,
    )
