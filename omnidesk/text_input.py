"""Input PostgreSQL can store: its text and jsonb columns refuse the NUL character, so a
NUL from a client is refused where the input is parsed (a 400 naming the field), never
left to fail as a database error (a 500) in the middle of a write or a search."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser

NUL = "\x00"
NUL_REFUSED = "NUL characters are not allowed."


def contains_nul(value: Any) -> bool:
    """Whether `value` (a string, or JSON-like data nested in lists and dicts, keys
    included) holds a NUL character anywhere."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


def nul_fields(data: QueryDict | Mapping[str, Any]) -> dict[str, list[str]]:
    """The fields of a query string, a form or a JSON object that hold a NUL character,
    each with the error to show (empty: none do)."""
    items = data.lists() if isinstance(data, QueryDict) else data.items()
    return {
        (name.replace(NUL, "") or "non_field_errors"): [NUL_REFUSED]
        for name, value in items
        if contains_nul(name) or contains_nul(value)
    }


def refuse_nul_in_query(query: QueryDict) -> None:
    """For API views that read query parameters themselves: ValidationError (400)
    naming the parameters that hold a NUL."""
    if fields := nul_fields(query):
        raise ValidationError(fields)


class NulRefusingJSONParser(JSONParser):
    """DRF's JSON parser, refusing a body with a NUL in any string or key (400 naming the
    top-level fields that hold one), whatever field type reads it later."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if isinstance(data, Mapping):
            if fields := nul_fields(data):
                raise ValidationError(fields)
        elif contains_nul(data):
            raise ValidationError({"non_field_errors": [NUL_REFUSED]})
        return data
