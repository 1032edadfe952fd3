"""HTTP side of the widget: the script, its bootstrap, uploads and visitor attachments.

Every call but the script itself is checked against the endpoint's allowed origins and
answered with CORS headers for that origin only. No cookies are used, so no CSRF.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from channels_app import webchat_identity as identity
from channels_app.models import ChannelEndpoint
from conversations.models import Attachment
from intake.widget import selectors, services
from omnidesk.client_address import request_client_address
from omnidesk.errors import ApplicationError, NotFoundError, error_body
from omnidesk.request_limits import refuse_large_body

SCRIPT_PATH = "widget/omnidesk-widget.js"


@functools.lru_cache(maxsize=1)
def _script_source() -> bytes:
    # One static file serves every endpoint: the script reads its key from its own URL.
    found = finders.find(SCRIPT_PATH)
    if not found:
        raise FileNotFoundError(SCRIPT_PATH)
    return Path(found).read_bytes()


def _client_ip(request: HttpRequest) -> str:
    return request_client_address(request)


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error(exc: ApplicationError, origin: str = "") -> HttpResponse:
    response = JsonResponse(error_body(exc.message, exc.fields), status=exc.status_code)
    return _cors(response, origin) if origin else response


def _endpoint_for(request: HttpRequest, key: str):
    """The endpoint and the request's origin, or ApplicationError (404 / 403)."""
    endpoint = selectors.widget_endpoint(key=key)
    origin = request.headers.get("Origin", "")
    if not selectors.origin_allowed(endpoint, origin):
        raise ApplicationError(
            "This site may not use this chat widget.",
            fields={"origin": [origin or "missing"]},
            status_code=403,
        )
    return endpoint, origin


@require_GET
def widget_script(request: HttpRequest, key: str) -> HttpResponse:
    try:
        selectors.widget_endpoint(key=key)
    except NotFoundError:
        return HttpResponse(
            "/* unknown chat widget */",
            status=404,
            content_type="application/javascript; charset=utf-8",
        )
    response = HttpResponse(_script_source(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _cross_origin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """What every cross-origin widget view does first and last: find the endpoint of
    `key`, check the caller's origin against it (errors answered as JSON), answer a
    preflight, and put the CORS headers on the view's answer. The view gets the endpoint
    instead of the key."""

    @functools.wraps(view)
    def checked(request: HttpRequest, key: str) -> HttpResponse:
        try:
            endpoint, origin = _endpoint_for(request, key)
        except ApplicationError as exc:
            return _error(exc)
        if request.method == "OPTIONS":
            return _cors(HttpResponse(status=204), origin)
        try:
            response = view(request, endpoint)
        except ApplicationError as exc:
            response = _error(exc)
        return _cors(response, origin)

    return checked


@require_http_methods(["GET", "OPTIONS"])
@_cross_origin
def widget_config(request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse:
    data = selectors.widget_bootstrap(endpoint=endpoint, locale=request.GET.get("locale", ""))
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@_cross_origin
def widget_upload(request: HttpRequest, endpoint: ChannelEndpoint) -> HttpResponse:
    """multipart/form-data: `file`, `client_id`, `token` or `user` (JSON), `caption`."""
    max_bytes, _ = selectors.upload_limits(endpoint)
    try:
        # Refused from the header, before the body is read into memory or temp files.
        refuse_large_body(request, limit=max_bytes + UPLOAD_FORM_OVERHEAD_BYTES)
    except ApplicationError as exc:
        raise ApplicationError(
            "The file is too big.", fields={"code": ["file_too_big"]}, status_code=413
        ) from exc
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError("No file.", fields={"file": ["required"]})
    visitor = selectors.access_visitor(
        endpoint=endpoint,
        token=request.POST.get("token"),
        user=_json_object(request.POST.get("user")),
        name=request.POST.get("name", ""),
        email=request.POST.get("email", ""),
    )
    if not visitor.identified and visitor.token != request.POST.get("token"):
        # Uploads continue an existing chat; they never start an anonymous visitor.
        raise ApplicationError("Unknown visitor.", status_code=403)
    created = services.post_visitor_upload(
        visitor=visitor,
        client_id=request.POST.get("client_id", ""),
        upload=upload,
        caption=request.POST.get("caption", ""),
        ip=_client_ip(request),
    )
    return JsonResponse(
        {"client_id": request.POST.get("client_id"), "duplicate": not created}, status=201
    )


@require_GET
def widget_attachment(request: HttpRequest, key: str, token: str) -> HttpResponse:
    """A file of a visitor-visible message; the signed URL is the credential."""
    attachment_id = identity.read_attachment_token(endpoint_key=key, token=token)
    attachment = (
        Attachment.objects.filter(pk=attachment_id, message__endpoint__key=key).first()
        if attachment_id is not None
        else None
    )
    if attachment is None or not attachment.file:
        return HttpResponse(status=404)
    inline = attachment.is_image
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# Room for the multipart boundaries and the other fields beside the file.
UPLOAD_FORM_OVERHEAD_BYTES = 64 * 1024


def _json_object(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
