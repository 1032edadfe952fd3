"""Anonymous help-center searches are limited per client address in a fixed window: over
the limit the help center answers 429 with Retry-After (an HTML page, or JSON for the
widget's endpoint) and runs no search at all."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import KnowledgeGap

pytestmark = pytest.mark.django_db

LIMITED = {"OMNIDESK_HELP_SEARCHES_PER_WINDOW": 2, "OMNIDESK_HELP_SEARCH_WINDOW_SECONDS": 3600}


def searched(queries: CaptureQueriesContext) -> bool:
    return any("knowledge_passage" in query["sql"] for query in queries.captured_queries)


def test_help_center_search_over_the_limit_gets_429_page_without_searching(
    client, demo_kb, settings
):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = LIMITED["OMNIDESK_HELP_SEARCHES_PER_WINDOW"]
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = LIMITED["OMNIDESK_HELP_SEARCH_WINDOW_SECONDS"]
    address = {"REMOTE_ADDR": "198.51.100.11"}
    for _ in range(2):
        page = client.get("/help/en/search/", {"q": "my tent smells musty"}, **address)
        assert page.status_code == 200
        assert "Caring for your tent" in page.text

    with CaptureQueriesContext(connection) as queries:
        refused = client.get("/help/en/search/", {"q": "zzqx nonsense words"}, **address)

    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/html")
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many searches" in refused.text
    assert not searched(queries)
    assert not KnowledgeGap.objects.exists()  # the refused question was never looked up


def test_widget_search_over_the_limit_gets_429_json(client, demo_kb, settings):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = LIMITED["OMNIDESK_HELP_SEARCHES_PER_WINDOW"]
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = LIMITED["OMNIDESK_HELP_SEARCH_WINDOW_SECONDS"]
    address = {"REMOTE_ADDR": "198.51.100.12"}
    question = {"q": "forgot my login credentials", "locale": "en"}
    for _ in range(2):
        assert client.get("/help/search.json", question, **address).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        refused = client.get("/help/search.json", question, **address)

    assert refused.status_code == 429
    assert refused.json()["error"]["fields"] == {"code": ["rate_limited"]}
    assert int(refused["Retry-After"]) > 0
    assert refused["Access-Control-Allow-Origin"] == "*"
    assert not searched(queries)


def test_the_limit_is_per_client_and_shared_by_both_search_doors(client, demo_kb, settings):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = LIMITED["OMNIDESK_HELP_SEARCHES_PER_WINDOW"]
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = LIMITED["OMNIDESK_HELP_SEARCH_WINDOW_SECONDS"]
    first = {"REMOTE_ADDR": "198.51.100.13"}
    assert client.get("/help/en/search/", {"q": "tent"}, **first).status_code == 200
    assert client.get("/help/search.json", {"q": "tent"}, **first).status_code == 200
    assert client.get("/help/search.json", {"q": "tent"}, **first).status_code == 429

    other = {"REMOTE_ADDR": "198.51.100.14"}
    assert client.get("/help/en/search/", {"q": "tent"}, **other).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_window(client, demo_kb, settings):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = 1
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = 3600
    settings.OMNIDESK_TRUSTED_PROXIES = ["10.9.0.0/16"]
    proxy = {"REMOTE_ADDR": "10.9.0.5"}
    one = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.21"}
    two = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.22"}
    assert client.get("/help/search.json", {"q": "tent"}, **one).status_code == 200
    assert client.get("/help/search.json", {"q": "tent"}, **one).status_code == 429
    assert client.get("/help/search.json", {"q": "tent"}, **two).status_code == 200


def test_an_empty_search_box_costs_nothing(client, demo_kb, settings):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = 1
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = 3600
    address = {"REMOTE_ADDR": "198.51.100.15"}
    for _ in range(3):
        assert client.get("/help/en/search/", **address).status_code == 200
    assert client.get("/help/en/search/", {"q": "tent"}, **address).status_code == 200
