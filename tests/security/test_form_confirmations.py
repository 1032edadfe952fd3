"""A web form is not a mail relay (issue 14, finding M4): its confirmation never carries
what was typed, and an address gets at most one per window however often it is posted."""

from __future__ import annotations

from django.core.cache import cache

from tests.channels_app.test_web_forms import FORM, submit

PHISHING = "Your account is locked: log in at https://evil.test/acme to unlock it."


def test_a_confirmation_carries_nothing_that_was_typed(
    client,
    form_endpoint,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    cache.clear()
    posted = {**FORM, "your-name": "Acme Security Team", "question": PHISHING}
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, form_endpoint, data=posted).status_code == 200
    [mail] = smtp_server.received
    body = mail.message.get_content()
    assert "evil.test" not in body and "Acme Security Team" not in body


def test_an_address_gets_one_confirmation_per_window(
    client,
    form_endpoint,
    smtp_server,
    django_capture_on_commit_callbacks,
):
    cache.clear()
    for n in range(3):
        posted = {**FORM, "question": f"message {n}"}
        with django_capture_on_commit_callbacks(execute=True):
            assert submit(client, form_endpoint, data=posted).status_code == 200
    assert len(smtp_server.received) == 1
