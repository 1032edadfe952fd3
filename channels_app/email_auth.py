"""Is an inbound email from the domain in its From header? Reading the SPF, DKIM and
DMARC verdict someone we trust already reached (docs/email-authenticity.md).

Pure functions, no database. We never check signatures or DNS ourselves: the inbound
provider (Mailgun, SendGrid, Postmark) or the mailbox's receiving server did, and says so.
What the sender wrote into the message proves nothing, so only these count:

- `Authentication-Results` headers (RFC 8601) whose authserv-id is one the endpoint
  trusts (`config["trusted_authserv_id"]`); every other one is ignored, since anyone can
  write one into a message.
- Mailgun: the `X-Mailgun-Spf` and `X-Mailgun-Dkim-Check-Result` headers Mailgun puts on
  top of the message (the first of each; a sender's own copies come below), with the
  envelope sender and the domains of the message's DKIM signatures.
- SendGrid: the `SPF`, `dkim` and `envelope` fields of its Inbound Parse post.
- Postmark: the first `Received-SPF` and `X-Spam-Tests` (SpamAssassin's DKIM_VALID_AU and
  DMARC_* tests) of the `Headers` list it posts.

The verdict passes when a DMARC result is known and every one is `pass`; without one,
when DKIM passed for a domain aligned with the From domain, or SPF passed for an envelope
domain aligned with it (DMARC's own rule, relaxed alignment: the same domain, or one a
subdomain of the other). Anything else, including no verdict at all, does not pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

SPF, DKIM, DMARC = "spf", "dkim", "dmarc"
_METHODS = (SPF, DKIM, DMARC)
PASS = "pass"


@dataclass(frozen=True)
class AuthResult:
    """One method's result, for the domain it was checked for (lower case; "" unknown)."""

    method: str
    result: str
    domain: str = ""


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str
    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    source: str = ""
    from_domain: str = ""

    def to_json(self) -> dict[str, object]:
        """What `Message.metadata["email_auth"]` keeps for the agent's screen."""
        return {
            "pass": self.passed,
            "reason": self.reason,
            "spf": self.spf,
            "dkim": self.dkim,
            "dmarc": self.dmarc,
            "source": self.source,
        }


def evaluate(*, from_address: str, results: Iterable[AuthResult], source: str) -> Verdict:
    """The verdict for a message whose From address is `from_address`, from the results
    of trusted sources only (see the module docstring for the rule)."""
    from_domain = _domain(from_address)
    found = list(results)
    summary = {
        method: _summary([r.result for r in found if r.method == method]) for method in _METHODS
    }
    common = {**summary, "source": source, "from_domain": from_domain}
    if not found or not from_domain:
        return Verdict(passed=False, reason="no verdict", **common)
    dmarc = [r for r in found if r.method == DMARC]
    if dmarc:
        # A DMARC result for another domain than the one shown says nothing about it.
        failed = any(r.result != PASS for r in dmarc)
        elsewhere = any(r.domain not in ("", from_domain) for r in dmarc)
        reason = "DMARC fail" if failed else "DMARC pass for another domain" if elsewhere else ""
        return Verdict(passed=not reason, reason=reason or "DMARC pass", **common)
    for method in (DKIM, SPF):
        aligned = next(
            (
                r
                for r in found
                if r.method == method
                and r.result == PASS
                and aligned_domains(r.domain, from_domain)
            ),
            None,
        )
        if aligned is not None:
            return Verdict(
                passed=True, reason=f"{method.upper()} pass for {aligned.domain}", **common
            )
    return Verdict(passed=False, reason="no aligned SPF or DKIM pass", **common)


def no_verdict(*, source: str) -> Verdict:
    return Verdict(passed=False, reason="no verdict", source=source)


