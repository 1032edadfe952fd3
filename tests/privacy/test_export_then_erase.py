"""A customer who wrote on four channels (the API, SMS with a picture, email with an
attachment, Telegram with a photo), merged into one record, with a private note, a
survey answer and outgoing webhooks about them: the export holds every item, and after
the erasure no personal value of theirs is found by the API, the inbox search, any text
column of the database or the stored files, while the reports' totals stay the same."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from agents.models import AgentProfile
from audit.models import AuditEntry
from channels_app.models import ChannelEndpoint, EndpointGrant, InboundEvent
from conversations.models import Attachment, Conversation, Message
from conversations.services import add_note, change_status
from customers.models import Customer
from reporting.services import record_csat_response, refresh_report_data
from tests.channels_app.conftest import (
    TWILIO_CREDENTIALS,
    fixture_json,
    post_twilio,
)
from tests.channels_app.fake_providers import FakeProvider, Reply
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, TeamFactory, make_agent
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery
from webhooks.services import create_subscription

pytestmark = pytest.mark.django_db

NAME = "Dana Scully"
EMAIL = "dana.scully@exemple.fr"  # the domain the stored Postmark post's SPF passes for
PHONE = "+14155552671"  # the sender of the stored Twilio MMS
TELEGRAM_ID = "523456789"  # the chat of the stored Telegram updates
TELEGRAM_USERNAME = "dscully"
EXTERNAL_ID = "crm-dana-77"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00zebulon-jpeg-of-the-box\xff\xd9"
PDF = b"%PDF-1.4 zebulon-passport-scan %%EOF"
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00zebulon-receipt-photo\xff\xd9"
BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
PDF_NAME = "scully-passport.pdf"
# Words found only in what the customer wrote or what was written about them.
MARKERS = {
    "api": "zebulonapi",
    "sms": "zebulonsms",
    "email": "zebulonmail",
    "telegram": "zebulontelegram",
    "note": "zebulonnote",
    "csat": "zebuloncsat",
}
PERSONAL_VALUES = [
    NAME,
    "Scully",
    EMAIL,
    PHONE,
    PHONE.removeprefix("+1"),
    TELEGRAM_ID,
    TELEGRAM_USERNAME,
    EXTERNAL_ID,
    PDF_NAME,
    *MARKERS.values(),
]
MEDIA_PATH = (
    "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/"
    "MM7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)
TELEGRAM_SECRET = "s3cr3t-Token_from-setWebhook"
BASIC_AUTH = "anymail:Xq3!hook-secret"


@pytest.fixture
def desk(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.OMNIDESK_PUBLIC_URL = "https://desk.example.com"
    settings.OMNIDESK_FETCH_INBOUND_MEDIA = True
    settings.OMNIDESK_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    provider = FakeProvider().start()
    settings.OMNIDESK_PROVIDER_URLS = {
        "twilio": provider.url,
        "meta": f"{provider.url}/v21.0",
        "telegram": provider.url,
    }
    try:
        yield provider
    finally:
        provider.stop()


def _endpoints() -> dict[str, ChannelEndpoint]:
    endpoints = {
        "api": EndpointFactory(kind="api", name="Shop integration"),
        "sms": EndpointFactory(kind="sms", name="Phone", credentials=dict(TWILIO_CREDENTIALS)),
        "email": EndpointFactory(
            kind="email",
            name="Support mail",
            config={"address": "support@desk.test", "inbound_provider": "postmark"},
            credentials={"webhook_basic_auth": BASIC_AUTH},
        ),
        "telegram": EndpointFactory(
            kind="telegram",
            name="Support bot",
            credentials={"bot_token": BOT_TOKEN, "secret_token": TELEGRAM_SECRET},
        ),
    }
    TeamFactory(name="Everyone", endpoints=list(endpoints.values()))
    return endpoints


def _postmark_body() -> str:
    body = json.dumps(fixture_json("postmark", "inbound.json"))
    body = body.replace("francois@exemple.fr", EMAIL).replace("Fran\\u00e7ois M\\u00fcller", NAME)
    data = json.loads(body)
    text = f"My passport scan is attached. {MARKERS['email']}"
    raw = EmailMessage()
    raw["From"] = f"{NAME} <{EMAIL}>"
    raw["To"] = "support@desk.test"
    raw["Subject"] = "Passport"
    raw["Date"] = "Mon, 23 Nov 2026 08:00:00 +0100"
    raw["Message-ID"] = "<latin1-0001@exemple.fr>"
    raw.set_content(text)
    raw.add_attachment(PDF, maintype="application", subtype="pdf", filename=PDF_NAME)
    data.update(
        TextBody=text,
        Subject="Passport",
        RawEmail=raw.as_string(),
        Attachments=[
            {
                "Name": PDF_NAME,
                "Content": base64.b64encode(PDF).decode(),
                "ContentType": "application/pdf",
                "ContentLength": len(PDF),
            }
        ],
    )
    return json.dumps(data)


def _seed(client: Client, endpoints: dict[str, ChannelEndpoint], provider: FakeProvider) -> None:
    integration = make_agent(username="shop-backend", role=AgentProfile.Role.ADMIN)
    EndpointGrant.objects.create(
        endpoint=endpoints["api"], user=integration, trusted_for_identity=True
    )
    response = api_client_for(integration).post(
        "/api/v1/inbound/",
        {
            "endpoint": endpoints["api"].key,
            "id": "order-1",
            "from": {"name": NAME, "email": EMAIL, "phone": PHONE, "external_id": EXTERNAL_ID},
            "text": f"Order 1 arrived broken. {MARKERS['api']}",
        },
        format="json",
    )
    assert response.status_code == 202, response.content

    provider.on("GET", MEDIA_PATH, Reply(200, JPEG, content_type="image/jpeg"))
    mms = {
        **fixture_json("twilio", "mms_inbound.json"),
        "Body": f"Here is the damaged box {MARKERS['sms']}",
        "MediaUrl0": provider.url + MEDIA_PATH,
    }
    assert post_twilio(client, endpoints["sms"], "sms", mms).status_code == 200

    response = client.post(
        f"/hooks/email/{endpoints['email'].key}/",
        data=_postmark_body(),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(BASIC_AUTH.encode()).decode(),
    )
    assert response.status_code == 200

    provider.on(
        "POST",
        rf"/bot{BOT_TOKEN}/getFile",
        Reply(200, {"ok": True, "result": {"file_id": "x", "file_path": "photos/file_7.jpg"}}),
    )
    provider.on("GET", rf"/file/bot{BOT_TOKEN}/photos/file_7.jpg", Reply(200, PHOTO, "image/jpeg"))
    for name in ("text.json", "photo.json"):
        update = fixture_json("telegram", name)
        if "text" in update["message"]:
            update["message"]["text"] = f"Did my refund go through? {MARKERS['telegram']}"
        response = client.post(
            f"/hooks/telegram/{endpoints['telegram'].key}/",
            data=json.dumps(update),
            content_type="application/json",
            HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=TELEGRAM_SECRET,
        )
        assert response.status_code == 200


def _scan_database(values: list[str]) -> list[tuple[str, str, str]]:
    """Every text, varchar and jsonb column of every table, searched for each value."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public'
              AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'character', 'ARRAY')
            """
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            for value in values:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',
                    [f"%{value}%"],
                )
                if cursor.fetchone():
                    found.append((table, column, value))
    return found


def _scan_files(values: list[str], contents: list[bytes]) -> list[str]:
    found = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for needle in [*(value.encode() for value in values), *contents]:
            if needle in data or needle.decode(errors="ignore") in str(path):
                found.append(f"{path}: {needle!r}")
    return found


def _report_totals(api) -> dict:
    refresh_report_data()
    totals = {}
    for name in ("summary", "volume", "channels", "csat-distribution", "handoffs"):
        response = api.get(f"/api/v1/reports/{name}/")
        assert response.status_code == 200, (name, response.content)
        totals[name] = response.json()
    return totals


def test_export_holds_everything_and_erasure_leaves_nothing_personal(
    desk,
    receiver,
    django_capture_on_commit_callbacks,
):
    endpoints = _endpoints()
    supervisor = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    api = api_client_for(supervisor)
    create_subscription(
        url=receiver.url, events=list(EVENT_TYPES), description="CRM", created_by=supervisor
    )
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _seed(browser, endpoints, desk)

    # One person, several records (Telegram proves a chat id, nothing more): merged.
    customers = list(Customer.objects.filter(merged_into__isnull=True).order_by("pk"))
    keeper, *others = customers
    assert others, "Telegram's sender starts a record of their own"
    with django_capture_on_commit_callbacks(execute=True):
        for other in others:
            merged = api.post(f"/api/v1/customers/{keeper.pk}/merge/", {"source": other.pk})
            assert merged.status_code == 200, merged.content
    conversations = list(Conversation.objects.filter(customer=keeper).order_by("pk"))
    channels = set(
        Message.objects.filter(conversation__in=conversations).values_list("channel", flat=True)
    )
    assert channels == {"api", "sms", "email", "telegram"}
    # SMS continues the API conversation (one team watches both inboxes).
    sms_conversation = Message.objects.get(channel="sms", kind="customer").conversation
    with django_capture_on_commit_callbacks(execute=True):
        add_note(
            conversation=sms_conversation,
            author=supervisor,
            text=f"{NAME} called about the box. {MARKERS['note']}",
        )
        change_status(conversation=sms_conversation, status="resolved", actor=supervisor)
    # The resolution sent a survey; the customer answers it.
    with django_capture_on_commit_callbacks(execute=True):
        record_csat_response(
            conversation=sms_conversation,
            score=2,
            comment=f"Slow. {MARKERS['csat']}",
            channel="sms",
        )
    assert Attachment.objects.exclude(file="").count() == 3
    assert WebhookDelivery.objects.exists()
    assert _scan_database([EMAIL]), "the control: the scan finds what is stored"

    # --- Export ---------------------------------------------------------------------
    response = api.get(f"/api/v1/customers/{keeper.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    exported = json.loads(archive.read("customer.json"))
    identities = {(i["kind"], i["value"]) for i in exported["identities"]}
    assert {("email", EMAIL), ("phone", PHONE)} <= identities
    assert any(kind == "telegram" and value == TELEGRAM_ID for kind, value in identities)
    assert any(EXTERNAL_ID in value for kind, value in identities if kind == "external")
    assert exported["customer"]["name"] == NAME
    assert sorted(exported["customer"]["merged_records"]) == sorted(o.pk for o in others)
    assert {m["channel"] for c in exported["conversations"] for m in c["messages"]} >= channels
    texts = " ".join(
        m["text"] for c in exported["conversations"] for m in c["messages"] + c["notes"]
    )
    for where in ("api", "sms", "email", "telegram"):
        assert MARKERS[where] in texts, where
    notes = [n for c in exported["conversations"] for n in c["notes"]]
    assert [MARKERS["note"] in n["text"] for n in notes] == [True]
    assert all(c["events"] for c in exported["conversations"])
    assert [a["comment"] for a in exported["csat"]] == [f"Slow. {MARKERS['csat']}"]
    attachments = [
        a for c in exported["conversations"] for m in c["messages"] for a in m["attachments"]
    ]
    files = {a["filename"]: archive.read(a["file"]) for a in attachments if a["file"]}
    assert files[PDF_NAME] == PDF
    assert {JPEG, PHOTO} <= set(files.values())
    assert AuditEntry.objects.filter(action="customer.export", object_id=str(keeper.pk)).exists()

    # --- Erase ----------------------------------------------------------------------
    # The controls: before the erasure, the searches find the person.
    browser.force_login(supervisor)
    assert [row["id"] for row in api.get("/api/v1/customers/", {"q": EMAIL}).json()["results"]] == [
        keeper.pk
    ]
    assert api.get("/api/v1/conversations/", {"q": MARKERS["sms"]}).json()["results"]
    found = browser.get("/inbox/list/", {"view": "all", "status": "resolved", "q": MARKERS["sms"]})
    assert MARKERS["sms"] in found.content.decode()
    totals_before = _report_totals(api)
    messages_before = Message.objects.count()
    stored = [Path(settings.MEDIA_ROOT) / a.file.name for a in Attachment.objects.exclude(file="")]
    assert all(path.exists() for path in stored)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/customers/{others[0].pk}/erase/")
    assert response.status_code == 200, response.content
    assert response.json()["conversations"] == len(conversations)
    assert sorted(response.json()["customers"]) == sorted(c.pk for c in customers)

    # Nothing personal in the database's text columns...
    assert _scan_database(PERSONAL_VALUES) == []
    # ...nor in the stored files (the attachments' files are gone)...
    assert not any(path.exists() for path in stored)
    assert _scan_files(PERSONAL_VALUES, [JPEG, PDF, PHOTO]) == []
    # ...nor in what the API and the inbox's search answer.
    for value in PERSONAL_VALUES:
        for url in ("/api/v1/customers/", "/api/v1/conversations/"):
            answer = api.get(url, {"q": value})
            assert answer.status_code == 200
            assert value not in answer.content.decode(), url
            assert answer.json()["results"] == [], url
        for status in Conversation.Status.values:
            page = browser.get("/inbox/list/", {"view": "all", "status": status, "q": value})
            assert page.status_code == 200
            assert "empty-list" in page.content.decode(), (status, value)
    for path in (
        f"/api/v1/customers/{keeper.pk}/",
        f"/api/v1/customers/{keeper.pk}/timeline/",
        *(f"/api/v1/conversations/{c.pk}/" for c in conversations),
        *(f"/api/v1/conversations/{c.pk}/messages/" for c in conversations),
    ):
        body = api.get(path).content.decode()
        assert not [value for value in PERSONAL_VALUES if value in body], path

    # The reports count the same: the rows stay, only their content went.
    assert Message.objects.count() == messages_before
    assert _report_totals(api) == totals_before
    assert InboundEvent.objects.exclude(raw={}).filter(endpoint__in=endpoints.values()).count() == 0
    entry = AuditEntry.objects.get(action="customer.erase")
    assert entry.actor_label == "sam" and entry.actor_kind == "token"
    assert entry.changes["conversations"] == len(conversations)


def test_only_supervisors_export_or_erase(desk):
    endpoints = _endpoints()
    customer = Customer.objects.create(name=NAME)
    Conversation.objects.create(
        customer=customer,
        endpoint=endpoints["api"],
        last_channel="api",
        last_message_at=customer.created_at,
    )
    agent = make_agent(username="alice", teams=[endpoints["api"].teams.get()])
    api = api_client_for(agent)
    assert api.get(f"/api/v1/customers/{customer.pk}/export/").status_code == 403
    assert api.post(f"/api/v1/customers/{customer.pk}/erase/").status_code == 403
    customer.refresh_from_db()
    assert customer.name == NAME
    assert not AuditEntry.objects.filter(action__startswith="customer.").exists()
    supervisor = api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    assert supervisor.get("/api/v1/customers/999999999/export/").status_code == 404
