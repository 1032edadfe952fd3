"""Typed custom attributes: the definitions (`AttributeDefinition`) and the one check
every write of a customer's or a conversation's `attributes` goes through.

Values are JSON in the record's `attributes`: text and choice as strings, numbers as JSON
numbers, dates as ISO strings (YYYY-MM-DD), booleans as JSON booleans, links as http(s)
URLs. A key without a definition stays free-form (older data, hints such as
`unverified_email`): only defined keys are typed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from customers.models import AttributeDefinition
from omnidesk.errors import ApplicationError, NotFoundError

Type = AttributeDefinition.Type
AppliesTo = AttributeDefinition.AppliesTo
EditableBy = AttributeDefinition.EditableBy

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT_LENGTH = 1000
MAX_LINK_LENGTH = 2000
MAX_CHOICES = 100
# Magnitude beyond which a JSON number no longer round-trips exactly through float.
MAX_NUMBER = 1e15
TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")


@dataclass(frozen=True)
class AttributeSpec:
    key: str
    label: str
    type: str
    applies_to: str
    choices: tuple[str, ...] = ()
    required: bool = False
    editable_by: str = EditableBy.AGENTS

    @property
    def supervisors_only(self) -> bool:
        return self.editable_by == EditableBy.SUPERVISORS


def _spec(definition: AttributeDefinition) -> AttributeSpec:
    return AttributeSpec(
        key=definition.key,
        label=definition.label,
        type=definition.type,
        applies_to=definition.applies_to,
        choices=tuple(definition.choices or ()),
        required=definition.required,
        editable_by=definition.editable_by,
    )


# --- Reads ----------------------------------------------------------------------------------


def attribute_specs(applies_to: str) -> dict[str, AttributeSpec]:
    """The definitions of one kind of record, in display order, by key (a handful of
    rows: read per write rather than cached, so a new definition applies at once)."""
    rows = AttributeDefinition.objects.filter(applies_to=applies_to).order_by("position", "id")
    return {row.key: _spec(row) for row in rows}


def attribute_types() -> dict[str, str]:
    """Every definition's type by `<applies_to>.<key>` (what routing conditions and
    filters compare with)."""
    return {
        f"{applies_to}.{key}": kind
        for applies_to, key, kind in AttributeDefinition.objects.values_list(
            "applies_to", "key", "type"
        )
    }


# --- Values ---------------------------------------------------------------------------------


def clean_value(spec: AttributeSpec, value: Any) -> Any:
    """The value stored for `spec`, or ValueError saying what is wrong. JSON types are
    strict (a number is a JSON number, a boolean a JSON boolean): use `parse_text_value`
    for what a form or a query string gives as text."""
    if spec.type == Type.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("Expected a number.")
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise ValueError("Expected a finite number.")
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if spec.type == Type.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError("Expected true or false.")
        return value
    if not isinstance(value, str):
        raise ValueError("Expected a string.")
    value = value.strip()
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    if spec.type == Type.DATE:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("Expected a date as YYYY-MM-DD.") from None
    if spec.type == Type.CHOICE:
        if value not in spec.choices:
            raise ValueError(f"Expected one of: {', '.join(spec.choices)}.")
        return value
    if spec.type == Type.LINK:
        if len(value) > MAX_LINK_LENGTH:
            raise ValueError(f"At most {MAX_LINK_LENGTH} characters.")
        try:
            parts = urlsplit(value)
        except ValueError:
            raise ValueError("Expected an http or https URL.") from None
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            raise ValueError("Expected an http or https URL.")
        return value
    if len(value) > MAX_TEXT_LENGTH:
        raise ValueError(f"At most {MAX_TEXT_LENGTH} characters.")
    return value


def parse_text_value(spec: AttributeSpec | None, raw: str) -> Any:
    """A value typed as text (a form field, a query string) as its JSON value, or
    ValueError. Empty text means "no value" (None)."""
    raw = raw.strip()
    if not raw:
        return None
    if spec is None:
        return raw
    if spec.type == Type.NUMBER:
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("Expected a number.") from None
        return clean_value(spec, number)
    if spec.type == Type.BOOLEAN:
        if raw.lower() in TRUE_WORDS:
            return True
        if raw.lower() in FALSE_WORDS:
            return False
        raise ValueError("Expected yes or no.")
    return clean_value(spec, raw)


def typed_from_text(applies_to: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Attributes typed as text (a form) with each defined key's text turned into its
    JSON value; text that does not parse is left as given, for `validate_attributes` to
    name."""
    specs = attribute_specs(applies_to)
    typed: dict[str, Any] = {}
    for key, text in values.items():
        try:
            typed[key] = parse_text_value(specs.get(key), text) if key in specs else text
        except ValueError:
            typed[key] = text
    return typed


def _empty(value: Any) -> bool:
    return value is None or value == ""


