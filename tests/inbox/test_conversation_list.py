"""The conversation list: views, status tabs, filters, full-text search, keyset pages,
and counts from a single COUNT(*) FILTER query."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.safestring import SafeString

from conversations import selectors
from conversations.models import Conversation
from conversations.presenters import InboxRow
from conversations.selectors import InboxFilters, inbox_counts, inbox_page
from conversations.services import assign_conversation, change_status, mark_read, set_tags
from tests.inbox.conftest import client_for, htmx

pytestmark = pytest.mark.django_db


def row_ids(html: bytes) -> list[int]:
    return [int(pk) for pk in re.findall(rb'id="row-(\d+)"', html)]


def test_views_split_mine_unassigned_and_my_teams(desk):
    mine = desk.receive(desk.whatsapp, "1", "mine", phone="+14155550001").conversation
    theirs = desk.receive(desk.whatsapp, "2", "carol's", phone="+14155550002").conversation
    waiting = desk.receive(desk.sms, "3", "nobody's", phone="+14155550003").conversation
    assign_conversation(conversation=mine, agent=desk.bob, actor=desk.bob)
    assign_conversation(conversation=theirs, agent=desk.carol, actor=desk.carol)

    def ids(view: str) -> set[int]:
        page = inbox_page(agent=desk.bob, filters=InboxFilters(view=view))
        return {row.id for row in page.rows}

    assert ids("mine") == {mine.pk}
    assert ids("unassigned") == {waiting.pk}
    assert ids("teams") == {mine.pk, theirs.pk, waiting.pk}


def test_status_tabs_channel_and_tag_filters(desk):
    open_sms = desk.receive(desk.sms, "1", "sms", phone="+14155550001").conversation
    resolved = desk.receive(desk.whatsapp, "2", "wa", phone="+14155550002").conversation
    tagged = desk.receive(desk.whatsapp, "3", "wa vip", phone="+14155550003").conversation
    change_status(conversation=resolved, status="resolved", actor=desk.bob)
    set_tags(conversation=tagged, names=["vip"], actor=desk.bob)
    bob = client_for(desk.bob)

    assert set(row_ids(htmx(bob, "get", "/inbox/list/?view=teams").content)) == {
        open_sms.pk,
        tagged.pk,
    }
    assert row_ids(htmx(bob, "get", "/inbox/list/?view=teams&status=resolved").content) == [
        resolved.pk
    ]
    assert row_ids(htmx(bob, "get", "/inbox/list/?view=teams&channel=sms").content) == [open_sms.pk]
    assert row_ids(htmx(bob, "get", "/inbox/list/?view=teams&tag=vip").content) == [tagged.pk]


def test_rows_show_customer_channels_preview_waiting_priority_assignee_and_unread(desk):
    first = desk.receive(desk.whatsapp, "1", "Parcel late", phone="+14155552671")
    desk.receive(desk.whatsapp, "1b", "Hello?", phone="+14155552671")
    desk.receive(desk.sms, "2", "Any news on my parcel?", phone="+14155552671")
    conversation = first.conversation
    Conversation.objects.filter(pk=conversation.pk).update(priority=3)
    assign_conversation(conversation=conversation, agent=desk.carol, actor=desk.carol)
    html = htmx(client_for(desk.bob), "get", "/inbox/list/?view=teams").content.decode()
    row = html[html.index(f'id="row-{conversation.pk}"') :]
    assert "Dana Scully" in row
    channels = re.findall(r'class="channel-icon ch-(\w+)"', row[: row.index("</li>")])
    assert channels == ["sms", "whatsapp"]  # each channel once
    assert "Any news on my parcel?" in row
    assert 'class="waiting"' in row
    assert "Urgent" in row
    assert "Carol" in row
    assert "unread-badge" in row

    mark_read(conversation=conversation, user=desk.bob)
    html = htmx(client_for(desk.bob), "get", "/inbox/list/?view=teams").content.decode()
    assert "unread-badge" not in html


def test_keyset_pages_cover_every_conversation_once_in_activity_order(desk):
    now = timezone.now()
    created = []
    for index in range(57):
        message = desk.receive(
            desk.whatsapp,
            f"m{index}",
            f"message {index}",
            # Several share one timestamp: the id breaks the tie.
            at=now - timedelta(minutes=index // 3),
            phone=f"+1415555{index:04d}",
        )
        created.append(message.conversation)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = inbox_page(
            agent=desk.bob, filters=InboxFilters(view="teams"), cursor=cursor, limit=10
        )
        seen += [row.id for row in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = [
        c.pk for c in sorted(created, key=lambda c: (c.last_message_at, c.pk), reverse=True)
    ]
    assert seen == expected
    assert pages == 6


def test_next_page_fragment_is_loaded_when_the_end_of_the_list_is_revealed(desk):
    for index in range(30):
        desk.receive(desk.whatsapp, f"m{index}", "hi", phone=f"+1415555{index:04d}")
    bob = client_for(desk.bob)
    first = htmx(bob, "get", "/inbox/list/?view=teams").content.decode()
    assert len(row_ids(first.encode())) == selectors.INBOX_PAGE_SIZE
    next_url = re.search(r'class="load-more" hx-get="([^"]+)"', first).group(1)
    assert 'hx-trigger="intersect once"' in first
    second = htmx(bob, "get", next_url.replace("&amp;", "&")).content
    assert len(row_ids(second)) == 30 - selectors.INBOX_PAGE_SIZE
    assert not set(row_ids(second)) & set(row_ids(first.encode()))


def test_page_costs_one_query_whatever_its_size(desk):
    for index in range(40):
        desk.receive(desk.whatsapp, f"m{index}", "hi", phone=f"+1415555{index:04d}")
    both = desk.receive(desk.sms, "sms", "hi", phone="+14155550000").conversation
    desk.receive(desk.whatsapp, "wa", "again", phone="+14155550000")
    desk.bob.agent_profile  # noqa: B018 (role read once per request, cached on the user)
    with CaptureQueriesContext(connection) as small:
        inbox_page(agent=desk.bob, filters=InboxFilters(view="teams"), limit=5)
    with CaptureQueriesContext(connection) as large:
        page = inbox_page(agent=desk.bob, filters=InboxFilters(view="teams"), limit=50)
    assert len(small) == len(large) == 1  # the rows carry their channels
    channels = {row.id: row.channels for row in page.rows}
    assert channels[both.pk] == ("sms", "whatsapp")
    assert set(channels.values()) == {("whatsapp",), ("sms", "whatsapp")}


def test_counts_are_summed_from_kept_buckets_never_counted_per_request(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mine = desk.receive(desk.whatsapp, "1", "a", phone="+14155550001").conversation
        desk.receive(desk.whatsapp, "2", "b", phone="+14155550002")
        desk.receive(desk.email, "3", "c", email="c@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assign_conversation(conversation=mine, agent=desk.bob, actor=desk.bob)
    desk.bob.agent_profile  # noqa: B018
    with CaptureQueriesContext(connection) as queries:
        counts = inbox_counts(agent=desk.bob)
    conversation_table = Conversation._meta.db_table
    counting = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not counting, "the counts must not count conversations per request"
    summed = [q["sql"] for q in queries if "SUM(" in q["sql"].upper()]
    assert len(summed) == 1 and conversation_table not in summed[0]
    assert counts == {
        "mine": 1,
        "unassigned": 1,
        "teams": 2,
        "unread_mine": 1,
        "unread_ids": [mine.pk],
    }

    desk.sam.agent_profile  # noqa: B018
    supervisor_counts = inbox_counts(agent=desk.sam)
    assert supervisor_counts["all"] == 3
    assert supervisor_counts["unassigned"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flamingo", "message"),  # a word in a message
        ("flam", "message"),  # the last word is a prefix: the agent may still be typing
        ("refund flamingo", "message"),
        ("Scully", "customer"),  # customer name
        ("dana.scully@exa", "customer"),  # identity value prefix
        ("+1415555267", "customer"),
    ],
)
def test_search_finds_messages_names_and_identities(desk, query, expected):
    target = desk.receive(
        desk.whatsapp, "1", "I want a refund for the flamingo lamp", phone="+14155552671"
    ).conversation
    desk.receive(desk.email, "2", "Another topic", email="dana.scully@example.com")
    desk.receive(desk.whatsapp, "3", "Unrelated", phone="+14155550003")
    page = inbox_page(agent=desk.sam, filters=InboxFilters(view="all", q=query))
    found = {row.id for row in page.rows}
    assert target.pk in found or expected == "customer"
    if expected == "customer":
        assert found and all(row.customer_name == "Dana Scully" for row in page.rows)
    else:
        assert found == {target.pk}


def test_search_is_answered_by_the_gin_indexes(desk):
    desk.receive(desk.whatsapp, "1", "flamingo lamp", phone="+14155552671")
    condition = selectors.search_condition("flamingo")
    query = Conversation.objects.filter(condition)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables favour sequential scans; forbid them to see which index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "message_search_idx" in plan
    assert "customer_name_search_idx" in plan
    assert "identity_value_prefix_idx" in plan


def test_search_box_drives_the_list_fragment(desk):
    desk.receive(desk.whatsapp, "1", "flamingo lamp", phone="+14155552671")
    desk.receive(desk.whatsapp, "2", "toaster", phone="+14155550002")
    response = htmx(client_for(desk.bob), "get", "/inbox/list/?view=teams&q=flamingo")
    assert b"flamingo lamp" in response.content
    assert b"toaster" not in response.content


def test_row_ids_are_printed_whole_even_with_thousand_separators(settings):
    settings.USE_THOUSAND_SEPARATOR = True
    row = InboxRow(
        id=1234567,
        url="/inbox/c/1234567/",
        customer_name="Dana Scully",
        subject="",
        preview="Hello",
        channels=("sms",),
        channel_icons=SafeString(""),
        waiting="",
        priority=2,
        priority_class="high",
        priority_label="High",
        assignee_name="",
        unread=False,
        last_message_at=timezone.now(),
        sort_key="00001764500000000.000001234567",
    )
    assert row["customer_name"] == row.customer_name  # the template's first lookup hits
    html = render_to_string(
        "conversations/_list.html",
        {"page": selectors.InboxPage(rows=[row], next_cursor=None), "open_id": 1234567},
    )
    assert 'id="row-1234567" data-conversation-id="1234567"' in html
    assert 'data-sort="00001764500000000.000001234567"' in html
    assert 'class="row active"' in html
