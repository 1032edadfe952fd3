"""The demo desk's notification templates load once, and render with their variables."""

from __future__ import annotations

import pytest

from outreach import services
from outreach.models import NotificationTemplate
from outreach.wording import placeholders, render

pytestmark = pytest.mark.django_db


def test_demo_templates_load_once_and_render():
    assert services.load_demo_templates() == 2
    assert services.load_demo_templates() == 0
    shipped = NotificationTemplate.objects.get(key="order_shipped")
    assert placeholders(shipped.body) == ["customer_name", "order"]
    text = render(shipped.body, {"customer_name": "Dana", "order": "{{ order }}"})
    # A value is text, never rendered again.
    assert text == "Hi Dana, your order {{ order }} has shipped."
