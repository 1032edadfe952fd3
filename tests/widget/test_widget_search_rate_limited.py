"""A help search the help center refuses as too many (429) tells the visitor so, in
their language ("Too many searches, try again in a moment"), instead of claiming that
no article matched."""

from __future__ import annotations

import re

import pytest

from intake.widget.strings import STRINGS, strings_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("locale", sorted(STRINGS))
def test_every_widget_locale_words_the_refused_search(locale):
    text = STRINGS[locale]["search_rate_limited"]
    assert text and text != "search_rate_limited"
    if locale != "en":
        assert text != STRINGS["en"]["search_rate_limited"], "left in English"
    assert strings_for(locale)["search_rate_limited"] == text


def test_the_script_shows_the_message_on_a_429_not_no_article_found(client, widget_endpoint):
    source = client.get(f"/widget/{widget_endpoint.key}.js").content.decode()
    search = source[source.index("/help/search.json") :]
    search = search[: search.index("return form;")]
    assert re.search(r"response\.status\s*===\s*429", search)
    assert 't("search_rate_limited")' in search
    limited = search.index("response.status === 429")
    assert limited < search.index("response.json()"), "checked before the body is read"
