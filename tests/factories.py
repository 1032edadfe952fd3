"""factory_boy factories for every model the tests build."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import AgentProfile, Team
from channels_app.models import ChannelEndpoint
from conversations.display import render_message_body
from conversations.models import Conversation, Message
from customers.models import Customer, Identity


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@desk.test")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw")
        if create:
            self.save(update_fields=["password"])


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    role = AgentProfile.Role.AGENT


def make_agent(*, role: str = AgentProfile.Role.AGENT, teams: list[Team] = (), **user_fields):
    user = UserFactory(**user_fields)
    AgentProfileFactory(user=user, role=role)
    for team in teams:
        team.members.add(user)
    return user


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelEndpoint

    kind = ChannelEndpoint.Kind.API
    name = factory.Sequence(lambda n: f"Endpoint {n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def endpoints(self, create, extracted, **kwargs):
        if create and extracted:
            self.endpoints.add(*extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    customer = factory.SubFactory(CustomerFactory)
    kind = Identity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"person{n}@example.com")


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    endpoint = factory.SubFactory(EndpointFactory)
    last_channel = factory.LazyAttribute(lambda c: c.endpoint.kind)
    last_message_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    direction = Message.Direction.INBOUND
    kind = Message.Kind.CUSTOMER
    endpoint = factory.LazyAttribute(lambda m: m.conversation.endpoint)
    channel = factory.LazyAttribute(lambda m: m.endpoint.kind)
    text = factory.Faker("sentence")
    html = ""
    # As the services store it: rendered when the text is written.
    body_html = factory.LazyAttribute(lambda m: render_message_body(text=m.text, html=m.html))
    delivery_status = Message.DeliveryStatus.RECEIVED
