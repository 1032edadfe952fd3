"""The public help center: published articles by locale with canonical links, a sitemap,
search, helpful votes and the widget's search endpoint."""

from __future__ import annotations

import pytest

from knowledge.models import Article, ArticleView, KnowledgeGap

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_browses_categories_and_articles(client, demo_kb):
    index = client.get("/help/en/")
    assert index.status_code == 200
    assert "Returns and refunds" in index.text
    assert "/help/en/return-an-item/" in index.text
    article = client.get("/help/en/return-an-item/")
    assert article.status_code == 200
    assert '<link rel="canonical" href="http://' in article.text
    assert "30 days" in article.text
    assert Article.objects.get(slug="return-an-item").view_count == 1
    assert ArticleView.objects.filter(source="help").count() == 1
    assert client.get("/help/es/").status_code == 200
    assert client.get("/help/xx/").status_code == 404


def test_drafts_are_not_public(client, demo_kb):
    Article.objects.filter(slug="gift-returns").update(status="draft")
    assert client.get("/help/en/gift-returns/").status_code == 404
    assert "gift-returns" not in client.get("/help/sitemap.xml").text


def test_sitemap_lists_every_published_article(client, demo_kb):
    sitemap = client.get("/help/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml")
    assert sitemap.text.count("<loc>") == demo_kb


def test_helpful_votes_count_once_per_visitor(client, demo_kb):
    client.get("/help/en/tent-care/")
    client.post("/help/en/tent-care/helpful/", {"helpful": "yes"})
    client.post("/help/en/tent-care/helpful/", {"helpful": "yes"})
    article = Article.objects.get(slug="tent-care")
    assert (article.helpful_yes, article.helpful_no) == (1, 0)


def test_search_page_and_widget_search_find_paraphrases(client, demo_kb):
    page = client.get("/help/en/search/", {"q": "my tent smells musty after the last trip"})
    assert "Caring for your tent" in page.text
    found = client.get("/help/search.json", {"q": "forgot my login credentials", "locale": "en"})
    assert found["Access-Control-Allow-Origin"] == "*"
    assert found.json()["results"][0]["title"] == "Reset your password"


def test_questions_without_a_good_article_are_logged_as_gaps(client, demo_kb):
    client.get("/help/search.json", {"q": "qwzx vvrrt", "locale": "en"})
    gap = KnowledgeGap.objects.get()
    assert (gap.query, gap.source) == ("qwzx vvrrt", "widget")
