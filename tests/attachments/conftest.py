"""A desk with one inbox per channel kind, an agent of the team that owns them, and a
conversation with a customer on each; providers are real HTTP servers on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import ChannelEndpoint
from channels_app.types import InboundMessage
from conversations.models import Conversation
from conversations.services import receive_message
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0"
    b"\xa1\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4 the refund note"
TWILIO = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "12345678901234567890123456789012",
}
META = {"app_secret": "3f0c1e5a9b7d4c2e8f6a1b3c5d7e9f01", "access_token": "EAAGtestTOKEN"}
BOT_TOKEN = "7000000001:AAHtestTOKENtestTOKENtestTOKEN12345"


def fixture_json(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / name).read_text())


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def public_url(settings) -> str:
    settings.OMNIDESK_PUBLIC_URL = "https://desk.example.com"
    settings.OMNIDESK_FETCH_INBOUND_MEDIA = False
    return settings.OMNIDESK_PUBLIC_URL


@pytest.fixture
def provider(settings) -> Iterator[FakeProvider]:
    fake = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": fake.url,
        "meta": f"{fake.url}/v21.0",
        "telegram": fake.url,
    }
    fake.on(
        "POST",
        r"/2010-04-01/Accounts/.*/Messages.json",
        Reply(201, fixture_json("twilio", "message_created.json")),
    )
    fake.on("POST", r"/v21.0/.*/media", Reply(200, {"id": "4490709327384033"}))
    fake.on(
        "POST",
        r"/v21.0/106540352242922/messages",
        Reply(200, fixture_json("meta", "whatsapp_send_response.json")),
    )
    fake.on(
        "POST",
        r"/v21.0/17841400000000000/messages",
        Reply(200, fixture_json("meta", "messenger_send_response.json")),
    )
    fake.on("POST", r".*/sendMessage", Reply(200, fixture_json("telegram", "send_message_ok.json")))
    fake.on(
        "POST",
        r".*/send(Document|Photo)",
        Reply(200, fixture_json("telegram", "send_document_ok.json")),
    )
    try:
        yield fake
    finally:
        fake.stop()


class Desk:
    def __init__(self) -> None:
        self.sms = EndpointFactory(
            kind="sms", name="US line", credentials={**TWILIO, "phone_number": "+14155550100"}
        )
        self.uk_sms = EndpointFactory(
            kind="sms", name="UK line", credentials={**TWILIO, "phone_number": "+442071838750"}
        )
        self.whatsapp = EndpointFactory(
            kind="whatsapp", credentials={**META, "phone_number_id": "106540352242922"}
        )
        self.instagram = EndpointFactory(
            kind="instagram", credentials={**META, "page_id": "17841400000000000"}
        )
        self.telegram = EndpointFactory(kind="telegram", credentials={"bot_token": BOT_TOKEN})
        self.email = EndpointFactory(kind="email", config={"address": "support@desk.test"})
        self.webchat = EndpointFactory(kind="webchat")
        self.team = TeamFactory(
            name="Everything",
            endpoints=[
                self.sms,
                self.uk_sms,
                self.whatsapp,
                self.instagram,
                self.telegram,
                self.email,
                self.webchat,
            ],
        )
        self.agent = make_agent(username="alice", first_name="Alice", teams=[self.team])
        self.api = api_client_for(self.agent)

    def conversation(self, endpoint: ChannelEndpoint, **identities: str) -> Conversation:
        message = receive_message(
            endpoint=endpoint,
            inbound=InboundMessage(
                provider_id=f"in-{endpoint.pk}-{sorted(identities.items())}",
                identities=identities,
                text="Can you send me the refund note?",
                sender_name="Dana Scully",
            ),
        )
        return message.conversation

    def reply(self, conversation: Conversation, files, text: str = "Here it is.", **fields):
        return self.api.post(
            f"/api/v1/conversations/{conversation.pk}/messages/",
            {"text": text, "files": files, **fields},
            format="multipart",
        )


@pytest.fixture
def desk(db) -> Desk:
    return Desk()
