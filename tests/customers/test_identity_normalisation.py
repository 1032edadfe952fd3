"""Identity values are normalised before they are compared (no database)."""

import pytest

from customers.identities import (
    IdentityClaim,
    InvalidIdentity,
    in_resolution_order,
    normalize_email,
    normalize_identity,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Dana@Example.COM", "dana@example.com"),
        ("  dana@example.com ", "dana@example.com"),
        ("j@bücher.de", "j@xn--bcher-kva.de"),
        ("first.last+tag@sub.example.org.", "first.last+tag@sub.example.org"),
    ],
)
def test_emails_are_lower_cased_with_idna_domains(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "plain", "@example.com", "a@", "a@localhost", "a..b@example.com", "a b@example.com"]
)
def test_invalid_emails_are_refused(raw):
    with pytest.raises(InvalidIdentity):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (415) 555-2671", "US", "+14155552671"),
        ("415-555-2671", "US", "+14155552671"),
        ("whatsapp:+14155552671", "US", "+14155552671"),
        ("14155552671", "US", "+14155552671"),
        ("030 1234567", "DE", "+49301234567"),
        ("+44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_phones_become_e164(raw, region, expected):
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555", ""])
def test_invalid_phones_are_refused(raw):
    with pytest.raises(InvalidIdentity):
        normalize_phone(raw)


def test_opaque_ids_are_trimmed_and_unknown_kinds_refused():
    assert normalize_identity("telegram", " 12345 ") == IdentityClaim("telegram", "12345")
    with pytest.raises(InvalidIdentity):
        normalize_identity("fax", "123")


def test_resolution_order_is_external_then_email_then_phone():
    claims = [
        IdentityClaim("phone", "+1"),
        IdentityClaim("email", "a@b.c"),
        IdentityClaim("external", "x"),
    ]
    assert [c.kind for c in in_resolution_order(claims)] == ["external", "email", "phone"]
