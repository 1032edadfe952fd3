"""Deleting a saved view in Chromium: the tab's delete button asks first; cancelling keeps the view,
confirming removes the tab and the view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agents.models import Team
from tests.browser.conftest import login, new_page, off_loop
from tests.factories import make_agent
from workspace.models import SavedView

pytestmark = pytest.mark.browser


def build_desk() -> int:
    team = Team.objects.create(name="Support")
    ann = make_agent(username="ann", first_name="Ann", teams=[team])
    return SavedView.objects.create(owner=ann, name="Email", filters={"channel": "email"}).pk


def test_delete_a_saved_view_from_its_tab_after_confirming(live_server_asgi, browser):
    view_id = off_loop(build_desk)
    page = new_page(browser)
    try:
        login(page, live_server_asgi, "ann")
        page.goto(f"{live_server_asgi.url}/inbox/?view=teams")
        delete = page.locator(f'.delete-saved-view[data-saved-view="{view_id}"]')
        expect(delete).to_be_visible()

        page.once("dialog", lambda dialog: dialog.dismiss())
        delete.click()
        expect(page.locator(".saved-view-tab", has_text="Email")).to_be_visible()
        assert off_loop(SavedView.objects.filter(pk=view_id).exists)

        messages = []

        def accept(dialog):
            messages.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        delete.click()
        expect(page.locator(".saved-view-tab", has_text="Email")).to_have_count(0)
        assert messages and "Email" in messages[0]
        assert not off_loop(SavedView.objects.filter(pk=view_id).exists)
    finally:
        page.context.close()
