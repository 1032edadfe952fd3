"""A supervisor opens /reports/ in Chromium: the week's headline numbers and SVG charts,
a CSV download, and the Live now counts updating without a reload."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile
from channels_app.types import InboundMessage
from conversations.services import receive_message
from reporting.services import refresh_report_data
from tests.browser.conftest import login, new_page, off_loop, screenshot
from tests.factories import make_agent
from tests.reporting import dataset


@pytest.mark.browser
def test_supervisor_reads_the_dashboard_and_sees_live_counts_change(live_server_asgi, browser):
    week = off_loop(dataset.build)
    off_loop(refresh_report_data)
    make_agent(role=AgentProfile.Role.SUPERVISOR, username="sue")
    page = new_page(browser, width=1400, height=1000)
    try:
        login(page, live_server_asgi, "sue")

        page.goto(f"{live_server_asgi.url}/reports/?start=2026-03-02&end=2026-03-08")
        headline = page.locator('.headline[data-metric="conversations"]')
        assert headline.locator(".value").inner_text() == "6"
        assert headline.locator(".change").inner_text() == "+500%"
        assert page.locator("svg.chart").count() == 7
        assert page.locator("svg.chart.matrix title", has_text="email -> sms: 1").count() == 1
        screenshot(page, "reports-dashboard")

        with page.expect_download() as download:
            page.click('a[href^="/reports/csv/volume.csv"] >> nth=0')
        assert download.value.suggested_filename.startswith("omnidesk-volume-2026-03-02")

        support = page.locator(f'#live-now tr[data-team="{week.support.pk}"] [data-count="open"]')
        assert support.inner_text() == "1"  # C5
        off_loop(
            receive_message,
            endpoint=week.endpoints["email"],
            inbound=InboundMessage(
                provider_id="new-1", identities={"email": "new@x.com"}, text="hi"
            ),
        )
        page.wait_for_function(
            "id => document.querySelector(`#live-now tr[data-team='${id}'] [data-count=open]`)"
            ".textContent === '2'",
            arg=week.support.pk,
        )
    finally:
        # An open page keeps its websocket and download alive into the next test.
        page.context.close()
