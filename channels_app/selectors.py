from __future__ import annotations

from channels_app.kinds import channel_kind
from channels_app.models import ChannelEndpoint, EndpointGrant
from omnidesk.errors import ApplicationError


def webhook_url(endpoint: ChannelEndpoint, *, base: str) -> str:
    return base.rstrip("/") + channel_kind(endpoint.kind).webhook_path.format(key=endpoint.key)


def webhook_urls(endpoint: ChannelEndpoint, *, base: str) -> list[tuple[str, str]]:
    """(label, URL) for every webhook the provider's console needs for this endpoint."""
    root = base.rstrip("/")
    return [("Webhook", webhook_url(endpoint, base=base))] + [
        (label, root + path.format(key=endpoint.key))
        for label, path in channel_kind(endpoint.kind).extra_webhook_paths
    ]


def active_endpoint(
    *, key: str, kind: str | None = None, field: str = "endpoint"
) -> ChannelEndpoint:
    """The active endpoint with this key (and kind), or an error naming the field."""
    endpoints = ChannelEndpoint.objects.filter(key=key, is_active=True)
    if kind is not None:
        endpoints = endpoints.filter(kind=kind)
    endpoint = endpoints.first()
    if endpoint is None:
        raise ApplicationError(
            "Unknown endpoint.",
            fields={field: [f"No active {kind or ''} endpoint has the key '{key}'."]},
            status_code=404,
        )
    return endpoint


def endpoint_grant(*, user_id: int, key: str, kind: str) -> EndpointGrant | None:
    """The grant letting user `user_id` post to the active endpoint with this key and
    kind, with its endpoint, or None."""
    return (
        EndpointGrant.objects.select_related("endpoint")
        .filter(user_id=user_id, endpoint__key=key, endpoint__kind=kind, endpoint__is_active=True)
        .first()
    )
