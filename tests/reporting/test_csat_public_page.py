"""The public survey page at /csat/<token>/: no login, the token is the credential."""

from __future__ import annotations

import pytest

from channels_app.types import InboundMessage
from conversations.models import Conversation
from conversations.services import change_status, receive_message
from reporting.models import CsatResponse, CsatSurvey
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(django_capture_on_commit_callbacks) -> CsatSurvey:
    endpoint = EndpointFactory(kind="email")
    receive_message(
        endpoint=endpoint,
        inbound=InboundMessage(
            provider_id="e1", identities={"email": "d@x.com"}, text="hi", subject="Lost parcel"
        ),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        change_status(conversation=Conversation.objects.get(), status="resolved", actor=None)
    for callback in callbacks:
        callback()
    return CsatSurvey.objects.get()


def test_page_shows_the_form_without_login(client, survey):
    response = client.get(f"/csat/{survey.token}/")
    assert response.status_code == 200
    assert b"How did we do?" in response.content
    assert b"Lost parcel" in response.content


def test_posting_stores_the_answer_and_thanks(client, survey):
    response = client.post(f"/csat/{survey.token}/", {"score": "2", "comment": "Too slow"})
    assert response.status_code == 302
    answer = CsatResponse.objects.get()
    assert (answer.score, answer.comment, answer.channel) == (2, "Too slow", "email")

    page = client.get(f"/csat/{survey.token}/")
    assert b"Thank you" in page.content
    assert b"2 out of 5" in page.content


def test_a_second_post_does_not_change_the_answer(client, survey):
    client.post(f"/csat/{survey.token}/", {"score": "2"})
    client.post(f"/csat/{survey.token}/", {"score": "5"})
    assert CsatResponse.objects.get().score == 2


def test_bad_score_is_shown_inline(client, survey):
    response = client.post(f"/csat/{survey.token}/", {"score": "9"})
    assert response.status_code == 400
    assert not CsatResponse.objects.exists()


def test_unknown_token_is_404(client, survey):
    assert client.get("/csat/not-a-token/").status_code == 404
