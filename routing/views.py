"""Supervisor pages of routing: the live queue view."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from omnidesk.errors import PermissionDeniedError
from routing import selectors


@login_required
def queues(request: HttpRequest) -> HttpResponse:
    return _render(request, "routing/queues.html")


@login_required
def queues_fragment(request: HttpRequest) -> HttpResponse:
    return _render(request, "routing/_queues.html")


def _render(request: HttpRequest, template: str) -> HttpResponse:
    try:
        selectors.access_supervisor(user=request.user)
    except PermissionDeniedError as exc:
        return HttpResponse(exc.message, status=403, content_type="text/plain")
    return render(request, template, {"teams": selectors.queue_overview()})
