"""The supervisors' small editor at /knowledge/: write, publish, see the history."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from knowledge.models import Article, Passage
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


def test_supervisor_writes_and_publishes_an_article_with_history(
    client, django_capture_on_commit_callbacks
):
    client.force_login(make_agent(role=AgentProfile.Role.SUPERVISOR, username="sam"))
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/knowledge/new/",
            {"title": "Gift wrapping", "body_markdown": "We **wrap** gifts.", "locale": "en"},
        )
    article = Article.objects.get(slug="gift-wrapping")
    assert created["Location"] == f"/knowledge/{article.pk}/"
    assert article.status == "draft" and not Passage.objects.filter(article=article).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/knowledge/{article.pk}/",
            {
                "title": "Gift wrapping",
                "body_markdown": "We **wrap** gifts for €3.",
                "locale": "en",
                "status": "published",
                "slug": "gift-wrapping",
            },
        )
    page = client.get(f"/knowledge/{article.pk}/")
    assert "<strong>wrap</strong>" in page.text
    assert "#2" in page.text and "sam" in page.text
    assert Passage.objects.filter(article=article).exists()
    assert client.get("/help/en/gift-wrapping/").status_code == 200
    assert "Gift wrapping" in client.get("/knowledge/").text


def test_a_blank_title_is_shown_inline(client):
    client.force_login(make_agent(role=AgentProfile.Role.SUPERVISOR, username="sam"))
    page = client.post("/knowledge/new/", {"title": " ", "locale": "en"})
    assert page.status_code == 200
    assert "A title is required." in page.text


def test_agents_may_not_edit(client):
    client.force_login(make_agent(username="ann"))
    assert client.get("/knowledge/").status_code == 403
    assert client.post("/knowledge/new/", {"title": "x"}).status_code == 403


def test_the_admin_saves_through_the_services(
    client, admin_user, django_capture_on_commit_callbacks
):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/knowledge/article/add/",
            {
                "title": "Store opening hours",
                "slug": "store-hours",
                "locale": "en",
                "status": "published",
                "body_markdown": "Open *daily* 9-18.",
                "revisions-TOTAL_FORMS": "0",
                "revisions-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content[:2000]
    article = Article.objects.get(slug="store-hours")
    assert "<em>daily</em>" in article.body_html
    assert article.revisions.get().author == admin_user
    assert Passage.objects.filter(article=article).exists()
