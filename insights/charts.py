"""Charts of the insights app, drawn with the platform's one chart module
(``core.charts``): the dashboard shows them, and the reports can print the same."""

from datetime import date

from core import charts


def _week_labels(mondays: list[date]) -> list[str]:
    """Each Monday's day, with its month under it where the month changes: 7/Sep, 14..."""
    return [
        f"{monday.day}\n{monday:%b}"
        if n == 0 or monday.month != mondays[n - 1].month
        else str(monday.day)
        for n, monday in enumerate(mondays)
    ]


def incidents_per_week(weeks: list[tuple[date, int]], *, current_week_partial: bool = True) -> str:
    """Bars of incidents triggered per week, oldest first, as an ``<img src>`` data URI.
    ``weeks`` is ``[(Monday, count)]``; the last week, still running, is drawn lighter."""
    figure = charts.figure(4.8, 2.3)
    axes = figure.add_subplot()
    charts.style(axes)
    axes.grid(False, axis="x")
    positions = list(range(len(weeks)))
    counts = [count for _, count in weeks]
    colours = [charts.PRIMARY] * len(weeks)
    if weeks and current_week_partial:
        colours[-1] = charts.ACCENT
    bars = axes.bar(positions, counts, width=0.7, color=colours)
    axes.bar_label(bars, labels=[str(c) if c else "" for c in counts], fontsize=7, color=charts.INK)
    axes.set_xticks(positions, labels=_week_labels([monday for monday, _ in weeks]), fontsize=7)
    axes.tick_params(axis="x", length=0)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylim(0, max([*counts, 1]) * 1.18)
    axes.set_ylabel("incidents", fontsize=8, color=charts.INK)
    return charts.svg_data_uri(figure)
