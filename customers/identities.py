"""Normalising identity values. Pure functions, no database."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

EMAIL = "email"
PHONE = "phone"
MESSENGER = "messenger"
INSTAGRAM = "instagram"
TELEGRAM = "telegram"
WEBCHAT = "webchat"
EXTERNAL = "external"

IDENTITY_KINDS = (EMAIL, PHONE, MESSENGER, INSTAGRAM, TELEGRAM, WEBCHAT, EXTERNAL)


class Proof(StrEnum):
    """How an identity was proven (DESIGN.md, "Identity trust"). Only a proven identity
    may join an existing customer, continue their conversation or receive their replies."""

    # A signed provider webhook says who sent it: a phone number, a PSID, a chat id.
    PROVIDER = "provider"
    # The host site signed its user id with the endpoint's identity secret.
    HOST_SIGNED = "host_signed"
    # The provider's or receiving server's SPF/DKIM/DMARC verdict passed.
    EMAIL_AUTHENTICATED = "email_authenticated"
    # An agent confirmed it.
    AGENT_VERIFIED = "agent_verified"
    # Nothing proves it: a form field, a pre-chat email, mail that failed authentication.
    CLAIMED = "claimed"

    @property
    def label(self) -> str:
        return PROOF_LABELS[self]

    @property
    def proven(self) -> bool:
        return self is not Proof.CLAIMED


PROOF_LABELS = {
    Proof.PROVIDER: "Provider-attested",
    Proof.HOST_SIGNED: "Signed by the host site",
    Proof.EMAIL_AUTHENTICATED: "Authenticated email",
    Proof.AGENT_VERIFIED: "Verified by an agent",
    Proof.CLAIMED: "Only claimed",
}


def scoped_external_id(scope: str, external_id: str) -> str:
    """The `external` identity of a host system's user id: ids are only unique within
    the system that issued them, so user 42 of one site (or integration) is never user
    42 of another. `scope` is the endpoint key of the widget or API channel that proved
    it."""
    return f"{scope}:{external_id}"


# When identities given together belong to different customers, the first kind in this
# order wins (DESIGN.md contracts, the generic API channel).
RESOLUTION_ORDER = (EXTERNAL, EMAIL, PHONE, MESSENGER, INSTAGRAM, TELEGRAM, WEBCHAT)

_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$")


class InvalidIdentity(ValueError):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class IdentityClaim:
    kind: str
    value: str


def normalize_email(value: str) -> str:
    """Lower-case the address and encode an international domain as IDNA (punycode)."""
    candidate = (value or "").strip()
    local, sep, domain = candidate.rpartition("@")
    if not sep or not local or not domain or len(candidate) > 320:
        raise InvalidIdentity(EMAIL, f"'{value}' is not an email address.")
    if not _EMAIL_LOCAL.match(local) or local.startswith(".") or ".." in local:
        raise InvalidIdentity(EMAIL, f"'{value}' is not an email address.")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidIdentity(EMAIL, f"'{value}' has an invalid domain.")
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise InvalidIdentity(EMAIL, f"'{value}' has an invalid domain.")
    return f"{local.lower()}@{ascii_domain}"


@functools.lru_cache(maxsize=4096)
def normalize_phone(value: str, default_region: str = "US") -> str:
    """Return the number in E.164, reading national numbers in `default_region`.
    Remembered per input: parsing is the costly part of resolving a sender, and the same
    numbers write again and again."""
    raw = (value or "").strip()
    if raw.startswith("whatsapp:"):
        raw = raw.removeprefix("whatsapp:")
    if raw.isdigit() and len(raw) > 10:
        # Providers such as WhatsApp send international numbers without the plus.
        raw = f"+{raw}"
    try:
        parsed = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentity(PHONE, f"'{value}' is not a phone number.")
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentity(PHONE, f"'{value}' is not a valid phone number.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_opaque(kind: str, value: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned or len(cleaned) > 320:
        raise InvalidIdentity(kind, f"'{value}' is not a valid {kind} id.")
    return cleaned


def normalize_identity(kind: str, value: str, default_region: str = "US") -> IdentityClaim:
    if kind == EMAIL:
        return IdentityClaim(EMAIL, normalize_email(value))
    if kind == PHONE:
        return IdentityClaim(PHONE, normalize_phone(value, default_region))
    if kind in IDENTITY_KINDS:
        return IdentityClaim(kind, normalize_opaque(kind, value))
    raise InvalidIdentity(kind, f"Unknown identity kind '{kind}'.")


def in_resolution_order(claims: list[IdentityClaim]) -> list[IdentityClaim]:
    unique = list(dict.fromkeys(claims))
    return sorted(unique, key=lambda claim: RESOLUTION_ORDER.index(claim.kind))


# Mailbox providers anyone can sign up to: sharing one says nothing about belonging to
# the same organisation (conversations.services.threads, colleagues joining a thread).
PUBLIC_EMAIL_DOMAINS = frozenset(
    {
        "aol.com", "att.net", "btinternet.com", "comcast.net", "fastmail.com", "free.fr",
        "gmail.com", "gmx.at", "gmx.ch", "gmx.de", "gmx.net", "googlemail.com", "hey.com",
        "hotmail.co.uk", "hotmail.com", "hotmail.de", "hotmail.es", "hotmail.fr",
        "hotmail.it", "icloud.com", "laposte.net", "libero.it", "live.com", "live.co.uk",
        "live.fr", "mac.com", "mail.com", "mail.ru", "me.com", "msn.com", "naver.com",
        "orange.fr", "outlook.com", "outlook.de", "outlook.fr", "pm.me", "proton.me",
        "protonmail.com", "qq.com", "rambler.ru", "seznam.cz", "sfr.fr", "t-online.de",
        "tutanota.com", "web.de", "wp.pl", "yahoo.co.jp", "yahoo.co.uk", "yahoo.com",
        "yahoo.de", "yahoo.es", "yahoo.fr", "yandex.com", "yandex.ru", "ymail.com",
        "zoho.com", "163.com", "126.com",
    }
)  # fmt: skip


def organisation_domain(address: str) -> str | None:
    """The domain an address shares with colleagues of the same organisation, or None for
    a public mailbox provider (gmail.com and the like) or a malformed address."""
    _local, at, domain = (address or "").strip().lower().rpartition("@")
    if not at or not domain or domain in PUBLIC_EMAIL_DOMAINS:
        return None
    return domain
