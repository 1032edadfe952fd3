"""The figures editors read cannot be inflated by one visitor: an article's views count
once a day per visitor (a keyed hash of address and browser, nothing personal stored),
and an unanswered question makes one knowledge gap a day per client."""

from __future__ import annotations

import pytest

from knowledge.models import Article, ArticleView, KnowledgeGap
from knowledge.text import normalise_question

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1"


def test_repeated_views_by_one_visitor_count_once(client, demo_kb):
    visitor = {"REMOTE_ADDR": "198.51.100.31", "HTTP_USER_AGENT": FIREFOX}
    for _ in range(4):
        assert client.get("/help/en/tent-care/", **visitor).status_code == 200

    assert Article.objects.get(slug="tent-care").view_count == 1
    assert ArticleView.objects.filter(article__slug="tent-care").count() == 1


def test_two_visitors_count_twice(client, demo_kb):
    client.get("/help/en/tent-care/", REMOTE_ADDR="198.51.100.32", HTTP_USER_AGENT=FIREFOX)
    client.get("/help/en/tent-care/", REMOTE_ADDR="198.51.100.33", HTTP_USER_AGENT=FIREFOX)
    # Same address, another browser (two people behind one NAT): another visitor.
    client.get("/help/en/tent-care/", REMOTE_ADDR="198.51.100.33", HTTP_USER_AGENT=SAFARI)
    client.get("/help/en/tent-care/", REMOTE_ADDR="198.51.100.32", HTTP_USER_AGENT=FIREFOX)

    assert Article.objects.get(slug="tent-care").view_count == 3


def test_one_visitor_viewing_two_articles_counts_each(client, demo_kb):
    visitor = {"REMOTE_ADDR": "198.51.100.34", "HTTP_USER_AGENT": FIREFOX}
    client.get("/help/en/tent-care/", **visitor)
    client.get("/help/en/return-an-item/", **visitor)
    client.get("/help/en/tent-care/", **visitor)

    counts = dict(
        Article.objects.filter(slug__in=["tent-care", "return-an-item"]).values_list(
            "slug", "view_count"
        )
    )
    assert counts == {"tent-care": 1, "return-an-item": 1}


def test_repeated_unanswered_questions_make_one_gap_per_client(client, demo_kb):
    one = {"REMOTE_ADDR": "198.51.100.35"}
    two = {"REMOTE_ADDR": "198.51.100.36"}
    for typed in ("Qwzx vvrrt?", "qwzx  VVRRT", "qwzx vvrrt!!"):
        client.get("/help/search.json", {"q": typed, "locale": "en"}, **one)
        client.get("/help/en/search/", {"q": typed}, **one)
    client.get("/help/search.json", {"q": "qwzx vvrrt", "locale": "en"}, **two)
    client.get("/help/search.json", {"q": "plomb zzkt", "locale": "en"}, **one)

    gaps = sorted(
        normalise_question(q) for q in KnowledgeGap.objects.values_list("query", flat=True)
    )
    assert gaps == ["plomb zzkt", "qwzx vvrrt", "qwzx vvrrt"]


def test_nothing_personal_is_kept_for_counting(client, demo_kb):
    from django.core.cache import cache

    client.get("/help/en/tent-care/", REMOTE_ADDR="198.51.100.37", HTTP_USER_AGENT=FIREFOX)
    client.get("/help/search.json", {"q": "qwzx pplk", "locale": "en"}, REMOTE_ADDR="198.51.100.37")

    keys = [key.decode() for key in cache._cache.get_client().keys("*knowledge:once:*")]
    assert keys
    assert not any("198.51.100.37" in key or "qwzx" in key for key in keys)
