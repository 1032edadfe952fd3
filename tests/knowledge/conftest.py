from __future__ import annotations

import pytest

from knowledge import services


@pytest.fixture
def demo_kb(db, django_capture_on_commit_callbacks) -> int:
    """The demo help center, published and indexed."""
    with django_capture_on_commit_callbacks(execute=True):
        return services.load_demo_articles()
