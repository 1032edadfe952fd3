"""The perimeter (issue 14, findings L12 and L9): every HTML page carries a
Content-Security-Policy without inline scripts, and the API schema and docs are for
signed-in users only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_pages_outside_the_inbox_carry_a_csp(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy


def test_the_api_docs_page_has_a_csp_and_no_inline_script(admin_user, client):
    client.force_login(admin_user)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "script-src 'self';" in docs["Content-Security-Policy"]
    assert "<script>" not in docs.content.decode()


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_schema_and_docs_need_a_sign_in(client, path):
    assert client.get(path).status_code in (401, 403)
