import hmac
from pathlib import Path

import django
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_GET
from django.views.decorators.vary import vary_on_headers
from django.views.i18n import JavaScriptCatalog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from omnidesk import metrics, operations


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database or Redis outage
    does not get every process restarted (that is what `/readyz` reports)."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, for load balancers: 200 when every check passes, else 503; the body
    gives each check's result and time, and nothing of the desk's data."""
    results = operations.readiness()
    ready = all(result.ok for result in results)
    return JsonResponse(
        {
            "status": "ok" if ready else "unavailable",
            "checks": {result.name: result.as_json() for result in results},
        },
        status=200 if ready else 503,
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, to `Authorization: Bearer <OMNIDESK_METRICS_TOKEN>` only; no
    such page at all while the token is unset."""
    expected = settings.OMNIDESK_METRICS_TOKEN
    if not expected:
        raise Http404
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    ):
        response = HttpResponse("Unauthorized", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = metrics.scrape_registry(operations.ScrapeTimeCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _catalogue_version(request: HttpRequest) -> str:
    """The JavaScript catalogue's version in the request's language (the agent's
    preference, else the browser's): the language and its compiled files' times. A page
    load revalidates the catalogue and gets a 304 without the catalogue being built; a
    new language or a recompiled catalogue changes the ETag, so languages never mix."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    stamps = [django.get_version(), language]
    for folder in settings.LOCALE_PATHS:
        compiled = Path(folder) / translation.to_locale(language) / "LC_MESSAGES" / "djangojs.mo"
        stamps.append(str(compiled.stat().st_mtime_ns) if compiled.exists() else "-")
    return "-".join(stamps)


_catalogue_view = JavaScriptCatalog.as_view(domain="djangojs")


# Kept by the browser and revalidated on each use (the agent may switch language).
@cache_control(private=True, no_cache=True)
@vary_on_headers("Cookie", "Accept-Language")
@etag(_catalogue_version)
def javascript_catalogue(request: HttpRequest) -> HttpResponse:
    return _catalogue_view(request)
