"""The live ASGI server fixture serves pages, static files and authenticated websockets."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login, new_page
from tests.factories import make_agent

pytestmark = pytest.mark.browser


def test_agent_signs_in_and_the_server_serves_static_files(live_server_asgi, browser):
    make_agent(username="smoke")
    page = new_page(browser)
    login(page, live_server_asgi, "smoke")
    assert page.url.startswith(f"{live_server_asgi.url}/inbox/")
    css = page.request.get(f"{live_server_asgi.url}/static/css/omnidesk.css")
    assert css.status == 200
    page.context.close()
