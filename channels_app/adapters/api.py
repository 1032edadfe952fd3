"""The generic API channel: integrations POST messages in, replies go to their callback URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from channels_app.adapters import register
from channels_app.adapters.base import Adapter
from channels_app.types import DeliveryError, OutboundMessage, SendResult


class ApiAdapter(Adapter):
    kind = "api"

    def send(self, message: OutboundMessage, endpoint) -> SendResult:
        """POST the reply as JSON to the endpoint's `callback_url`, if the integration set one.

        Without a callback the reply is kept for the integration to read through the API.
        """
        callback_url = endpoint.config.get("callback_url", "")
        if not callback_url:
            return SendResult(provider_message_id=message.idempotency_key)
        if not callback_url.startswith(("https://", "http://")):
            raise DeliveryError("callback_url must be an http(s) URL", permanent=True)
        body = json.dumps(
            {
                "id": message.idempotency_key,
                "to": message.to,
                "text": message.text,
                "subject": message.subject,
                "metadata": message.metadata,
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            callback_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"callback answered {exc.code}", permanent=400 <= exc.code < 500)
        except (urllib.error.URLError, TimeoutError) as exc:
            raise DeliveryError(f"callback unreachable: {exc}")
        if status >= 300:
            raise DeliveryError(f"callback answered {status}")
        return SendResult(provider_message_id=message.idempotency_key)


register(ApiAdapter())
