"""Charts drawn on the server (matplotlib, Agg): one look for every chart the platform
draws, in the admin and in documents. Figures are made with ``Figure`` directly, not
pyplot, so nothing is shared between threads or requests."""

import base64
import io

import matplotlib

matplotlib.use("Agg")
# Text as SVG text, not glyph outlines: a chart draws in half the time (the dashboard draws
# one on a request) and is a quarter smaller. Set once for the process, not per chart: a
# setting changed around one drawing would leak into another thread's.
matplotlib.rcParams["svg.fonttype"] = "none"

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

# The admin's palette, so a chart sits in its page.
INK = "#333333"
MUTED = "#888888"
GRID = "#e6e6e6"
PRIMARY = "#417690"
ACCENT = "#79aec8"
SEVERITY_COLOURS = {
    "low": "#c9a227",
    "medium": "#e67e22",
    "high": "#d35400",
    "critical": "#ba2121",
}


def figure(width: float = 9.0, height: float = 3.2) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    figure.patch.set_facecolor("white")
    return figure


def style(axes) -> None:
    axes.grid(True, color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(MUTED)
    axes.tick_params(colors=INK, labelsize=8)


def svg(figure: Figure) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def svg_data_uri(figure: Figure) -> str:
    """An ``<img src>`` for the chart: an image cannot run anything, whatever its text."""
    encoded = base64.b64encode(svg(figure).encode()).decode()
    return f"data:image/svg+xml;base64,{encoded}"


def warm_up() -> None:
    """Draw and discard a chart with the parts the platform's charts use (bars, lines, tick
    labels, bar labels, a legend, dates), so a process's first real chart is not slowed by
    matplotlib loading its fonts and settings."""
    chart = figure(4.0, 2.0)
    axes = chart.add_subplot()
    style(axes)
    bars = axes.bar([0, 1, 2], [1, 2, 3], color=PRIMARY, label="warm")
    axes.bar_label(bars, labels=["1", "2", "3"], fontsize=7)
    axes.plot([0, 1, 2], [3, 2, 1], color=ACCENT, label="up")
    axes.set_xticks([0, 1, 2], labels=["a\nb", "c", "d"], fontsize=7)
    axes.set_ylabel("warm", fontsize=8)
    axes.legend(fontsize=7, frameon=False)
    svg(chart)
