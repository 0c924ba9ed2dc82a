"""The reports' charts, drawn with the platform's one chart module (``core.charts``)."""

from datetime import datetime, timedelta

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

from core import charts

SEVERITY_COLOURS = {
    "SEV1": charts.SEVERITY_COLOURS["critical"],
    "SEV2": charts.SEVERITY_COLOURS["high"],
    "SEV3": charts.SEVERITY_COLOURS["medium"],
    "SEV4": charts.ACCENT,
}


def _days(start: datetime, end: datetime) -> list[datetime]:
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        first + timedelta(days=i)
        for i in range((end - first).days + 1)
        if first + timedelta(days=i) < end
    ]


# --- performance, trend and usage reports ------------------------------------------------


def day_starts(start: datetime, end: datetime) -> list[datetime]:
    """The start of each day (in ``start``'s zone) that [start, end) touches."""
    return _days(start, end)


def per_day(days: list[datetime], values: list[float], *, unit: str = "", height=2.4) -> str:
    """One bar per day (``values[i]`` on ``days[i]``)."""
    figure = charts.figure(9.0, height)
    axes = figure.add_subplot()
    charts.style(axes)
    axes.bar(days, values, width=0.8, color=charts.PRIMARY)
    if unit:
        axes.set_ylabel(unit, fontsize=8, color=charts.INK)
    axes.yaxis.get_major_locator().set_params(integer=True)
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return charts.svg_data_uri(figure)


def trend_forecast(
    times: list[datetime],
    values: list[float],
    fitted: list[float] | None,
    forecast_times: list[datetime],
    forecast: list[float],
    lower: list[float],
    upper: list[float],
    *,
    unit: str = "",
    forecast_label: str = "forecast",
    height: float = 3.0,
) -> str:
    """A metric's points, its least-squares line over them and a forecast after them with
    its 95% prediction interval as a band."""
    figure = charts.figure(9.0, height)
    axes = figure.add_subplot()
    charts.style(axes)
    axes.plot(times, values, color=charts.PRIMARY, linewidth=1.1, label="data")
    if fitted is not None:
        axes.plot(
            times,
            fitted,
            color=charts.INK,
            linewidth=1.1,
            linestyle="--",
            label="least-squares trend",
        )
    if forecast_times:
        colour = charts.SEVERITY_COLOURS["medium"]
        axes.fill_between(
            forecast_times, lower, upper, color=colour, alpha=0.2, linewidth=0, label="95% interval"
        )
        axes.plot(forecast_times, forecast, color=colour, linewidth=1.4, label=forecast_label)
    if unit:
        axes.set_ylabel(unit, fontsize=8, color=charts.INK)
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.legend(
        fontsize=7,
        frameon=False,
        ncols=4,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        borderaxespad=0.2,
    )
    return charts.svg_data_uri(figure)


def lines_with_target(
    times: list[datetime],
    series: dict[str, list[float | None]],
    *,
    unit: str = "",
    target: float | None = None,
    from_zero: bool = True,
    span: tuple[datetime, datetime] | None = None,
    height: float = 2.4,
) -> str:
    """Lines over time (None is a gap), from a zero baseline unless ``from_zero`` is
    False, with an optional dashed target, over the whole ``span`` when given (else
    over the data); the legend sits above the plot, clear of lines near the top."""
    figure = charts.figure(9.0, height)
    axes = figure.add_subplot()
    charts.style(axes)
    colours = [charts.PRIMARY, charts.SEVERITY_COLOURS["medium"], charts.ACCENT, charts.MUTED]
    for (label, values), colour in zip(series.items(), colours * 4, strict=False):
        data = np.array([np.nan if value is None else value for value in values], dtype=float)
        axes.plot(times, data, color=colour, linewidth=1.3, label=label)
    if target is not None:
        axes.axhline(
            target,
            color=charts.SEVERITY_COLOURS["critical"],
            linewidth=1,
            linestyle="--",
            label="target",
        )
    if from_zero:
        axes.set_ylim(bottom=0)
    if span is not None:
        axes.set_xlim(*span)
    if unit:
        axes.set_ylabel(unit, fontsize=8, color=charts.INK)
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.legend(
        fontsize=7,
        frameon=False,
        ncols=5,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        borderaxespad=0.2,
    )
    return charts.svg_data_uri(figure)


# --- SLO report -------------------------------------------------------------------------

SLO_STATE_SHADES = {
    "at_risk": charts.SEVERITY_COLOURS["medium"],
    "breached": charts.SEVERITY_COLOURS["critical"],
}
# Budget left below this is drawn at it, named in the panel: one SLO a thousand per cent
# over its budget would otherwise flatten the line of every healthy day.
BUDGET_FLOOR = -1.0


def _sli_decimals(objective: float) -> int:
    """Decimals that tell an SLI apart near its objective: 99.9% -> 2, 99% -> 1."""
    budget_percent = (1 - objective) * 100
    if budget_percent <= 0:
        return 2
    # Rounded first: 99.9 as a float leaves 0.0999999..., whose log is not quite -1.
    return max(0, int(np.ceil(round(-np.log10(budget_percent), 6))) + 1)


