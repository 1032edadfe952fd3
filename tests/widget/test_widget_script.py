"""The embeddable script: served per endpoint, small, CSP-friendly."""

from __future__ import annotations

import gzip

import pytest

pytestmark = pytest.mark.django_db


def test_the_script_is_served_for_an_active_widget_and_stays_under_30_kb_gzipped(
    client, widget_endpoint
):
    response = client.get(f"/widget/{widget_endpoint.key}.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    source = response.content
    assert len(gzip.compress(source, compresslevel=9)) < 30 * 1024


def test_the_script_never_evaluates_code_or_parses_html(client, widget_endpoint):
    source = client.get(f"/widget/{widget_endpoint.key}.js").content.decode()
    for forbidden in (
        "eval(",
        "new Function",
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        'setAttribute("style"',
        'setTimeout("',
        "window.Omnidesk =",
    ):
        assert forbidden not in source, forbidden


def test_an_unknown_widget_key_is_not_found(client, widget_endpoint):
    assert client.get("/widget/no-such-key.js").status_code == 404
    widget_endpoint.is_active = False
    widget_endpoint.save()
    assert client.get(f"/widget/{widget_endpoint.key}.js").status_code == 404
