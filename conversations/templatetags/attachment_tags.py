"""The composer's per-channel attachment limits, as data its script checks files against
before sending (`static/js/composer-attachments.js`)."""

from __future__ import annotations

import json

from django import template

from channels_app.attachment_limits import limits_for_endpoint
from channels_app.models import ChannelEndpoint

register = template.Library()


@register.filter
def attachment_limits_json(endpoint: ChannelEndpoint) -> str:
    """The endpoint's limits as JSON (the template escapes it into an attribute)."""
    return json.dumps(limits_for_endpoint(endpoint).to_json())
