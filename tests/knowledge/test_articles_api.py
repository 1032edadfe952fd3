"""The articles REST API: agents read published articles and search, supervisors and
admins write (with revisions and re-indexing), anonymous callers get nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import AgentProfile
from knowledge.models import Article, ArticleRevision, Passage
from tests.conftest import api_client_for
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_api(db):
    return api_client_for(make_agent(role=AgentProfile.Role.SUPERVISOR, username="sam"))


@pytest.fixture
def agent_api(db):
    return api_client_for(make_agent(username="ann"))


def test_supervisor_creates_publishes_and_unpublishes_an_article(
    supervisor_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = supervisor_api.post(
            "/api/v1/articles/",
            {
                "title": "Pay by bank transfer",
                "body_markdown": "We accept **SEPA** transfers. <script>alert(1)</script>",
                "locale": "en",
                "status": "draft",
            },
            format="json",
        )
    assert created.status_code == 201, created.content
    article_id = created.json()["id"]
    assert created.json()["slug"] == "pay-by-bank-transfer"
    assert "<strong>SEPA</strong>" in created.json()["body_html"]
    assert "<script>" not in created.json()["body_html"]
    assert not Passage.objects.filter(article_id=article_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        published = supervisor_api.patch(
            f"/api/v1/articles/{article_id}/", {"status": "published"}, format="json"
        )
    assert published.status_code == 200
    assert published.json()["url"].endswith("/help/en/pay-by-bank-transfer/")
    assert Passage.objects.filter(article_id=article_id).exists()
    hits = supervisor_api.get("/api/v1/articles/search/", {"q": "can I pay with a wire transfer"})
    assert hits.json()[0]["slug"] == "pay-by-bank-transfer"

    with django_capture_on_commit_callbacks(execute=True):
        supervisor_api.patch(f"/api/v1/articles/{article_id}/", {"status": "draft"}, format="json")
    assert not Passage.objects.filter(article_id=article_id).exists()
    revisions = ArticleRevision.objects.filter(article_id=article_id).order_by("number")
    assert [r.status for r in revisions] == ["draft", "published", "draft"]
    assert all(r.author.username == "sam" for r in revisions)


def test_agents_read_published_articles_only_and_cannot_write(agent_api, demo_kb):
    draft = Article.objects.create(title="Internal draft", slug="internal-draft")
    listed = agent_api.get("/api/v1/articles/", {"limit": 100}).json()["results"]
    assert draft.pk not in [a["id"] for a in listed]
    assert len(listed) == demo_kb
    assert agent_api.get(f"/api/v1/articles/{draft.pk}/").status_code == 404
    assert agent_api.post("/api/v1/articles/", {"title": "x"}, format="json").status_code == 403
    article = Article.objects.filter(status="published").first()
    assert (
        agent_api.patch(f"/api/v1/articles/{article.pk}/", {"title": "y"}, format="json")
    ).status_code == 403
    assert agent_api.delete(f"/api/v1/articles/{article.pk}/").status_code == 403


def test_search_ranks_with_scores_and_rejects_bad_input(agent_api, demo_kb):
    response = agent_api.get(
        "/api/v1/articles/search/", {"q": "my card keeps getting rejected", "locale": "en"}
    )
    assert response.status_code == 200
    hits = response.json()
    assert hits[0]["slug"] == "payment-declined"
    assert hits[0]["url"].endswith("/help/en/payment-declined/")
    assert hits[0]["score"] >= hits[-1]["score"] or len(hits) == 1
    assert 0 <= hits[0]["score"] <= 1
    assert agent_api.get("/api/v1/articles/search/").json() == []
    assert agent_api.get("/api/v1/articles/search/", {"q": "x" * 501}).status_code == 400
    assert agent_api.get("/api/v1/articles/search/", {"q": "x", "locale": "xx"}).status_code == 400


def test_supervisor_deletes_an_article(supervisor_api, demo_kb):
    article = Article.objects.get(slug="gift-returns")
    assert supervisor_api.delete(f"/api/v1/articles/{article.pk}/").status_code == 204
    assert not Article.objects.filter(pk=article.pk).exists()


def test_duplicate_slug_in_a_locale_is_a_400(supervisor_api, demo_kb):
    response = supervisor_api.post(
        "/api/v1/articles/",
        {"title": "Again", "slug": "gift-returns", "locale": "en"},
        format="json",
    )
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/v1/articles/").status_code == 401
    assert APIClient().get("/api/v1/articles/search/", {"q": "refund"}).status_code == 401


def test_category_is_named_by_its_slug_in_the_articles_locale(supervisor_api, demo_kb):
    from knowledge.models import Category

    Category.objects.create(locale="es", slug="returns-refunds", name="Devoluciones")
    created = supervisor_api.post(
        "/api/v1/articles/",
        {"title": "Devolver un regalo", "locale": "es", "category": "returns-refunds"},
        format="json",
    )
    assert created.status_code == 201, created.content
    article = Article.objects.get(pk=created.json()["id"])
    assert (article.category.locale, article.category.name) == ("es", "Devoluciones")
    missing = supervisor_api.post(
        "/api/v1/articles/", {"title": "x", "category": "nope"}, format="json"
    )
    assert missing.status_code == 400
