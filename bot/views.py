"""The self-service outcomes on /reports/ (loaded into the dashboard by htmx)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agents.roles import sees_everything
from bot import selectors


class PeriodForm(forms.Form):
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)


@login_required
@require_GET
def outcomes_fragment(request: HttpRequest) -> HttpResponse:
    if not sees_everything(request.user):
        raise PermissionDenied("Reports are for supervisors.")
    form = PeriodForm(request.GET)
    dates = form.cleaned_data if form.is_valid() else {}
    outcomes = selectors.outcomes(start=dates.get("start"), end=dates.get("end"))
    return render(request, "bot/_outcomes.html", {"outcomes": outcomes})
