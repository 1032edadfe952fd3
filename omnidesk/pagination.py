"""API list pages. Limit/offset with a ceiling, so `?limit=1000000000` cannot make one
request read everything a user may see; and keyset cursors for lists that move (new rows
arrive while a client pages), where an offset would skip or repeat rows."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from omnidesk.errors import ApplicationError

MAX_PAGE_SIZE = 200


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE


class KeysetCursorPagination(BasePagination):
    """Pages in a fixed order of unique keys (`ordering`, e.g. ("-last_message_at",
    "-id"); the last field must be unique): `next` carries the keys of the page's last
    row, and the following page starts strictly after them. A row inserted while a
    client pages is neither skipped nor repeated among the rows after the cursor; a page
    costs the same at row 100,000 as at row 1 with an index in that order.

    `?limit=` (capped at MAX_PAGE_SIZE) sets the page size; a malformed or hand-edited
    cursor is a 400 naming `cursor`."""

    ordering: Sequence[str] = ("-id",)
    page_size = 50
    cursor_query_param = "cursor"
    limit_query_param = "limit"

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Model]:
        self.request = request
        self.limit = self._limit(request)
        rows = queryset.order_by(*self.ordering)
        raw_cursor = request.query_params.get(self.cursor_query_param)
        if raw_cursor:
            rows = rows.filter(self._after(queryset.model, raw_cursor))
        page = list(rows[: self.limit + 1])
        self.has_next = len(page) > self.limit
        self.page = page[: self.limit]
        return self.page

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (null: this is the last).",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: the `next` link of the page before.",
                "schema": {"type": "string"},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (at most {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            limit = int(raw)
        except ValueError:
            limit = 0
        if limit < 1:
            raise ApplicationError(
                "Invalid limit.", fields={self.limit_query_param: ["A positive whole number."]}
            )
        return min(limit, MAX_PAGE_SIZE)

    def _after(self, model: type[Model], raw_cursor: str) -> Q:
        """Rows strictly after the cursor's keys in `ordering`."""
        fields = [name.lstrip("-") for name in self.ordering]
        values = self._decode(raw_cursor, model, fields)
        condition = Q(pk__in=[])
        for index, name in enumerate(self.ordering):
            field = fields[index]
            lookup = "lt" if name.startswith("-") else "gt"
            step = Q(**{f"{field}__{lookup}": values[index]})
            for earlier, value in zip(fields[:index], values[:index], strict=True):
                step &= Q(**{earlier: value})
            condition |= step
        return condition

    def _decode(self, raw_cursor: str, model: type[Model], fields: list[str]) -> list[Any]:
        try:
            padded = raw_cursor + "=" * (-len(raw_cursor) % 4)
            raw_values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            if not isinstance(raw_values, list) or len(raw_values) != len(fields):
                raise ValueError
            return [
                model._meta.get_field(field).to_python(value)
                for field, value in zip(fields, raw_values, strict=True)
            ]
        except (ValueError, TypeError, UnicodeDecodeError, binascii.Error, ValidationError) as exc:
            raise ApplicationError(
                "Invalid cursor.",
                fields={self.cursor_query_param: ["Use the `next` link of a page as given."]},
            ) from exc

    def _next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        last = self.page[-1]
        keys = [_json_value(getattr(last, name.lstrip("-"))) for name in self.ordering]
        token = base64.urlsafe_b64encode(json.dumps(keys).encode()).decode().rstrip("=")
        params = self.request.query_params.copy()
        params[self.cursor_query_param] = token
        return self.request.build_absolute_uri(self.request.path) + "?" + params.urlencode()


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
