"""/api/v1/reports/...: the dashboard's numbers as JSON (supervisors and admins)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from omnidesk.errors import ApplicationError, NotFoundError
from reporting import services, tables
from reporting.forms import ReportFilterForm
from reporting.selectors.access import access_reports
from reporting.selectors.dashboard import dashboard, report_table
from reporting.selectors.filters import ReportFilters
from reporting.selectors.live_now import live_counts

FRESH_ENOUGH = timedelta(seconds=15)
FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 29 days ago)"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (default: today)"),
    OpenApiParameter("team", int),
    OpenApiParameter("agent", int, description="User id"),
    OpenApiParameter("channel", str, description="Channel the conversation started on"),
    OpenApiParameter("endpoint", int),
    OpenApiParameter("business", bool, description="Durations in business hours"),
    OpenApiParameter("repeat_days", int, description="Repeat-contact window (default 7)"),
    OpenApiParameter(
        "attribute",
        str,
        description="Conversations of customers with this attribute: key=value, typed by "
        "its definition (/api/v1/attribute-definitions/)",
        examples=[OpenApiExample("Pro customers", value="plan=pro")],
    ),
    OpenApiParameter(
        "conversation_attribute",
        str,
        description="Conversations with this attribute: key=value, typed by its definition "
        "(/api/v1/attribute-definitions/)",
        examples=[OpenApiExample("Refund requests", value="order_type=refund")],
    ),
]


def _filters_json(filters: ReportFilters) -> dict[str, Any]:
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "timezone": filters.tz,
        "team": filters.team_id,
        "agent": filters.agent_id,
        "channel": filters.channel or None,
        "endpoint": filters.endpoint_id,
        "business": filters.business,
        "repeat_days": filters.repeat_days,
        "attribute": json.loads(filters.customer_attribute) if filters.customer_attribute else None,
        "conversation_attribute": (
            json.loads(filters.conversation_attribute) if filters.conversation_attribute else None
        ),
    }


class ReportIndexView(APIView):
    @extend_schema(
        operation_id="reports_index", responses=OpenApiTypes.OBJECT, summary="The reports"
    )
    def get(self, request: Request) -> Response:
        access_reports(user=request.user)
        names = ["live", *tables.TABLE_NAMES]
        return Response(
            {name: reverse("api-report", args=[name], request=request) for name in names}
        )


class ReportView(APIView):
    @extend_schema(
        operation_id="reports_retrieve",
        parameters=FILTER_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        summary="One report table: summary, volume, frt-distribution, ... or live",
    )
    def get(self, request: Request, name: str) -> Response:
        access_reports(user=request.user)
        if name == "live":
            return Response({"teams": live_counts()})
        if name not in tables.TABLE_NAMES:
            raise NotFoundError("No such report.")
        form = ReportFilterForm(request.query_params)
        if not form.is_valid():
            raise ApplicationError("Invalid filters.", fields=form.errors.get_json_data())
        services.refresh_report_data(max_age=FRESH_ENOUGH)
        filters = form.report_filters()
        data = dashboard(filters=filters)
        columns, rows = report_table(name, data)
        body: dict[str, Any] = {
            "report": name,
            "filters": _filters_json(filters),
            "columns": columns,
            "rows": [dict(zip(columns, row, strict=True)) for row in rows],
        }
        if name == "summary":
            body["headlines"] = [headline.as_dict() for headline in data["headlines"]]
        return Response(body)
