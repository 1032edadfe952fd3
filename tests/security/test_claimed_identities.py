"""A web form hands nobody's thread to a stranger (issue 14, finding H1): identities a
form only claims never join another customer, never reach their replies, and never
change their attributes; a proven message takes a claimed value over."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.cache import cache

from channels_app.models import ChannelEndpoint
from conversations.models import Message
from conversations.services import receive_message, recipient_for
from customers.identities import Proof
from customers.models import Customer, Identity, MergeSuggestion
from tests.channels_app.test_web_forms import FORM, submit
from tests.conftest import inbound
from tests.factories import EndpointFactory

pytestmark = pytest.mark.django_db

VICTIM_EMAIL = "victim@example.com"
ATTACKER_PHONE = "+14155550123"


def test_a_form_with_a_customers_email_and_a_strangers_phone_links_nothing(
    client, form_endpoint, django_capture_on_commit_callbacks
):
    cache.clear()
    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    victim_message = receive_message(
        endpoint=mailbox, inbound=inbound("e1", "my card was charged twice", email=VICTIM_EMAIL)
    )
    victim = victim_message.conversation.customer
    victim.attributes = {"plan": "gold"}
    victim.save()

    posted = {
        **FORM,
        "your-email": VICTIM_EMAIL,
        "phone": ATTACKER_PHONE,
        "order": "evil",
        "question": "it's me, text me",
    }
    form_endpoint.config = {
        **form_endpoint.config,
        "fields": {**form_endpoint.config["fields"], "phone": "phone"},
    }
    form_endpoint.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, form_endpoint, data=posted).status_code == 200

    victim.refresh_from_db()
    assert list(victim.identities.values_list("kind", "value")) == [("email", VICTIM_EMAIL)]
    assert victim.attributes == {"plan": "gold"}
    form_message = Message.objects.get(channel="webform")
    claimant = form_message.conversation.customer
    assert claimant != victim
    assert claimant.attributes["unverified_email"] == VICTIM_EMAIL
    assert MergeSuggestion.objects.filter(customer__in=[victim, claimant]).exists()

    # The stranger's next SMS is theirs alone, and the victim's replies never go to it.
    sms = EndpointFactory(kind=ChannelEndpoint.Kind.SMS, name="Support SMS")
    texted = receive_message(endpoint=sms, inbound=inbound("s1", "so?", phone=ATTACKER_PHONE))
    assert texted.conversation.customer_id != victim.pk
    assert texted.conversation_id != victim_message.conversation_id
    with pytest.raises(Exception, match="no phone identity"):
        recipient_for(customer=victim, endpoint=sms)


def test_a_proven_message_takes_over_a_value_a_form_claimed_first():
    form = EndpointFactory(kind=ChannelEndpoint.Kind.WEBFORM, name="Contact form")
    claimed = inbound("f1", "hi", email=VICTIM_EMAIL, phone=ATTACKER_PHONE)
    first = receive_message(endpoint=form, inbound=replace(claimed, proof=Proof.CLAIMED))
    claimant = first.conversation.customer
    assert Identity.objects.get(value=VICTIM_EMAIL).claimed

    mailbox = EndpointFactory(kind=ChannelEndpoint.Kind.EMAIL, name="Support mail")
    proven = receive_message(endpoint=mailbox, inbound=inbound("e1", "hello", email=VICTIM_EMAIL))
    owner = proven.conversation.customer
    assert owner != claimant
    email = Identity.objects.get(value=VICTIM_EMAIL)
    assert (email.customer_id, email.claimed) == (owner.pk, False)
    # The phone the form gave stays with the form's record, not the proven customer.
    assert not owner.identities.filter(kind="phone").exists()
    assert Customer.objects.get(pk=claimant.pk).identities.filter(value=ATTACKER_PHONE).exists()
