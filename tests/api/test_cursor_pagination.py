"""Lists that move are paged by keyset cursors: a conversation or message arriving while
a client pages is neither skipped nor repeated, and `?limit=` has a ceiling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import api_client_for
from tests.inbox.conftest import Desk, build_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db) -> Desk:
    return build_desk()


def walk(api, url: str, *, between_pages=None) -> list[int]:
    """Every id of every page, following `next`; `between_pages` runs after the first."""
    seen: list[int] = []
    pages = 0
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
        if pages == 1 and between_pages is not None:
            between_pages()
    return seen


def test_conversations_arriving_while_paging_do_not_shift_the_pages(desk):
    start = timezone.now() - timedelta(hours=1)
    older = [
        desk.receive(
            desk.sms, f"sms-{n}", "Hi", at=start + timedelta(minutes=n), phone=f"+1415555{2600 + n}"
        ).conversation.pk
        for n in range(7)
    ]
    newest_first = older[::-1]
    api = api_client_for(desk.bob)

    def two_new_conversations_arrive():
        for n in range(2):
            desk.receive(desk.sms, f"late-{n}", "Me too", phone=f"+1415555{2700 + n}")

    seen = walk(api, "/api/v1/conversations/?limit=3", between_pages=two_new_conversations_arrive)
    assert seen == newest_first  # no repeats, none skipped, in order


def test_a_message_stamped_earlier_arriving_while_paging_repeats_nothing(desk):
    """A provider may deliver a message late, stamped with the time it was sent: it
    lands among the pages already read. An offset would then show a row twice."""
    start = timezone.now() - timedelta(hours=1)
    first = desk.receive(desk.sms, "m-0", "One", at=start, phone="+14155552600")
    conversation = first.conversation
    for n in range(1, 5):
        desk.receive(
            desk.sms,
            f"m-{n}",
            f"Message {n}",
            at=start + timedelta(minutes=n),
            phone="+14155552600",
        )
    ids = list(conversation.messages.order_by("created_at", "id").values_list("pk", flat=True))

    def a_late_message_arrives():
        desk.receive(
            desk.sms, "m-late", "Late", at=start + timedelta(seconds=30), phone="+14155552600"
        )

    url = f"/api/v1/conversations/{conversation.pk}/messages/?limit=2"
    seen = walk(api_client_for(desk.bob), url, between_pages=a_late_message_arrives)
    assert seen == ids
