"""What a visitor experiences beyond chatting: keyboard-only use, the mobile full-screen
window, translated strings, the rating after resolution, sending a file."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conversations.models import Attachment, Conversation, Message
from conversations.services import change_status
from reporting.models import CsatResponse
from tests.browser.conftest import screenshot
from tests.widget.browser_support import (
    agent_user,
    allow_origin,
    make_widget_endpoint,
    off_loop,
    open_pages,  # noqa: F401 (fixture)
    wait_until,
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def test_the_widget_is_usable_with_the_keyboard_alone(live_server_asgi, open_pages):  # noqa: F811
    endpoint = make_widget_endpoint()
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        launcher = visitor.get_by_role("button", name="Open chat")
        launcher.wait_for()
        visitor.keyboard.press("Tab")  # the host page's own button
        visitor.keyboard.press("Tab")
        expect(launcher).to_be_focused()
        visitor.keyboard.press("Enter")
        composer = visitor.get_by_role("textbox", name="Write a message…")
        expect(composer).to_be_focused()
        expect(visitor.get_by_role("dialog", name="Chat with us")).to_be_visible()
        visitor.keyboard.type("Typed without a mouse")
        visitor.keyboard.press("Enter")
        wait_until(lambda: Message.objects.filter(text="Typed without a mouse").exists())
        visitor.keyboard.press("Escape")
        expect(visitor.get_by_role("dialog", name="Chat with us")).to_be_hidden()
        expect(visitor.get_by_role("button", name="Open chat")).to_be_focused()


def test_on_a_phone_the_window_fills_the_screen_in_the_visitors_language(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    endpoint = make_widget_endpoint()
    site = HostSite(
        desk_url=live_server_asgi.url, endpoint_key=endpoint.key, settings={"locale": "de-DE"}
    )
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        phone = open_pages(width=390, height=844, is_mobile=True, has_touch=True)
        phone.goto(site.url)
        phone.get_by_role("button", name="Chat öffnen").click()
        dialog = phone.get_by_role("dialog", name="Schreiben Sie uns")
        expect(dialog).to_be_visible()
        box = dialog.bounding_box()
        assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
        expect(phone.get_by_role("textbox", name="Nachricht schreiben…")).to_be_visible()
        screenshot(phone, "widget-mobile-de")


def test_after_resolution_the_visitor_rates_the_conversation(live_server_asgi, open_pages):  # noqa: F811
    endpoint = make_widget_endpoint()
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        visitor.get_by_role("textbox", name="Write a message…").fill("Can I return shoes?")
        visitor.keyboard.press("Enter")
        conversation = wait_until(lambda: Conversation.objects.first())
        off_loop(
            change_status,
            conversation=conversation,
            status=Conversation.Status.RESOLVED,
            actor=agent_user(),
        )
        visitor.get_by_role("button", name="4 out of 5").click()
        visitor.get_by_role("textbox", name="Anything to add? (optional)").fill("Fast <3")
        visitor.get_by_role("button", name="Send rating").click()
        visitor.get_by_text("Thank you for your feedback!").wait_for()
        response = wait_until(lambda: CsatResponse.objects.first())
        assert (response.score, response.comment, response.channel) == (4, "Fast <3", "webchat")
        screenshot(visitor, "widget-csat")


def test_the_visitor_sends_a_file(live_server_asgi, open_pages, tmp_path):  # noqa: F811
    endpoint = make_widget_endpoint()
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    picture = tmp_path / "receipt.txt"  # a PNG, whatever its name says
    picture.write_bytes(PNG)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages()
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        visitor.get_by_role("textbox", name="Write a message…").fill("Here is the receipt")
        visitor.keyboard.press("Enter")
        wait_until(lambda: Message.objects.filter(text="Here is the receipt").exists())
        visitor.locator("input[type=file]").set_input_files(str(picture))
        attachment = wait_until(lambda: Attachment.objects.first())
        assert (attachment.filename, attachment.content_type) == ("receipt.png", "image/png")
        log = visitor.get_by_role("log")
        expect(log.locator(".msg.visitor").last).not_to_have_class("pending")
        assert log.get_by_text("receipt.txt").count() == 1
