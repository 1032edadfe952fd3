from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from channels_app.models import ChannelEndpoint
from customers.attributes import KEY_PATTERN, attribute_specs, parse_text_value
from customers.models import AttributeDefinition
from reporting.selectors.filters import ReportFilters
from reporting.services import MAX_COMMENT_LENGTH

SCORE_CHOICES = [
    (5, "5 · Excellent"),
    (4, "4 · Good"),
    (3, "3 · Okay"),
    (2, "2 · Poor"),
    (1, "1 · Very poor"),
]


class CsatAnswerForm(forms.Form):
    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything you would like to add? (optional)",
    )


MAX_REPORT_DAYS = 2 * 366


class ReportFilterForm(forms.Form):
    """The dashboard's and the API's filters (all optional; default: the last 30 days)."""

    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    team = forms.IntegerField(required=False, min_value=1)
    agent = forms.IntegerField(required=False, min_value=1)
    channel = forms.ChoiceField(
        required=False, choices=[("", "All channels"), *ChannelEndpoint.Kind.choices]
    )
    endpoint = forms.IntegerField(required=False, min_value=1)
    business = forms.BooleanField(required=False)
    repeat_days = forms.IntegerField(required=False, min_value=1, max_value=90)
    attribute = forms.CharField(
        required=False,
        max_length=300,
        help_text="One customer attribute, key=value (e.g. plan=pro), typed by its definition.",
    )
    conversation_attribute = forms.CharField(
        required=False,
        max_length=300,
        help_text="One conversation attribute, key=value (e.g. order_type=refund), typed by "
        "its definition.",
    )

    def clean_attribute(self) -> str:
        return _attribute_filter(
            self.cleaned_data.get("attribute"), AttributeDefinition.AppliesTo.CUSTOMER
        )

    def clean_conversation_attribute(self) -> str:
        return _attribute_filter(
            self.cleaned_data.get("conversation_attribute"),
            AttributeDefinition.AppliesTo.CONVERSATION,
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        today = timezone.localdate()
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - timedelta(days=29)
        if end < start:
            raise forms.ValidationError({"end": "The end date is before the start date."})
        if (end - start).days + 1 > MAX_REPORT_DAYS:
            raise forms.ValidationError({"start": f"At most {MAX_REPORT_DAYS} days at once."})
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def report_filters(self) -> ReportFilters:
        """Precondition: is_valid()."""
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            team_id=data.get("team"),
            agent_id=data.get("agent"),
            channel=data.get("channel") or "",
            endpoint_id=data.get("endpoint"),
            business=bool(data.get("business")),
            repeat_days=data.get("repeat_days") or 7,
            customer_attribute=data.get("attribute") or "",
            conversation_attribute=data.get("conversation_attribute") or "",
        )


def _attribute_filter(text: str | None, applies_to: str) -> str:
    """One attribute filter as a JSON object ("" for none), its value typed by the
    definition of `applies_to` (customer or conversation)."""
    text = (text or "").strip()
    if not text:
        return ""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not KEY_PATTERN.match(key) or not value.strip():
        raise forms.ValidationError(f"Write one {applies_to} attribute as key=value.")
    spec = attribute_specs(applies_to).get(key)
    try:
        typed = parse_text_value(spec, value)
    except ValueError as exc:
        raise forms.ValidationError(f"{key}: {exc}") from None
    return json.dumps({key: typed})
