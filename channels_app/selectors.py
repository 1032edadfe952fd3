from __future__ import annotations

from channels_app.models import ChannelEndpoint
from omnidesk.errors import ApplicationError

WEBHOOK_PATHS = {
    "api": "/api/v1/inbound/",
    "email": "/hooks/email/{key}/",
    "sms": "/hooks/twilio/{key}/sms",
    "whatsapp": "/hooks/meta/{key}/",
    "messenger": "/hooks/meta/{key}/",
    "instagram": "/hooks/meta/{key}/",
    "telegram": "/hooks/telegram/{key}/",
    "webchat": "/widget/{key}.js",
    "webform": "/hooks/forms/{key}/",
}


def webhook_url(endpoint: ChannelEndpoint, *, base: str) -> str:
    return base.rstrip("/") + WEBHOOK_PATHS[endpoint.kind].format(key=endpoint.key)


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
