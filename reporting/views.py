"""Reporting pages: the public CSAT survey and the supervisors' dashboard."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from omnidesk.errors import ApplicationError, PermissionDeniedError
from reporting import charts, services, tables
from reporting.forms import CsatAnswerForm, ReportFilterForm
from reporting.selectors.access import access_reports
from reporting.selectors.business_hours import has_business_hours
from reporting.selectors.dashboard import dashboard as dashboard_data
from reporting.selectors.dashboard import report_table
from reporting.selectors.labels import filter_choices, group_names
from reporting.selectors.live_now import live_counts
from reporting.selectors.survey_page import survey_answer, survey_for_token

# A dashboard read catches up with what the periodic refresh has not yet seen.
FRESH_ENOUGH = timedelta(seconds=15)


@never_cache
def csat_survey(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_for_token(token=token)
    if survey is None:
        raise Http404("This survey link is not valid.")
    answered = survey_answer(survey=survey)
    context = {"subject": survey.conversation.subject, "answered": answered, "error": ""}
    if answered is not None:
        return render(request, "reporting/csat_survey.html", context)
    if request.method == "POST":
        form = CsatAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.record_csat_response_by_token(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                context["error"] = exc.message
            else:
                return redirect("csat-survey", token=token)
    else:
        # An email may link each score (?score=4) so one click preselects it.
        preselected = request.GET.get("score", "")
        valid = preselected in {"1", "2", "3", "4", "5"}
        form = CsatAnswerForm(initial={"score": int(preselected)} if valid else {})
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "reporting/csat_survey.html", context, status=status)


def _supervisor(request: HttpRequest) -> None:
    try:
        access_reports(user=request.user)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc


def _report(request: HttpRequest) -> tuple[ReportFilterForm, dict[str, Any] | None]:
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return form, None
    services.refresh_report_data(max_age=FRESH_ENOUGH)
    return form, dashboard_data(filters=form.report_filters())


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    form, data = _report(request)
    context: dict[str, Any] = {
        "form": form,
        "choices": filter_choices(),
        "has_business_hours": has_business_hours(),
        "data": data,
        "live": live_counts(),
        "query": request.GET.urlencode(),
        "start_value": _date_value(form, "start"),
        "end_value": _date_value(form, "end"),
    }
    if data is not None:
        filters = data["filters"]
        conversations = data["conversations"]
        agents, teams = group_names(data)
        context |= {
            "volume_chart": charts.stacked_bars(
                start=filters.start,
                end=filters.end,
                rows=data["conversation_volume"],
                series_key="channel",
            ),
            "message_chart": charts.stacked_bars(
                start=filters.start,
                end=filters.end,
                rows=data["message_volume"],
                series_key="channel",
            ),
            "frt_chart": charts.histogram(conversations["frt_distribution"]),
            "resolution_chart": charts.histogram(conversations["resolution_distribution"]),
            "csat_chart": charts.score_line(
                start=filters.start, end=filters.end, rows=data["csat_trend"]
            ),
            "heatmap_chart": charts.heatmap(data["heatmap"]),
            "handoff_chart": charts.handoff_matrix(data["handoffs"]),
            "agent_rows": _group_rows(data["by_agent"], data["csat_by_agent"], agents),
            "team_rows": _group_rows(data["by_team"], data["csat_by_team"], teams),
            "channel_rows": _group_rows(data["by_channel"], [], {}),
        }
    status = 200 if form.is_valid() else 400
    return render(request, "reporting/dashboard.html", context, status=status)


def _date_value(form: ReportFilterForm, name: str) -> str:
    cleaned = getattr(form, "cleaned_data", {}).get(name)
    return cleaned.isoformat() if cleaned else form.data.get(name, "")


def _group_rows(
    rows: list[dict[str, Any]], csat_rows: list[dict[str, Any]], names: dict
) -> list[dict[str, Any]]:
    csat = {row["group_id"]: row for row in csat_rows}
    return [
        {
            "name": names.get(row["group_id"], row["group_id"]),
            "metrics": row,
            "csat": csat.get(row["group_id"], {"average": None, "responses": 0}),
        }
        for row in rows
    ]


@login_required
def dashboard_csv(request: HttpRequest, name: str) -> HttpResponse:
    _supervisor(request)
    if name not in tables.TABLE_NAMES:
        raise Http404("No such report.")
    form, data = _report(request)
    if data is None:
        return HttpResponse(
            "Invalid filters: " + form.errors.as_text(), status=400, content_type="text/plain"
        )
    headers, rows = report_table(name, data)
    filters = data["filters"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"omnidesk-{name}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(headers)
    writer.writerows(rows)
    return response


@login_required
def live_now(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return render(request, "reporting/_live_now.html", {"live": live_counts()})
