"""Bar-chart geometry for the server-rendered SVG charts."""

from __future__ import annotations

from threshold.web.insights.charts import BOTTOM, HEIGHT, TOP, bar_chart


def test_bars_scale_to_a_round_ceiling_and_patterns_tell_series_apart() -> None:
    chart = bar_chart(
        key="k", title="By month", labels=["Sep", "Oct"], series={"A": [10, 5], "B": [0, 20]}
    )
    plot = HEIGHT - BOTTOM - TOP
    tallest = chart.groups[1].bars[1]
    assert tallest.height == plot  # 20 is the ceiling (ticks of 5)
    assert chart.groups[0].bars[0].height == plot / 2
    assert chart.groups[0].bars[1].height == 0
    assert [text for _, text in chart.ticks] == ["0", "5", "10", "15", "20"]
    assert [fill for _, fill in chart.legend] == ["#1d70b8", "url(#k-hatched)"]
    assert chart.description == "Sep: A 10, B 0; Oct: A 5, B 20"


def test_an_empty_chart_has_an_axis() -> None:
    chart = bar_chart(key="k", title="t", labels=["Sep"], series={"A": [0]})
    assert chart.groups[0].bars[0].height == 0
    assert [text for _, text in chart.ticks] == ["0", "1"]
