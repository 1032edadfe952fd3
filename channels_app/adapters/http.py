"""Calling provider APIs: one place that maps HTTP outcomes to DeliveryError."""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings

from channels_app.types import DeliveryError

TIMEOUT_SECONDS = 15
# Inbound media larger than this stay links; nothing this big belongs in one message.
MAX_MEDIA_BYTES = 25 * 1024 * 1024
# Throttling and server trouble are worth retrying; other 4xx answers are not.
TEMPORARY_STATUSES = {408, 409, 425, 429}


def provider_url(provider: str, path: str) -> str:
    return settings.OMNIDESK_PROVIDER_URLS[provider].rstrip("/") + path


def call(method: str, url: str, **kwargs: Any) -> requests.Response:
    """Send one request; raise DeliveryError (temporary on network errors, 5xx, 429)."""
    timeout = kwargs.pop("timeout", TIMEOUT_SECONDS)
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise DeliveryError(f"provider unreachable: {type(exc).__name__}")
    if response.status_code >= 400:
        raise DeliveryError(
            f"provider answered {response.status_code}: {_error_text(response)}",
            permanent=response.status_code < 500 and response.status_code not in TEMPORARY_STATUSES,
        )
    return response


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = f" (code {error['code']})" if error.get("code") is not None else ""
            return f"{error.get('message') or error}{code}"[:300]
        for key in ("message", "description", "error"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300]


def download(url: str, **kwargs: Any) -> tuple[bytes, str]:
    """GET a media file (bounded in size); (content, content type)."""
    response = call("GET", url, stream=True, **kwargs)
    declared = int(response.headers.get("Content-Length") or 0)
    if declared > MAX_MEDIA_BYTES:
        raise DeliveryError(f"media too large ({declared} bytes)", permanent=True)
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_MEDIA_BYTES:
            raise DeliveryError("media too large", permanent=True)
        chunks.append(chunk)
    content_type = response.headers.get("Content-Type", "application/octet-stream")
    return b"".join(chunks), content_type.split(";")[0].strip()
