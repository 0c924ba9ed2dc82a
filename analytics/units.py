"""Numbers as people read them: durations in hours and minutes, sizes in MiB, ratios in
percent; anything else with four significant digits and its unit."""


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def humanize(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "seconds":
        return _duration(value)
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    if unit == "ratio":
        return f"{value * 100:.4g}%"
    return f"{value:.4g} {unit}".strip()
