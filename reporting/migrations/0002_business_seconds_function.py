"""`reporting_business_seconds`: agents.business_hours.business_seconds_between, in SQL.

Business-time metrics aggregate over many thousands of conversations; computing them in
the database avoids loading every row into Python. The schedule is passed as parallel
arrays (weekday 0 = Monday, opening minute, closing minute of the local day; closing at
most 1440) plus the timezone and the holiday dates, the same model as
`agents.business_hours.Schedule`. An interval ending before it starts counts 0.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION reporting_business_seconds(
    start_at timestamptz,
    end_at timestamptz,
    tz text,
    weekdays integer[],
    opens integer[],
    closes integer[],
    holidays date[]
) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN start_at IS NULL OR end_at IS NULL THEN NULL
        ELSE coalesce(sum(greatest(0, extract(epoch FROM
            least(end_at, (day + make_interval(mins => s.closes)) AT TIME ZONE tz)
            - greatest(start_at, (day + make_interval(mins => s.opens)) AT TIME ZONE tz)
        ))), 0)::double precision
    END
    FROM generate_series(
        date_trunc('day', start_at AT TIME ZONE tz),
        date_trunc('day', end_at AT TIME ZONE tz),
        interval '1 day'
    ) AS days(day)
    JOIN unnest(weekdays, opens, closes) AS s(weekday, opens, closes)
        ON s.weekday = extract(isodow FROM day)::integer - 1
    WHERE NOT (day::date = ANY(holidays))
$$;
"""

DROP = (
    "DROP FUNCTION IF EXISTS reporting_business_seconds("
    "timestamptz, timestamptz, text, integer[], integer[], integer[], date[]);"
)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
