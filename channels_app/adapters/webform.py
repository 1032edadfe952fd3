"""Web forms: POST /hooks/forms/<key>/ from any site on the endpoint's allow-list.

Config: `allowed_origins` (list of "https://shop.example"), `fields` (form field ->
"email" | "name" | "phone" | "subject" | "text" | "customer.<attribute>" |
"conversation.<attribute>"), `honeypot_field` (default "website"), `rate_limit`
({"count": 10, "per_seconds": 3600} per client address), `redirect_url`, `confirmation`.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone

from channels_app.adapters import register
from channels_app.adapters.base import Adapter, UnparseablePayload
from channels_app.types import InboundMessage
from customers.identities import Proof
from omnidesk.client_address import request_client_address

if TYPE_CHECKING:
    from channels_app.models import ChannelEndpoint

DEFAULT_FIELDS = {
    "email": "email",
    "name": "name",
    "phone": "phone",
    "subject": "subject",
    "message": "text",
}
DEFAULT_RATE_LIMIT = {"count": 10, "per_seconds": 3600}
MAX_FIELD_LENGTH = 20_000


def _origin_allowed(request: HttpRequest, endpoint: ChannelEndpoint) -> str | None:
    origin = request.headers.get("Origin", "")
    allowed = endpoint.config.get("allowed_origins") or []
    if origin and (origin in allowed or "*" in allowed):
        return origin
    return None


def _fields(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/json":
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise UnparseablePayload("a form body must be a JSON object")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}
    return {key: request.POST.get(key, "") for key in request.POST}


class WebFormAdapter(Adapter):
    kind = "webform"
    provider = "forms"

    def verify(self, request: HttpRequest, endpoint: ChannelEndpoint) -> bool:
        """Only pages on the allow-list may post (the browser sends Origin on a POST)."""
        return _origin_allowed(request, endpoint) is not None

    def cors_headers(self, request: HttpRequest, endpoint: ChannelEndpoint) -> dict[str, str]:
        origin = _origin_allowed(request, endpoint)
        if origin is None:
            return {"Vary": "Origin"}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "86400",
            "Vary": "Origin",
        }

    def throttle(self, request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse | None:
        limit = {**DEFAULT_RATE_LIMIT, **(endpoint.config.get("rate_limit") or {})}
        client = request_client_address(request) or "unknown"
        window = int(timezone.now().timestamp() // int(limit["per_seconds"]))
        key = f"channels:form-rate:{endpoint.key}:{client}:{window}"
        cache.add(key, 0, int(limit["per_seconds"]))
        if cache.incr(key) > int(limit["count"]):
            return JsonResponse(
                {"error": {"message": "Too many submissions, please try again later."}},
                status=429,
            )
        return None

    def parse(self, request: HttpRequest, endpoint: ChannelEndpoint) -> list[InboundMessage]:
        fields = _fields(request)
        honeypot = endpoint.config.get("honeypot_field", "website")
        if fields.get(honeypot):
            # A bot filled the hidden field: answer as if accepted, keep nothing.
            return []
        mapping = endpoint.config.get("fields") or DEFAULT_FIELDS
        values: dict[str, str] = {}
        customer: dict[str, str] = {}
        conversation: dict[str, str] = {}
        extra: dict[str, str] = {}
        for name, value in fields.items():
            if name == honeypot:
                continue
            value = value.strip()[:MAX_FIELD_LENGTH]
            target = mapping.get(name)
            if target is None:
                extra[name] = value
            elif target.startswith("customer."):
                customer[target.removeprefix("customer.")] = value
            elif target.startswith("conversation."):
                conversation[target.removeprefix("conversation.")] = value
            else:
                values[target] = value
        identities = {kind: values[kind] for kind in ("email", "phone") if values.get(kind)}
        if not identities:
            raise UnparseablePayload("the form has no email or phone field filled in")
        text = values.get("text", "")
        if not text and not extra:
            raise UnparseablePayload("the form has no message")
        # A double submit (or a retried POST) of the same form on the same day is one
        # message; the same words on another day are a new one.
        digest = hashlib.sha256(
            json.dumps([timezone.now().date().isoformat(), sorted(fields.items())]).encode()
        ).hexdigest()
        return [
            InboundMessage(
                provider_id=f"form:{digest}",
                identities=identities,
                text=text or "\n".join(f"{k}: {v}" for k, v in extra.items()),
                sender_name=values.get("name", ""),
                subject=values.get("subject", "") or endpoint.config.get("default_subject", ""),
                kind="form",
                attributes=customer,
                # The Origin header is all a form proves, and any script sets it.
                proof=Proof.CLAIMED,
                metadata={
                    "form": {
                        "fields": extra,
                        "conversation_attributes": conversation,
                        "page": request.headers.get("Referer", "")[:500],
                    }
                },
            )
        ]

    def respond(
        self, request: HttpRequest, endpoint: ChannelEndpoint, messages: list[InboundMessage]
    ) -> HttpResponse:
        redirect_url = endpoint.config.get("redirect_url", "")
        if redirect_url and request.content_type != "application/json":
            return HttpResponseRedirect(redirect_url, status=303)
        return JsonResponse({"ok": True})


register(WebFormAdapter())