def aligned_domains(checked: str, from_domain: str) -> bool:
    """DMARC's relaxed alignment, without the public suffix list: the same domain, or one a
    subdomain of the other, never across a top-level domain alone."""
    checked, from_domain = checked.lower().strip("."), from_domain.lower().strip(".")
    if not checked or not from_domain:
        return False
    if checked == from_domain:
        return True
    shorter, longer = sorted((checked, from_domain), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _summary(results: Sequence[str]) -> str:
    if not results:
        return "none"
    return PASS if PASS in results else results[0]


def _domain(address: str) -> str:
    """The domain of an address (`user@example.com`, `<user@example.com>`, `@example.com`)
    or of a bare domain, lower case."""
    value = (address or "").strip().strip("<>").strip().lower()
    return value.rpartition("@")[2].strip(".") if value else ""


# --- Authentication-Results (RFC 8601) ---------------------------------------------------


def trusted_authserv_ids(config: Mapping[str, object]) -> tuple[str, ...]:
    """The authserv-ids an endpoint trusts: `config["trusted_authserv_id"]`, one name, a
    comma-separated list or a list (lower case)."""
    value = config.get("trusted_authserv_id") or ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        return ()
    return tuple(str(item).strip().lower() for item in items if str(item).strip())


def authentication_results(
    header_values: Iterable[str], *, trusted: Sequence[str]
) -> list[AuthResult]:
    """The results of every `Authentication-Results` value whose authserv-id is trusted."""
    trusted_ids = {item.lower() for item in trusted}
    results: list[AuthResult] = []
    if not trusted_ids:
        return results
    for value in header_values:
        parts = _split_outside_quotes(_without_comments(str(value)), ";")
        if not parts:
            continue
        authserv = parts[0].split()
        if not authserv or _unquote(authserv[0]).lower() not in trusted_ids:
            continue
        for part in parts[1:]:
            result = _result(part)
            if result is not None:
                results.append(result)
    return results


def header_values(raw: bytes, name: str) -> list[str]:
    """Every value of header `name` of a raw message, top first, unfolded."""
    message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return values_of(message, name)


# Real verdict headers are a few hundred characters; a hostile one costs no more than this.
MAX_HEADER_CHARS = 8192


def values_of(message: Message, name: str) -> list[str]:
    return [
        " ".join(str(value)[:MAX_HEADER_CHARS].split()) for value in message.get_all(name) or ()
    ]


_PROPERTY = re.compile(r"\s*=\s*")


def _result(resinfo: str) -> AuthResult | None:
    # Whitespace collapsed first: a run of it would make the pattern quadratic.
    tokens = _split_outside_quotes(_PROPERTY.sub("=", " ".join(resinfo.split())), None)
    if not tokens or "=" not in tokens[0]:
        return None  # "none": the server checked nothing
    method, _, result = tokens[0].partition("=")
    method = method.split("/", 1)[0].strip().lower()
    if method not in _METHODS:
        return None
    properties = {}
    for token in tokens[1:]:
        key, equals, value = token.partition("=")
        if equals:
            properties[key.lower()] = _unquote(value)
    if method == DKIM:
        domain = properties.get("header.d") or _domain(properties.get("header.i", ""))
    elif method == SPF:
        domain = _domain(properties.get("smtp.mailfrom") or properties.get("smtp.helo", ""))
    else:
        domain = properties.get("header.from", "")
    return AuthResult(method, _unquote(result).lower(), _domain(domain))


def _without_comments(value: str) -> str:
    """The value without its (nested) parenthesised comments, quoted strings kept."""
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            out.append(char)
            quoted = char != '"'
        elif char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            out.append(" ")
        elif depth == 0:
            out.append(char)
    return "".join(out)


def _split_outside_quotes(value: str, separator: str | None) -> list[str]:
    """Split on `separator` (None: whitespace) outside quoted strings; no empty parts."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        is_separator = char.isspace() if separator is None else char == separator
        if is_separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


# --- What each inbound provider reports -------------------------------------------------


def mailgun_results(
    message: Message, *, from_address: str, envelope_sender: str
) -> list[AuthResult]:
    """Mailgun's checks, from the headers it puts on top of the message it forwards.

    Its DKIM result names no domain, so it counts for the From domain only when every
    DKIM signature of the message is aligned with it (whichever one verified is)."""
    results: list[AuthResult] = []
    spf = _first(message, "X-Mailgun-Spf").lower()
    if spf:
        sender = envelope_sender or _first(message, "Return-Path")
        results.append(AuthResult(SPF, spf, _domain(sender)))
    dkim = _first(message, "X-Mailgun-Dkim-Check-Result").lower()
    if dkim:
        signers = [_signature_domain(value) for value in values_of(message, "DKIM-Signature")]
        from_domain = _domain(from_address)
        aligned = bool(signers) and all(aligned_domains(d, from_domain) for d in signers)
        results.append(AuthResult(DKIM, dkim, from_domain if aligned else ""))
    return results


def sendgrid_results(fields: Mapping[str, str]) -> list[AuthResult]:
    """SendGrid Inbound Parse: `SPF` ("pass", "softfail"...) for the envelope sender of
    `envelope`, and `dkim` as `{@example.com : pass, @other.example : fail}`."""
    results: list[AuthResult] = []
    spf = (fields.get("SPF") or "")[:64].strip().lower()
    if spf:
        try:
            envelope_from = str(json.loads(fields.get("envelope") or "{}").get("from") or "")
        except (ValueError, AttributeError):
            envelope_from = ""
        results.append(AuthResult(SPF, spf, _domain(envelope_from)))
    dkim = (fields.get("dkim") or "")[:MAX_HEADER_CHARS].strip().strip("{}")
    for item in dkim.split(","):
        domain, colon, result = item.partition(":")
        if colon and domain.strip() and result.strip():
            results.append(AuthResult(DKIM, result.strip().lower(), _domain(domain)))
    return results


# SpamAssassin's tests as Postmark lists them in X-Spam-Tests.
_SPAMASSASSIN_DMARC = {
    "DMARC_PASS": PASS,
    "DMARC_NONE": "fail",
    "DMARC_QUAR": "fail",
    "DMARC_REJECT": "fail",
}


def postmark_results(
    headers: Sequence[Mapping[str, str]], *, from_address: str
) -> list[AuthResult]:
    """Postmark's checks, from the first `Received-SPF` and `X-Spam-Tests` of the
    `Headers` list it posts (its own; a sender's copies come further down)."""
    results: list[AuthResult] = []
    received_spf = _first_of_list(headers, "Received-SPF")
    if received_spf:
        results.append(received_spf_result(received_spf))
    tests = {
        test.strip().upper() for test in _first_of_list(headers, "X-Spam-Tests").split(",") if test
    }
    from_domain = _domain(from_address)
    if "DKIM_VALID_AU" in tests:
        # A valid signature of the author's (From) domain.
        results.append(AuthResult(DKIM, PASS, from_domain))
    elif "DKIM_INVALID" in tests:
        results.append(AuthResult(DKIM, "fail"))
    for test, result in _SPAMASSASSIN_DMARC.items():
        if test in tests:
            results.append(AuthResult(DMARC, result, from_domain))
    return results


def received_spf_result(value: str) -> AuthResult:
    """RFC 7208 9.1: `Pass (comment) identity=mailfrom; envelope-from=a@b; helo=...`."""
    tokens = _split_outside_quotes(_without_comments(value).replace(";", " "), None)
    result = tokens[0].lower() if tokens and "=" not in tokens[0] else "none"
    pairs = {}
    for token in tokens:
        key, equals, item = token.partition("=")
        if equals:
            pairs[key.lower()] = _unquote(item)
    identity = pairs.get("identity", "mailfrom").lower()
    sender = pairs.get("helo", "") if identity == "helo" else pairs.get("envelope-from", "")
    return AuthResult(SPF, result, _domain(sender))


def header_list_values(headers: Sequence[Mapping[str, str]], name: str) -> list[str]:
    """Every value of `name` in a provider's `[{"Name", "Value"}]` header list, in order."""
    return [
        " ".join(str(item.get("Value", ""))[:MAX_HEADER_CHARS].split())
        for item in headers
        if isinstance(item, Mapping) and str(item.get("Name", "")).lower() == name.lower()
    ]


def _first_of_list(headers: Sequence[Mapping[str, str]], name: str) -> str:
    values = header_list_values(headers, name)
    return values[0] if values else ""


def _first(message: Message, name: str) -> str:
    value = message.get(name)
    return " ".join(str(value)[:MAX_HEADER_CHARS].split()) if value is not None else ""


def _signature_domain(value: str) -> str:
    match = re.search(r"(?:^|;)\s*d\s*=\s*([^;\s]+)", value)
    return match.group(1).lower().strip(".") if match else ""
