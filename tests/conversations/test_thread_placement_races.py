"""Two workers placing two messages of one thread at the same moment (a message and a
colleague's reply to it: two customers, so no customer lock orders them) still put them
in one conversation: the second waits for the first and sees it."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from conversations.models import Conversation, Message
from tests.conversations.mail import receive_email
from tests.factories import EndpointFactory, TeamFactory


def another_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid IN"
            " (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_reply_placed_while_its_original_is_being_placed_joins_it():
    mailbox = EndpointFactory(kind="email", name="Support mail")
    TeamFactory(name="Support", endpoints=[mailbox])
    placed: dict[str, Message] = {}
    failures: list[BaseException] = []

    def colleague_replies() -> None:
        try:
            placed["reply"] = receive_email(
                mailbox,
                sender="walter@acme-corp.example",
                message_id="<w@acme-corp.example>",
                subject="Re: Invoices",
                cc=["dana@acme-corp.example"],
                in_reply_to="<d@acme-corp.example>",
                references=["<d@acme-corp.example>"],
            )
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=colleague_replies)
    with transaction.atomic():
        placed["original"] = receive_email(
            mailbox,
            sender="dana@acme-corp.example",
            message_id="<d@acme-corp.example>",
            subject="Invoices",
        )
        worker.start()
        # Until the reply is placed (without us) or waits for us, whichever comes first.
        deadline = time.monotonic() + 30
        while worker.is_alive() and not another_session_waits_for_a_lock():
            if time.monotonic() > deadline:
                pytest.fail("the reply neither finished nor waited for the original's lock")
            time.sleep(0.01)
    worker.join(timeout=30)

    assert not failures, failures
    assert placed["reply"].conversation_id == placed["original"].conversation_id
    assert Conversation.objects.count() == 1