def _slo_panel(axes, panel: dict, start: datetime, end: datetime) -> None:
    charts.style(axes)
    axes.tick_params(labelsize=6.5)
    axes.set_title(panel["title"], fontsize=7.5, color=charts.INK, loc="left")
    axes.set_xlim(start, end)
    for span_start, span_end, state in panel["spans"]:
        if state in SLO_STATE_SHADES:
            axes.axvspan(
                span_start, span_end, color=SLO_STATE_SHADES[state], alpha=0.18, linewidth=0
            )
    budgets = [value for value in panel["budget"] if value is not None]
    lowest = min(budgets, default=0.0)
    data = np.array(
        [np.nan if value is None else max(value, BUDGET_FLOOR) * 100 for value in panel["budget"]],
        dtype=float,
    )
    if budgets:
        # An evaluation holds until the next one, the last until the end: steps.
        axes.step(
            [*panel["times"], end],
            [*data, data[-1]],
            where="post",
            color=charts.PRIMARY,
            linewidth=1.2,
        )
    else:
        axes.text(
            0.5,
            0.5,
            "No evaluations in this period",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=7,
            color=charts.MUTED,
        )
    axes.axhline(0, color=charts.SEVERITY_COLOURS["critical"], linewidth=0.8, linestyle="--")
    axes.axhline(25, color=charts.SEVERITY_COLOURS["medium"], linewidth=0.6, linestyle=":")
    bottom = max(min(lowest, 0.0), BUDGET_FLOOR) * 100
    axes.set_ylim(bottom - 5, 105)
    axes.set_ylabel("budget left %", fontsize=6.5, color=charts.INK)
    if lowest < BUDGET_FLOOR:
        axes.text(
            0.99,
            0.03,
            f"lowest {lowest * 100:.0f}% (off the scale)",
            transform=axes.transAxes,
            ha="right",
            va="bottom",
            fontsize=6,
            color=charts.SEVERITY_COLOURS["critical"],
        )
    # The SLI each budget level stands for: budget left = 1 - (1 - SLI) / (1 - objective).
    allowed = 1 - panel["objective"]
    sli_axis = axes.secondary_yaxis(
        "right",
        functions=(
            lambda left: 100 * (1 - (1 - left / 100) * allowed),
            lambda sli: 100 * (1 - (1 - sli / 100) / allowed),
        ),
    )
    sli_axis.tick_params(labelsize=6.5, colors=charts.INK)
    sli_axis.yaxis.set_major_formatter(f"{{x:.{_sli_decimals(panel['objective'])}f}}%")
    sli_axis.set_ylabel("SLI", fontsize=6.5, color=charts.INK)
    sli_axis.spines["right"].set_color(charts.MUTED)
    locator = AutoDateLocator(minticks=3, maxticks=6)
    axes.xaxis.set_major_locator(locator)
    # The report's header names the period: no year and month under every panel.
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))


def slo_budget_panels(
    panels: list[dict], *, start: datetime, end: datetime, columns: int = 2
) -> str:
    """Small multiples, one panel per SLO: its error budget left over [start, end) in
    percent (the left axis), the SLI that is on the right axis, the objective (0% left)
    dashed red and the at-risk line (25% left) dotted; the time it was at risk is shaded
    orange, breached red. Each budget holds until the next, the last until ``end``. Each
    panel: ``title``, ``times``, ``budget`` (ratios, None a gap), ``objective`` (a
    ratio) and ``spans`` [(start, end, state)]."""
    rows = max(1, -(-len(panels) // columns))
    figure = charts.figure(7.2, 0.25 + 1.75 * rows)
    grid = figure.subplots(rows, columns, squeeze=False, sharex=False)
    for index, axes in enumerate(grid.flat):
        if index < len(panels):
            _slo_panel(axes, panels[index], start, end)
        else:
            axes.set_visible(False)
    return charts.svg_data_uri(figure)


# --- incidents and executive reports ------------------------------------------------------


def incidents_per_day(
    counts: dict[str, dict[datetime, int]], start: datetime, end: datetime
) -> str:
    """Stacked bars: incidents triggered per UTC day, by severity (``counts`` is
    ``{severity: {day: n}}``), the legend above the plot where no bar reaches it."""
    days = _days(start, end)
    figure = charts.figure(9.0, 2.6)
    axes = figure.add_subplot()
    charts.style(axes)
    bottom = np.zeros(len(days))
    for severity, colour in SEVERITY_COLOURS.items():
        values = np.array([counts.get(severity, {}).get(day, 0) for day in days], dtype=float)
        if values.any():
            # Only the days it has: a bar of height 0 still draws a hairline.
            shown = np.flatnonzero(values)
            axes.bar(
                [days[i] for i in shown],
                values[shown],
                bottom=bottom[shown],
                width=0.8,
                color=colour,
                label=severity,
            )
        bottom += values
    axes.set_ylabel("incidents", fontsize=8, color=charts.INK)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if days:  # every day of the period, those without incidents too
        axes.set_xlim(days[0] - timedelta(hours=12), days[-1] + timedelta(hours=12))
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if bottom.any():
        axes.legend(
            fontsize=7,
            frameon=False,
            ncols=4,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            borderaxespad=0.2,
        )
    return charts.svg_data_uri(figure)
