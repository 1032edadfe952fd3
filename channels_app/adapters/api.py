"""The generic API channel: integrations POST messages in, replies go to their callback URL."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from channels_app.adapters import register
from channels_app.adapters.base import Adapter
from channels_app.outbound_targets import (
    RefusedTarget,
    callback_secret_problem,
    callback_signature_headers,
    check_url,
    checked_opener,
)
from channels_app.types import DeliveryError, OutboundMessage, SendResult


class ApiAdapter(Adapter):
    kind = "api"

    def send(self, message: OutboundMessage, endpoint) -> SendResult:
        """POST the reply as JSON to the endpoint's `callback_url`, if the integration set one.

        Without a callback the reply is kept for the integration to read through the API.
        Signed with the endpoint's `callback_secret` as Standard Webhooks sign, and sent
        only to a public address unless its network is allowed
        (channels_app/outbound_targets.py).
        """
        callback_url = endpoint.config.get("callback_url", "")
        if not callback_url:
            return SendResult(provider_message_id=message.idempotency_key)
        secret = endpoint.credentials.get("callback_secret")
        problem = callback_secret_problem(secret)
        if problem:
            raise DeliveryError(f"Callbacks are signed: {problem}", permanent=True)
        try:
            check_url(callback_url)
        except RefusedTarget as exc:
            raise DeliveryError(f"callback_url refused: {exc}", permanent=True)
        body = json.dumps(
            {
                "id": message.idempotency_key,
                "to": message.to,
                "text": message.text,
                "subject": message.subject,
                "metadata": message.metadata,
                # Each file by a signed link that expires (the integration fetches it).
                "attachments": [
                    {
                        "filename": item.get("filename", ""),
                        "content_type": item.get("content_type", ""),
                        "size": item.get("size", 0),
                        "url": item.get("public_url") or item.get("url", ""),
                    }
                    for item in message.attachments
                ],
            }
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            callback_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": message.idempotency_key,
                # The same id on every retry, so the receiver can drop repeats.
                **callback_signature_headers(
                    secret=secret,
                    webhook_id=message.idempotency_key,
                    timestamp=int(time.time()),
                    body=body,
                ),
            },
        )
        try:
            with checked_opener().open(request, timeout=10) as response:
                status = response.status
        except RefusedTarget as exc:
            raise DeliveryError(f"callback_url refused: {exc}", permanent=True)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"callback answered {exc.code}", permanent=400 <= exc.code < 500)
        except (urllib.error.URLError, TimeoutError) as exc:
            raise DeliveryError(f"callback unreachable: {exc}")
        if status >= 300:
            raise DeliveryError(f"callback answered {status}")
        return SendResult(provider_message_id=message.idempotency_key)


register(ApiAdapter())
