"""One error type for expected failures, and the API handler that renders it."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """An expected failure a user can act on: bad input, a refused action.

    `fields` maps an input field to what is wrong with it.
    """

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND


class PermissionDeniedError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN


def error_body(message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "fields": fields or {}}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, exc.fields), status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = error_body(str(data["detail"]))
    elif isinstance(data, dict):
        response.data = error_body("Invalid input.", data)
    else:
        response.data = error_body("Invalid input.", {"non_field_errors": data})
    return response
