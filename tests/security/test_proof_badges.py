"""Agents see how each identity was proven (issue 14, build point 1): a badge per
identity in the customer sidebar, and "Verify" makes one agent-verified."""

from __future__ import annotations

import re

import pytest

from customers.identities import Proof
from customers.models import Identity
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


def badges(html: str) -> dict[str, str]:
    """{identity value: its proof badge's text} as the sidebar shows them."""
    found = re.findall(
        r'class="identity-value">([^<]+)</span>\s*<span class="proof proof-\w+"'
        r' data-proof="(\w+)">([^<]+)</span>',
        html,
    )
    return {value: f"{proof}: {label.strip()}" for value, proof, label in found}


def test_each_identity_shows_its_proof_and_verify_makes_it_agent_verified(desk):
    message = desk.receive(desk.email, "e1", "Hello", email="dana@example.com")
    customer = message.conversation.customer
    claimed = Identity.objects.create(
        customer=customer, kind="phone", value="+14155550123", proof=Proof.CLAIMED
    )
    alice = client_for(desk.alice)
    sidebar = f"/inbox/c/{message.conversation_id}/sidebar/"

    shown = badges(htmx(alice, "get", sidebar).content.decode())
    assert shown == {
        "dana@example.com": "provider: ✓ Provider-attested",
        "+14155550123": "claimed: Only claimed",
    }

    verified = htmx(
        alice, "post", f"/inbox/c/{message.conversation_id}/identities/{claimed.pk}/verify/"
    )
    assert verified.status_code == 200
    assert badges(verified.content.decode())["+14155550123"] == (
        "agent_verified: ✓ Verified by an agent"
    )
    claimed.refresh_from_db()
    assert claimed.proof == Proof.AGENT_VERIFIED
