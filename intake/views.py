"""One webhook view for every provider (DESIGN.md, "The inbound path").

The URL names the provider and the endpoint key; the endpoint's kind picks the adapter.
The view verifies, parses, stores and answers: no provider API call, no domain work.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from channels_app.adapters import get_adapter, kinds_for_provider
from channels_app.models import ChannelEndpoint
from intake.services import webhooks
from omnidesk.errors import ApplicationError, error_body
from omnidesk.request_limits import refuse_large_body

logger = logging.getLogger(__name__)

# An authentic request the adapter cannot read: the provider gets 200 so it stops
# retrying, and the payload is kept as a failed event for an admin.
_PARSE_ERRORS = (ValueError, KeyError, TypeError, AttributeError, IndexError, LookupError)


@csrf_exempt
def webhook(request: HttpRequest, provider: str, key: str, route: str = "") -> HttpResponse:
    endpoint = ChannelEndpoint.objects.filter(
        key=key, is_active=True, kind__in=kinds_for_provider(provider)
    ).first()
    if endpoint is None:
        return HttpResponse("Unknown endpoint.", status=404, content_type="text/plain")
    adapter = get_adapter(endpoint.kind)
    if adapter is None:
        return HttpResponse("No adapter.", status=404, content_type="text/plain")
    cors = adapter.cors_headers(request, endpoint)
    if request.method == "OPTIONS":
        return _with_headers(HttpResponse(status=204), cors)
    if request.method in ("GET", "HEAD"):
        return adapter.handshake(request, endpoint)
    if request.method != "POST":
        return HttpResponse(status=405)
    try:
        refuse_large_body(request)
    except ApplicationError as exc:
        too_large = JsonResponse(error_body(exc.message, exc.fields), status=exc.status_code)
        return _with_headers(too_large, cors)
    # Read the raw body first: signatures cover it, and it is stored for re-processing;
    # parsing a multipart form afterwards works from this copy.
    request.body  # noqa: B018
    if not adapter.verify(request, endpoint):
        logger.warning(
            "webhook refused: bad or missing signature",
            extra={"endpoint": endpoint.key, "provider": provider, "path": request.path},
        )
        return _with_headers(HttpResponse("Forbidden.", status=403), cors)
    refused = adapter.throttle(request, endpoint)
    if refused is not None:
        return _with_headers(refused, cors)
    envelope = webhooks.request_envelope(request)
    try:
        messages = adapter.parse(request, endpoint)
        statuses = adapter.status(request, endpoint)
    except _PARSE_ERRORS as exc:
        webhooks.record_unparseable_webhook(endpoint=endpoint, envelope=envelope, error=exc)
        return _with_headers(adapter.respond(request, endpoint, []), cors)
    webhooks.accept_webhook(
        endpoint=endpoint, messages=messages, statuses=statuses, envelope=envelope
    )
    return _with_headers(adapter.respond(request, endpoint, messages), cors)


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response
