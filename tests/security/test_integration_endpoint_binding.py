"""An integration token speaks only for the endpoints granted to it (issue 14, finding
L10): a token bound to one API endpoint gets 403 for another key, known or not, and
nothing is stored. Admins, who grant endpoints, may post to any."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from channels_app.models import ChannelEndpoint, EndpointGrant, InboundEvent
from tests.conftest import api_client_for
from tests.factories import EndpointFactory, UserFactory

pytestmark = pytest.mark.django_db


def post(client, key: str, provider_id: str):
    return client.post(
        "/api/v1/inbound/",
        {"endpoint": key, "id": provider_id, "from": {"email": "a@example.com"}, "text": "hi"},
        format="json",
    )


@pytest.fixture
def shops():
    return (
        EndpointFactory(kind=ChannelEndpoint.Kind.API, name="Shop A"),
        EndpointFactory(kind=ChannelEndpoint.Kind.API, name="Shop B"),
    )


def test_a_token_bound_to_one_endpoint_gets_403_for_another_key(shops):
    shop_a, shop_b = shops
    plugin = UserFactory(username="shop-a-plugin")
    plugin.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    EndpointGrant.objects.create(endpoint=shop_a, user=plugin)
    client = api_client_for(plugin)

    other = post(client, shop_b.key, "b1")
    unknown = post(client, "no-such-key", "u1")
    assert (other.status_code, unknown.status_code) == (403, 403)
    # An unknown key answers like a known one: the token learns no other endpoint.
    assert other.json() == unknown.json()
    assert InboundEvent.objects.count() == 0

    assert post(client, shop_a.key, "a1").status_code == 202
    assert list(InboundEvent.objects.values_list("endpoint_id", flat=True)) == [shop_a.pk]


def test_an_integration_without_a_grant_posts_nowhere(shops):
    plugin = UserFactory(username="ungranted-plugin")
    plugin.user_permissions.add(Permission.objects.get(codename="add_inboundevent"))
    client = api_client_for(plugin)
    assert [post(client, shop.key, "x").status_code for shop in shops] == [403, 403]
    assert InboundEvent.objects.count() == 0


def test_an_admin_may_post_to_any_api_endpoint(admin_api, shops):
    assert [post(admin_api, shop.key, "x").status_code for shop in shops] == [202, 202]


def test_grants_are_managed_on_the_api_endpoints_admin_page(client, django_user_model, shops):
    shop_a, _shop_b = shops
    root = django_user_model.objects.create_superuser("root", "root@desk.test", "pw")
    plugin = UserFactory(username="shop-a-plugin")
    client.force_login(root)
    url = f"/admin/channels_app/channelendpoint/{shop_a.pk}/change/"
    assert "integrations allowed to post here" in client.get(url).content.decode().lower()

    prefix = "grants"
    response = client.post(
        url,
        {
            "kind": shop_a.kind,
            "name": shop_a.name,
            "config": "{}",
            "is_active": "on",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-user": str(plugin.pk),
            f"{prefix}-0-trusted_for_identity": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = EndpointGrant.objects.get()
    assert (grant.endpoint, grant.user, grant.trusted_for_identity) == (shop_a, plugin, True)
