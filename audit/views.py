"""`/audit/`: supervisors search and filter the audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from audit import selectors
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from omnidesk.errors import ApplicationError

PAGE_SIZE = 100


@never_cache
@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    try:
        selectors.access_audit_log(user=request.user)
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    if any("\x00" in value for values in request.GET.lists() for value in values[1]):
        return render(request, "audit/log.html", {"invalid": True}, status=400)
    filters = AuditEntryFilter(request.GET, queryset=selectors.audit_entries())
    entries = filters.qs if filters.is_valid() else AuditEntry.objects.none()
    before = request.GET.get("before", "")
    if before.isdigit() and len(before) <= 18:
        last = AuditEntry.objects.filter(pk=int(before)).values("created_at", "id").first()
        if last:
            entries = entries.filter(
                Q(created_at__lt=last["created_at"])
                | Q(created_at=last["created_at"], id__lt=last["id"])
            )
    page = list(entries[: PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("before", None)
    if len(page) > PAGE_SIZE:
        page = page[:PAGE_SIZE]
        query["before"] = str(page[-1].pk)
        older = query.urlencode()
    else:
        older = ""
    context = {
        "filters": filters,
        "entries": page,
        "older": older,
        "actions": selectors.known_actions(),
        "actor_kinds": AuditEntry.ActorKind.choices,
    }
    return render(request, "audit/log.html", context, status=200 if filters.is_valid() else 400)
