"""A widget visitor searches help, then asks the bot a paraphrased question, gets the
right article, asks for a person, and the agent sees the conversation with the bot's
summary note."""

from __future__ import annotations

import pytest

from bot.models import BotSession
from conversations.models import Message
from knowledge.services import load_demo_articles
from tests.browser.conftest import login, screenshot
from tests.widget.browser_support import (
    allow_origin,
    csp_violations,
    make_widget_endpoint,
    open_pages,  # noqa: F401 (fixture)
    wait_until,
)
from tests.widget.host_page import HostSite, serve_host_site

pytestmark = pytest.mark.browser


def test_widget_visitor_gets_an_article_then_a_person_with_the_summary(
    live_server_asgi,
    open_pages,  # noqa: F811
):
    load_demo_articles()
    endpoint = make_widget_endpoint(pre_chat_form={"enabled": False}, bot={"enabled": True})
    site = HostSite(desk_url=live_server_asgi.url, endpoint_key=endpoint.key)
    with serve_host_site(site):
        allow_origin(endpoint, site.origin)
        visitor = open_pages(width=1280, height=800)
        violations = csp_violations(visitor)
        visitor.goto(site.url)
        visitor.get_by_role("button", name="Open chat").click()
        # Before chatting: "Search help" finds the article for a paraphrase.
        search = visitor.get_by_role("searchbox", name="Search help")
        search.fill("the link to set a new password never came")
        search.press("Enter")
        visitor.get_by_role("link", name="Reset your password").wait_for()
        composer = visitor.get_by_role("textbox", name="Write a message…")
        composer.fill("I can't log in, forgot my credentials")
        visitor.keyboard.press("Enter")
        log = visitor.get_by_role("log")
        search.wait_for(state="hidden")
        log.get_by_text("Reset your password", exact=False).wait_for()
        log.get_by_text("Did that solve it?", exact=False).wait_for()

        composer.fill("No, I need to talk to a human please")
        visitor.keyboard.press("Enter")
        log.get_by_text("passing you to a person", exact=False).wait_for()
        session = wait_until(
            lambda: BotSession.objects.filter(state=BotSession.State.HANDED_OFF).first()
        )
        assert wait_until(
            lambda: Message.objects.filter(
                conversation_id=session.conversation_id, kind=Message.Kind.NOTE
            ).exists()
        )
        screenshot(visitor, "widget-bot-answer")

        agent = open_pages()
        login(agent, live_server_asgi, "carol")
        agent.goto(f"{live_server_asgi.url}/inbox/c/{session.conversation_id}/")
        agent.get_by_text("Bot handoff: the customer asked for a person", exact=False).wait_for()
        agent.get_by_text("Reset your password (", exact=False).first.wait_for()
        agent.get_by_text("I can't log in, forgot my credentials", exact=False).first.wait_for()
        # Agent assist: the sidebar suggests the article; one click puts it in the reply.
        suggestions = agent.get_by_role("region", name="Suggested articles")
        suggestions.get_by_role("link", name="Reset your password").wait_for()
        suggestions.get_by_role("listitem").filter(has_text="Reset your password").get_by_role(
            "button", name="Insert link"
        ).click()
        composer_text = agent.locator("#composer-text")
        assert "/help/en/reset-password/" in composer_text.input_value()
        screenshot(agent, "agent-sees-bot-handoff")
        assert violations == []
