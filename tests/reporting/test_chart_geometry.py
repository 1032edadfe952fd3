"""Chart geometry and number formatting: pure functions, no database."""

from __future__ import annotations

from datetime import date

from reporting import charts
from reporting.templatetags.reporting_format import duration, percent


def test_y_axis_tops_are_round_numbers():
    assert [charts.nice_max(v) for v in (0, 1, 3, 7, 12, 180, 999, 1001)] == [
        1,
        1,
        5,
        10,
        20,
        200,
        1000,
        2000,
    ]


def test_daily_buckets_up_to_three_months_then_weekly_from_mondays():
    unit, buckets = charts.time_buckets(date(2026, 3, 2), date(2026, 3, 8))
    assert (unit, len(buckets)) == ("day", 7)
    unit, buckets = charts.time_buckets(date(2025, 11, 24), date(2026, 11, 23))
    assert unit == "week"
    assert all(bucket.weekday() == 0 for bucket in buckets)
    assert buckets[0] <= date(2025, 11, 24) and buckets[-1] <= date(2026, 11, 23)


def test_stacked_bars_stack_series_and_scale_to_the_tallest_day():
    chart = charts.stacked_bars(
        start=date(2026, 3, 2),
        end=date(2026, 3, 3),
        rows=[
            {"day": date(2026, 3, 2), "channel": "email", "count": 3},
            {"day": date(2026, 3, 2), "channel": "sms", "count": 1},
            {"day": date(2026, 3, 3), "channel": "sms", "count": 2},
        ],
        series_key="channel",
    )
    assert chart["series"] == ["email", "sms"]
    first_day = [bar for bar in chart["bars"] if bar["title"].startswith("2026-03-02")]
    # 4 on the first day fills a y axis topped at 5: 80% of the plot height.
    assert round(sum(bar["height"] for bar in first_day), 1) == round(charts.PLOT_HEIGHT * 4 / 5, 1)
    assert {bar["title"] for bar in chart["bars"]} == {
        "2026-03-02 email: 3",
        "2026-03-02 sms: 1",
        "2026-03-03 sms: 2",
    }


def test_heatmap_and_handoff_matrix_cells():
    grid = [[0] * 24 for _ in range(7)]
    grid[2][9] = 4
    heatmap = charts.heatmap(grid)
    assert len(heatmap["cells"]) == 7 * 24
    busiest = next(cell for cell in heatmap["cells"] if cell["title"].startswith("Wed 09:00"))
    assert busiest["opacity"] == 1.0
    matrix = charts.handoff_matrix(
        [
            {"from_channel": "email", "to_channel": "sms", "count": 2},
            {"from_channel": "sms", "to_channel": "whatsapp", "count": 1},
        ]
    )
    assert [column["label"] for column in matrix["columns"]] == ["email", "sms", "whatsapp"]
    assert len(matrix["cells"]) == 9
    assert {c["title"]: c["count"] for c in matrix["cells"] if c["count"]} == {
        "email -> sms: 2": 2,
        "sms -> whatsapp: 1": 1,
    }


def test_durations_and_rates_read_like_people_write_them():
    assert [duration(v) for v in (None, 42, 600, 3600, 5400, 65 * 3600)] == [
        "\u2013",
        "42 s",
        "10 min",
        "1 h",
        "1 h 30 min",
        "2 d 17 h",
    ]
    assert percent(2 / 3) == "66.7%"
