"""Web forms: CORS allow-list, honeypot, rate limit, field mapping, confirmation email."""

from __future__ import annotations

import json

import pytest

from channels_app.models import InboundEvent
from conversations.models import Message
from customers.models import Customer
from tests.factories import EndpointFactory, TeamFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example"


@pytest.fixture
def form_endpoint(db, settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.DEFAULT_FROM_EMAIL = "Acme Support <support@desk.test>"
    endpoint = EndpointFactory(
        kind="webform",
        name="Contact form",
        config={
            "allowed_origins": [ORIGIN],
            "fields": {
                "your-email": "email",
                "your-name": "name",
                "topic": "subject",
                "question": "text",
                "order": "customer.order_number",
                "plan": "conversation.plan",
            },
            "rate_limit": {"count": 3, "per_seconds": 3600},
        },
    )
    TeamFactory(endpoints=[endpoint])
    return endpoint


FORM = {
    "your-email": "Dana@Example.com",
    "your-name": "Dana Scully",
    "topic": "Upgrade question",
    "question": "Can I switch to the yearly plan?",
    "order": "1042",
    "plan": "pro",
    "website": "",
}


def submit(client, endpoint, data=FORM, origin=ORIGIN, **extra):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(f"/hooks/forms/{endpoint.key}/", data=data, **headers, **extra)


def test_a_submission_lands_on_the_timeline_with_mapped_fields_and_a_confirmation_email(
    client, form_endpoint, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, form_endpoint)
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    message = Message.objects.get()
    assert message.channel == "webform"
    assert message.subject == "Upgrade question"
    assert message.text == "Can I switch to the yearly plan?"
    assert message.metadata["form"]["conversation_attributes"] == {"plan": "pro"}
    customer = Customer.objects.get()
    assert customer.identities.get().value == "dana@example.com"
    assert customer.attributes["order_number"] == "1042"

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["dana@example.com"]
    confirmation = mail.message
    assert confirmation["Auto-Submitted"] == "auto-replied"
    assert confirmation["Subject"] == f"We received your message [#{message.conversation_id}]"
    # Never an echo of what was typed (issue 14, M4: tests/security/test_form_confirmations.py).
    assert "Can I switch to the yearly plan?" not in confirmation.get_content()
    assert "We received your message" in confirmation.get_content()


def test_preflight_answers_allowed_origins_only(client, form_endpoint):
    allowed = client.options(f"/hooks/forms/{form_endpoint.key}/", HTTP_ORIGIN=ORIGIN)
    other = client.options(f"/hooks/forms/{form_endpoint.key}/", HTTP_ORIGIN="https://evil.test")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "Access-Control-Allow-Origin" not in other


def test_a_post_from_another_site_or_without_origin_is_403_and_nothing_stored(
    client, form_endpoint
):
    assert submit(client, form_endpoint, origin="https://evil.test").status_code == 403
    assert submit(client, form_endpoint, origin=None).status_code == 403
    assert InboundEvent.objects.count() == 0


def test_a_filled_honeypot_is_silently_dropped(client, form_endpoint, smtp_server):
    response = submit(client, form_endpoint, data={**FORM, "website": "http://spam.example"})
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert InboundEvent.objects.count() == 0
    assert smtp_server.received == []


def test_submissions_over_the_rate_limit_get_429(client, form_endpoint):
    codes = [
        submit(client, form_endpoint, data={**FORM, "question": f"Question {n}"}).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    assert InboundEvent.objects.count() == 3


def test_a_double_submit_is_one_message_and_one_confirmation(
    client, form_endpoint, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client, form_endpoint)
        submit(client, form_endpoint)
    assert Message.objects.count() == 1
    assert len(smtp_server.received) == 1


def test_json_submissions_work_and_a_form_without_contact_is_a_failed_event(
    client, form_endpoint, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ok = submit(client, form_endpoint, data=json.dumps(FORM), content_type="application/json")
    garbage = submit(client, form_endpoint, data={"question": "who am I?"})
    assert (ok.status_code, garbage.status_code) == (200, 200)
    assert Message.objects.count() == 1
    failed = InboundEvent.objects.get(status=InboundEvent.Status.FAILED)
    assert "email or phone" in failed.error


def test_a_classic_html_form_is_redirected_to_the_thank_you_page(client, form_endpoint):
    form_endpoint.config = {**form_endpoint.config, "redirect_url": f"{ORIGIN}/thanks"}
    form_endpoint.save()
    response = submit(client, form_endpoint)
    assert response.status_code == 303
    assert response["Location"] == f"{ORIGIN}/thanks"
