"""Grouped bar charts as geometry for server-rendered SVG (`insights/_bar_chart.html`): no
JavaScript, no inline styles. Each series has a fill that survives black-and-white printing
(solid, hatched, dotted), and every chart is followed on its page by a table of its data."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 720
HEIGHT = 260
LEFT = 44
BOTTOM = 40
TOP = 12
GAP = 6
FILLS = ("#1d70b8", "url(#{key}-hatched)", "url(#{key}-dotted)", "#ffffff")
"""The fill of each series in turn: solid, hatched, dotted, open (patterns defined in the
chart's SVG, so they print in black and white)."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    fill: str


@dataclass(frozen=True)
class Group:
    label: str
    label_x: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """A chart's geometry: `groups` of bars, `ticks` (y, text) on the axis, `legend` (text,
    fill) and the names SVG needs (`key`, unique on the page)."""

    key: str
    title: str
    description: str
    width: int
    height: int
    left: int
    baseline: float
    groups: tuple[Group, ...]
    ticks: tuple[tuple[float, str], ...]
    legend: tuple[tuple[str, str], ...]


def _step(top: int) -> int:
    """A round tick interval giving about four ticks up to `top`."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if top / step <= 5:
            return step
    return max(1, top // 4)


def bar_chart(*, key: str, title: str, labels: list[str], series: dict[str, list[int]]) -> Chart:
    """A grouped bar chart: one group per label, one bar per series in each."""
    names = list(series)
    top = max((max(values, default=0) for values in series.values()), default=0)
    step = _step(max(top, 1))
    ceiling = step * max(1, -(-max(top, 1) // step))
    plot_height = HEIGHT - BOTTOM - TOP
    baseline = HEIGHT - BOTTOM
    group_width = (WIDTH - LEFT) / max(len(labels), 1)
    bar_width = (group_width - GAP * 2) / max(len(names), 1)
    groups = []
    for index, label in enumerate(labels):
        start = LEFT + index * group_width + GAP
        bars = []
        for number, name in enumerate(names):
            value = int(series[name][index])
            height = plot_height * value / ceiling
            bars.append(
                Bar(
                    x=round(start + number * bar_width, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width - 1, 1),
                    height=round(height, 1),
                    value=value,
                    fill=FILLS[number % len(FILLS)].format(key=key),
                )
            )
        groups.append(Group(label, round(start + (group_width - GAP * 2) / 2, 1), tuple(bars)))
    ticks = tuple(
        (round(baseline - plot_height * value / ceiling, 1), f"{value:,}")
        for value in range(0, ceiling + 1, step)
    )
    legend = tuple(
        (name, FILLS[number % len(FILLS)].format(key=key)) for number, name in enumerate(names)
    )
    description = "; ".join(
        f"{label}: " + ", ".join(f"{name} {series[name][i]:,}" for name in names)
        for i, label in enumerate(labels)
    )
    return Chart(
        key=key,
        title=title,
        description=description,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        baseline=baseline,
        groups=tuple(groups),
        ticks=ticks,
        legend=legend,
    )
