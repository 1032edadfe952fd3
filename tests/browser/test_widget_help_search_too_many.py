"""A widget visitor whose help searches the help center refuses as too many (429) reads
"Too many searches, try again in a moment", not "No article found"."""

from __future__ import annotations

import pytest

from tests.widget.browser_support import (
    allow_origin,
    make_widget_endpoint,
    open_pages,  # noqa: F401 (fixture)
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser


def test_a_refused_search_says_too_many_searches(
    live_server_asgi,
    open_pages,  # noqa: F811
    settings,
):
    settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW = 1
    settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS = 3600
    endpoint = make_widget_endpoint(pre_chat_form={"enabled": False})
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages(width=1280, height=800)
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        search = visitor.get_by_role("searchbox", name="Search help")
        results = visitor.locator(".help-results")
        # The first search is within the limit (or refused already, if this address
        # searched before in the window); the second is over it either way.
        search.fill("tent smells musty")
        search.press("Enter")
        results.locator("li").first.wait_for()
        search.fill("tent smells musty again")
        search.press("Enter")
        limited = results.get_by_text("Too many searches, try again in a moment.")
        limited.wait_for()
        assert results.locator("li").count() == 1
        assert "No article found" not in results.inner_text()
