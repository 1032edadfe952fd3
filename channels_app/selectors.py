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


# Further URLs a provider's console asks for, beyond the main one.
EXTRA_WEBHOOK_PATHS = {
    "sms": [
        ("Voice (A call comes in)", "/hooks/twilio/{key}/voice"),
        ("Voice status callback", "/hooks/twilio/{key}/call-status"),
        ("Messaging status callback", "/hooks/twilio/{key}/status"),
    ],
}


def webhook_url(endpoint: ChannelEndpoint, *, base: str) -> str:
    return base.rstrip("/") + WEBHOOK_PATHS[endpoint.kind].format(key=endpoint.key)


def webhook_urls(endpoint: ChannelEndpoint, *, base: str) -> list[tuple[str, str]]:
    """(label, URL) for every webhook the provider's console needs for this endpoint."""
    root = base.rstrip("/")
    return [("Webhook", webhook_url(endpoint, base=base))] + [
        (label, root + path.format(key=endpoint.key))
        for label, path in EXTRA_WEBHOOK_PATHS.get(endpoint.kind, [])
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
