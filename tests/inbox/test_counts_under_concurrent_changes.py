"""Kept tab counts stay exact when many writers change the same conversations at once:
each announcement moves its conversations and their counts in one statement, locking
rows and buckets in one order, so concurrent announcers neither lose a move nor
deadlock."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

from conversations import services
from conversations.models import Conversation
from conversations.services import live
from tests.inbox.conftest import build_desk

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
CHANGES_PER_WRITER = 15


def test_counts_stay_exact_under_concurrent_writers():
    desk = build_desk()
    conversations = [
        desk.receive(desk.whatsapp, f"wa-{n}", f"Hello {n}", phone=f"+1415555{n:04d}").conversation
        for n in range(6)
    ]
    failures: list[BaseException] = []

    def writer(seed: int) -> None:
        chooser = random.Random(seed)
        try:
            for _ in range(CHANGES_PER_WRITER):
                conversation = Conversation.objects.get(pk=chooser.choice(conversations).pk)
                if chooser.random() < 0.5:
                    status = chooser.choice(["open", "pending", "resolved"])
                    if status != conversation.status:
                        services.change_status(
                            conversation=conversation, status=status, actor=desk.bob
                        )
                else:
                    services.assign_conversation(
                        conversation=conversation,
                        agent=chooser.choice([desk.bob, None]),
                        actor=desk.bob,
                    )
        except BaseException as exc:  # reported by the test thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, failures
    # The reconciliation recounts from the conversations themselves: nothing to repair.
    assert live.reconcile() == live.Reconciliation(announced=0, drifted_buckets=0, drift=0)
