"""The metric tests' shared week: tests/reporting/dataset.py built and its report data
stored, and the filters that cover it."""

from __future__ import annotations

import pytest

from reporting.selectors.filters import ReportFilters
from reporting.services import refresh_report_data
from tests.reporting import dataset

MIN = 60
HOUR = 3600


@pytest.fixture
def week():
    week = dataset.build()
    refresh_report_data()
    return week


def week_filters(**kwargs) -> ReportFilters:
    kwargs.setdefault("tz", "UTC")
    return ReportFilters(start=dataset.WEEK_START, end=dataset.WEEK_END, **kwargs)
