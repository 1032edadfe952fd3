"""Every endpoint kind an admin can create is a complete channel: one descriptor with
its facts, a registered adapter, and a URL to give the provider."""

from __future__ import annotations

import pytest

from channels_app.adapters import get_adapter
from channels_app.kinds import KINDS, channel_kind
from channels_app.models import ChannelEndpoint
from customers.identities import IDENTITY_KINDS


@pytest.mark.parametrize("kind", ChannelEndpoint.Kind.values)
def test_every_endpoint_kind_has_a_descriptor_an_adapter_and_a_webhook(kind):
    descriptor = KINDS[kind]
    assert descriptor.label and descriptor.icon
    assert descriptor.identity_kind is None or descriptor.identity_kind in IDENTITY_KINDS
    assert descriptor.webhook_path
    assert get_adapter(kind) is not None and get_adapter(kind).kind == kind


def test_a_removed_channel_still_reads_as_its_own_name():
    assert channel_kind("fax").label == "fax"
    assert channel_kind("fax").identity_kind is None


def test_only_email_threads_by_headers_and_only_messaging_apps_answer_by_keyword():
    assert [k.name for k in KINDS.values() if k.threads_by_email] == ["email"]
    assert {k.name for k in KINDS.values() if k.answers_surveys_by_keyword} == {
        "sms",
        "whatsapp",
        "messenger",
        "instagram",
        "telegram",
    }
