"""Reads of the reporting app, one module per concern; the metric queries follow
docs/metrics.md.

- `filters`: a report's period and filters (`ReportFilters`), the duration buckets;
- `sql`: what the metric queries share (tables, business-time fragments, the runner);
- `business_hours`: each team's schedule as the SQL takes it;
- `facts`: per-conversation facts, live SQL and stored rows; `waits`: next response time;
- `cohort`: conversation metrics; `volume`: conversations and messages over time;
  `csat`: CSAT metrics;
- `dashboard`: everything /reports/ shows, and its named tables;
- `live_now`: the counts as of now; `access`: who may read reports; `labels`: names;
- `survey_page`: the public CSAT survey page.

The names below are those `reporting.services.refresh_report_data` imports from here.
"""

from reporting.selectors.business_hours import desk_schedules, schedules_param
from reporting.selectors.facts import live_facts_sql
from reporting.selectors.waits import live_waits_sql

__all__ = ["desk_schedules", "live_facts_sql", "live_waits_sql", "schedules_param"]
