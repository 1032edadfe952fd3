"""A customer the bot spoke with (a question it had no good article for, then a handoff),
who was sent notifications (free text and a template with variables), opted out of SMS
and has a reply scheduled for them: the export holds the notifications, the opt-out,
the scheduled reply, the bot's transcript and the knowledge gap; after the erasure none
of their personal values is in any text column of the database, while the rows reports
count (bot sessions, knowledge gaps, notifications) stay."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentProfile
from bot.models import BotSession
from conversations.models import Conversation, Message
from customers.models import Customer, Identity
from knowledge.models import KnowledgeGap
from knowledge.services import record_gap
from outreach.models import Notification, NotificationTemplate, ScheduledReply
from outreach.services.consent import opt_out
from outreach.services.notifications import create_notification
from outreach.services.scheduling import schedule_reply
from tests.bot.conftest import bot_endpoint, demo_kb  # noqa: F401  (fixtures)
from tests.conftest import api_client_for
from tests.factories import make_agent
from tests.privacy.test_export_then_erase import _scan_database

pytestmark = pytest.mark.django_db

NAME = "Fox Mulder"
EMAIL = "fox.mulder@example.org"
PHONE = "+14155550199"
EXTERNAL_ID = "shop-fox-42"
# Words found only in what the customer asked or what was written to or about them.
QUESTION = "zebulonquestion frobnicate the vvrrt grommet"
HANDOFF = "I want to talk to a person zebulonhandoff"
NOTICE = "zebulonnotice"
ORDER = "zebulonorder"
LATER = "zebulonlater"
PERSONAL_VALUES = [
    NAME,
    "Mulder",
    EMAIL,
    PHONE,
    PHONE.removeprefix("+1"),
    EXTERNAL_ID,
    "zebulonquestion",
    "zebulonhandoff",
    NOTICE,
    ORDER,
    LATER,
]


def _says(client, endpoint, capture, provider_id: str, text: str) -> None:
    with capture(execute=True):
        response = client.post(
            "/api/v1/inbound/",
            data=json.dumps(
                {
                    "endpoint": endpoint.key,
                    "id": provider_id,
                    "from": {
                        "name": NAME,
                        "external_id": EXTERNAL_ID,
                        "email": EMAIL,
                        "phone": PHONE,
                    },
                    "text": text,
                }
            ),
            content_type="application/json",
        )
    assert response.status_code == 202, response.content


def test_export_holds_outreach_bot_and_knowledge_rows_and_erasure_removes_them(
    admin_api,
    bot_endpoint,  # noqa: F811  (the fixture imported above)
    demo_kb,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    supervisor = make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR)
    api = api_client_for(supervisor)

    # The bot finds no good article (a knowledge gap), then hands off when asked.
    _says(admin_api, bot_endpoint, capture, "fox-1", QUESTION)
    _says(admin_api, bot_endpoint, capture, "fox-2", HANDOFF)
    customer = Customer.objects.get(identities__value=EMAIL)
    conversation = Conversation.objects.get(customer=customer)
    session = BotSession.objects.get(conversation_id=conversation.pk)
    assert session.state == BotSession.State.HANDED_OFF
    assert KnowledgeGap.objects.filter(conversation_id=conversation.pk, query=QUESTION).exists()
    assert Message.objects.filter(conversation=conversation, kind=Message.Kind.NOTE).exists()

    # Notifications: free text, and a template filled with the customer's variables.
    NotificationTemplate.objects.create(
        key="order_shipped", body="Hi {{ customer_name }}, order {{ order }} has shipped."
    )
    with capture(execute=True):
        create_notification(
            customer=customer, text=f"Hello {NAME}, {NOTICE}", created_by=supervisor
        )
        create_notification(
            customer=customer,
            template_key="order_shipped",
            variables={"order": ORDER},
            created_by=supervisor,
        )
    waiting = create_notification(
        customer=customer,
        text=f"{NAME}, your parcel arrives tomorrow. {NOTICE}",
        send_at=timezone.now() + timedelta(days=2),
    )
    phone = Identity.objects.get(customer=customer, kind="phone")
    opt_out(identity=phone, channel_kind="sms", source="agent")
    # A help center search that typed the customer's email: anonymous, but it names them.
    record_gap(query=f"order of {EMAIL}", locale="en", source="help", best_score=0.0)
    scheduled = schedule_reply(
        conversation=conversation,
        author=supervisor,
        text=f"Dear {NAME}, we will call you on {PHONE}. {LATER}",
        send_at=timezone.now() + timedelta(days=1),
    )
    assert _scan_database([ORDER, LATER, "zebulonquestion"]), "the control: the scan finds them"

    # --- Export ---------------------------------------------------------------------
    response = api.get(f"/api/v1/customers/{customer.pk}/export/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    exported = json.loads(archive.read("customer.json"))
    notifications = exported["notifications"]
    assert sum(NOTICE in n["text"] for n in notifications) == 2
    assert any(n["variables"] == {"order": ORDER} and ORDER in n["text"] for n in notifications)
    assert [(o["channel_kind"], o["identity"]) for o in exported["notification_opt_outs"]] == [
        ("sms", PHONE)
    ]
    assert [r["text"] for r in exported["scheduled_replies"]] == [
        f"Dear {NAME}, we will call you on {PHONE}. {LATER}"
    ]
    [exported_session] = exported["bot_sessions"]
    asked = [turn["customer"] for turn in exported_session["transcript"]]
    assert asked == [QUESTION, HANDOFF]
    assert exported_session["handoff_reason"] == "the customer asked for a person"
    assert [gap["query"] for gap in exported["knowledge_gaps"]] == [QUESTION]

    # --- Erase ----------------------------------------------------------------------
    counts_before = (
        BotSession.objects.count(),
        KnowledgeGap.objects.count(),
        Notification.objects.count(),
        ScheduledReply.objects.count(),
    )
    with capture(execute=True):
        response = api.post(f"/api/v1/customers/{customer.pk}/erase/")
    assert response.status_code == 200, response.content

    assert _scan_database(PERSONAL_VALUES) == []
    # The rows the bot's outcomes and the gap report count stay, without their words.
    assert (
        BotSession.objects.count(),
        KnowledgeGap.objects.count(),
        Notification.objects.count(),
        ScheduledReply.objects.count(),
    ) == counts_before
    # Nothing blank goes out later: what waited is cancelled.
    waiting.refresh_from_db()
    scheduled.refresh_from_db()
    assert waiting.status == Notification.Status.CANCELLED
    assert scheduled.status == ScheduledReply.Status.CANCELLED
    session.refresh_from_db()
    assert session.state == BotSession.State.HANDED_OFF
    assert len(session.transcript) == 2
    # Erased: the export of what is left holds nothing of theirs.
    again = api.get(f"/api/v1/customers/{customer.pk}/export/")
    assert again.status_code == 200
    text = b"".join(again.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(text))
    leftover = archive.read("customer.json").decode()
    for value in PERSONAL_VALUES:
        assert value not in leftover, value
