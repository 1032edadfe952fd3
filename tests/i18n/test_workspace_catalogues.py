"""The rest of the agent UI is translated too: the timeline and list partials, the
customer sidebar, the saved views and the reports pages ({% translate %} and
{% blocktranslate %} in the django catalogue), and the words of the markup rendered once
for every agent (a list row, a timeline item: marked data-i18n*, translated in the
browser) and of the inbox script in the djangojs catalogue, for every language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.safestring import SafeString

from conversations.display import priority_label
from conversations.models import Message
from conversations.presenters import InboxRow

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ["es", "de", "fr", "pt"]
SERVER_TEMPLATES = [
    "templates/conversations/_timeline.html",
    "templates/conversations/_timeline_items.html",
    "templates/conversations/_list.html",
    "templates/conversations/_sidebar.html",
    "templates/conversations/_bulk_choices.html",
    "templates/workspace/_tabs.html",
    "templates/workspace/_bar.html",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates/reporting").rglob("*.html")),
]
SHARED_FRAGMENTS = [
    "templates/conversations/_timeline_item.html",
]
SCRIPTS = [
    "static/js/inbox.js",
    "static/js/bulk.js",
    "static/js/notifications.js",
    "static/js/composer-attachments.js",
]
# The English words of each other template the reports' agents read: csat_survey.html is
# the customer's page (in the customer's language), not the agent UI.
CUSTOMER_PAGES = {"templates/reporting/csat_survey.html"}


def server_strings() -> set[str]:
    found: set[str] = set()
    for name in SERVER_TEMPLATES:
        if name in CUSTOMER_PAGES:
            continue
        text = (ROOT / name).read_text()
        found |= {m.group(2) for m in re.finditer(r"""{% translate (["'])(.*?)\1""", text)}
        found |= set(re.findall(r'_\("(.*?)"\)', text))
        for block in re.findall(
            r"{% blocktranslate(?: with [^%]*)? %}(.*?){% endblocktranslate %}", text
        ):
            found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", block))
    return found


def browser_strings() -> set[str]:
    found: set[str] = set()
    for name in SCRIPTS:
        found |= set(re.findall(r'\bt\("(.*?)"\)', (ROOT / name).read_text()))
    for text in [*((ROOT / name).read_text() for name in SHARED_FRAGMENTS), *row_markups()]:
        found |= set(re.findall(r'data-i18n(?:-\w+)?="([^"{]+)"', text))
    # Printed into data-i18n from Python: the delivery states and priorities.
    found |= {str(label) for _value, label in Message.DeliveryStatus.choices}
    found |= {priority_label(priority) for priority in range(4)}
    return found


def row_markups() -> list[str]:
    """A list row's markup (built in Python, `InboxRow.markup`) with every part shown,
    and with none: its English words are the ones marked for the browser."""
    full = InboxRow(
        id=7,
        url="/inbox/c/7/",
        customer_name="Dana Scully",
        subject="Refund",
        preview="Where is my refund?",
        channels=("sms",),
        channel_icons=SafeString(""),
        waiting="12m",
        priority=3,
        priority_class="urgent",
        priority_label="Urgent",
        assignee_name="",
        unread=True,
        last_message_at=datetime(2026, 11, 30, tzinfo=UTC),
        sort_key="1.7",
    )
    bare = replace(full, subject="", waiting="", priority=1, assignee_name="Bob", unread=False)
    return [full.markup(active=True), bare.markup()]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("domain", "strings"), [("django", server_strings), ("djangojs", browser_strings)]
)
def test_agent_ui_strings_have_a_translation(language, domain, strings):
    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))
    entries = {entry.msgid: entry for entry in catalogue}
    wanted = strings()
    assert len(wanted) > 20, "the extraction pattern is stale"
    missing = sorted(wanted - set(entries))
    assert not missing, f"{language}/{domain}.po lacks {missing}"
    for msgid in wanted:
        entry = entries[msgid]
        assert entry.translated(), (language, msgid)
        assert sorted(re.findall(r"%\(\w+\)s", entry.msgstr)) == sorted(
            re.findall(r"%\(\w+\)s", msgid)
        ), (language, msgid, entry.msgstr)


@pytest.mark.parametrize("name", [*SERVER_TEMPLATES[:7], *SHARED_FRAGMENTS])
def test_no_untranslated_words_left_between_tags(name):
    """Text between tags is a {% translate %}, a variable or marked data-i18n."""
    assert_no_loose_words((ROOT / name).read_text())


def test_a_list_rows_words_are_marked_for_the_browser():
    values = {"Dana Scully", "Refund", "Where is my refund?", "Bob"}  # data, not words
    for markup in row_markups():
        assert_no_loose_words(markup, values=values)


def assert_no_loose_words(source: str, *, values: frozenset[str] | set[str] = frozenset()):
    text = source
    text = re.sub(r"{#.*?#}", "", text)
    text = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", "", text, flags=re.S)
    text = re.sub(r"{%.*?%}|{{.*?}}", "", text)
    marked = set(re.findall(r'data-i18n="([^"]+)"', source)) | set(values)
    loose = [
        word.strip(" ·\n")  # "·" joins a subject and a preview
        for word in re.findall(r">([^<>]*[A-Za-z]{3,}[^<>]*)<", text)
        if word.strip(" ·\n") not in marked
    ]
    assert not loose, loose