def validate_attributes(
    *,
    applies_to: str,
    values: Mapping[str, Any],
    previous: Mapping[str, Any],
    may_edit_restricted: bool,
    specs: Mapping[str, AttributeSpec] | None = None,
) -> dict[str, Any]:
    """The attributes to store when a person writes `values` (the whole new set) over
    `previous`: defined keys typed and cleaned, empty ones dropped, undefined keys kept
    as given. Raises ApplicationError naming each bad key as `attributes.<key>`: a wrong
    type, a required attribute missing, or a supervisors-only one changed by someone who
    may not (`may_edit_restricted` False)."""
    specs = attribute_specs(applies_to) if specs is None else specs
    if not isinstance(values, Mapping):
        raise ApplicationError(
            "Attributes must be an object.", fields={"attributes": ["Expected an object."]}
        )
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key or len(key) > 64 or "\x00" in key:
            errors[f"attributes.{str(key)[:64]}"] = ["Keys are 1 to 64 characters."]
            continue
        spec = specs.get(key)
        if spec is None:
            if not _empty(value):
                cleaned[key] = value
            continue
        if _empty(value):
            continue
        try:
            cleaned[key] = clean_value(spec, value)
        except ValueError as exc:
            errors[f"attributes.{key}"] = [f"{spec.label}: {exc}"]
    for key, spec in specs.items():
        if f"attributes.{key}" in errors:
            continue
        if spec.required and _empty(cleaned.get(key)):
            errors[f"attributes.{key}"] = [f"{spec.label} is required."]
        elif (
            spec.supervisors_only
            and not may_edit_restricted
            and cleaned.get(key) != previous.get(key)
        ):
            errors[f"attributes.{key}"] = [f"Only supervisors may change {spec.label}."]
    if errors:
        raise ApplicationError("Some attributes are not valid.", fields=errors)
    return cleaned


def split_valid_attributes(
    *, applies_to: str, values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """What a door that must not lose the message keeps: the valid attributes (defined
    keys cleaned, undefined ones as given; text that reads as the type, such as a web
    form's "12" for a number, taken as that) and, for the others, why each was dropped."""
    specs = attribute_specs(applies_to)
    kept: dict[str, Any] = {}
    rejected: dict[str, str] = {}
    for key, value in values.items():
        spec = specs.get(key)
        if spec is None:
            kept[key] = value
            continue
        if _empty(value):
            continue
        try:
            kept[key] = clean_value(spec, value)
        except ValueError as exc:
            try:
                if not isinstance(value, str):
                    raise
                kept[key] = parse_text_value(spec, value)
            except ValueError:
                rejected[key] = str(exc)
    return kept, rejected


# --- Definitions (writes) -------------------------------------------------------------------


def _checked_definition_fields(
    *,
    key: str,
    label: str,
    type: str,
    applies_to: str,
    choices: list[str] | None,
    editable_by: str,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not KEY_PATTERN.match(key or ""):
        errors["key"] = ["Lower-case letters, digits and _, starting with a letter (64 at most)."]
    if not (label or "").strip():
        errors["label"] = ["Give the attribute a label."]
    if type not in Type.values:
        errors["type"] = [f"One of: {', '.join(Type.values)}."]
    if applies_to not in AppliesTo.values:
        errors["applies_to"] = [f"One of: {', '.join(AppliesTo.values)}."]
    if editable_by not in EditableBy.values:
        errors["editable_by"] = [f"One of: {', '.join(EditableBy.values)}."]
    if type == Type.CHOICE:
        values = [choice.strip() for choice in choices or [] if isinstance(choice, str)]
        if not values or len(values) != len(choices or []) or any(not v for v in values):
            errors["choices"] = ["A choice attribute lists its values (non-empty strings)."]
        elif len(set(values)) != len(values) or len(values) > MAX_CHOICES:
            errors["choices"] = [f"Distinct values, {MAX_CHOICES} at most."]
    elif choices:
        errors["choices"] = ["Only a choice attribute has choices."]
    return errors


def create_definition(
    *,
    key: str,
    label: str,
    type: str,
    applies_to: str,
    choices: list[str] | None = None,
    required: bool = False,
    editable_by: str = EditableBy.AGENTS,
    position: int = 100,
) -> AttributeDefinition:
    errors = _checked_definition_fields(
        key=key,
        label=label,
        type=type,
        applies_to=applies_to,
        choices=choices,
        editable_by=editable_by,
    )
    if errors:
        raise ApplicationError("The attribute definition is not valid.", fields=errors)
    try:
        # Its own savepoint: a duplicate key leaves the caller's transaction usable.
        with transaction.atomic():
            return AttributeDefinition.objects.create(
                key=key,
                label=label.strip()[:200],
                type=type,
                applies_to=applies_to,
                choices=[choice.strip() for choice in choices or []],
                required=required,
                editable_by=editable_by,
                position=position,
            )
    except IntegrityError:
        raise ApplicationError(
            "That key is taken.",
            fields={"key": [f"A {applies_to} attribute named {key} exists."]},
            status_code=409,
        ) from None


def update_definition(
    *,
    definition: AttributeDefinition,
    label: str | None = None,
    choices: list[str] | None = None,
    required: bool | None = None,
    editable_by: str | None = None,
    position: int | None = None,
) -> AttributeDefinition:
    """Change what a definition says; its key, type and record kind are fixed (stored
    values were checked against them)."""
    with transaction.atomic():
        definition = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
        new_choices = definition.choices if choices is None else choices
        errors = _checked_definition_fields(
            key=definition.key,
            label=definition.label if label is None else label,
            type=definition.type,
            applies_to=definition.applies_to,
            choices=new_choices,
            editable_by=definition.editable_by if editable_by is None else editable_by,
        )
        if errors:
            raise ApplicationError("The attribute definition is not valid.", fields=errors)
        if label is not None:
            definition.label = label.strip()[:200]
        if choices is not None:
            definition.choices = [choice.strip() for choice in choices]
        if required is not None:
            definition.required = required
        if editable_by is not None:
            definition.editable_by = editable_by
        if position is not None:
            definition.position = position
        definition.save()
    return definition


def delete_definition(*, definition_id: int) -> None:
    """Forget a definition; stored values stay, free-form from now on."""
    deleted, _ = AttributeDefinition.objects.filter(pk=definition_id).delete()
    if not deleted:
        raise NotFoundError("Attribute definition not found.")
