"""``/metrics`` gauges for every SLO, read from its latest stored evaluation at scrape
time (so every web process reports the same figures, and a scrape costs two queries)."""

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class SLOCollector(Collector):
    def collect(self):
        from observability import selectors

        labels = ["slo", "name", "service"]
        sli = GaugeMetricFamily(
            "slo_sli_ratio", "SLI over the SLO's window (good/total).", labels=labels
        )
        budget = GaugeMetricFamily(
            "slo_error_budget_remaining_ratio",
            "Share of the error budget left in the SLO's window (negative when overspent).",
            labels=labels,
        )
        burn = GaugeMetricFamily(
            "slo_burn_rate",
            "Error ratio over the window divided by the error budget (1 spends it exactly).",
            labels=[*labels, "window"],
        )
        slos = list(selectors.slo_list())
        latest = selectors.slo_latest_evaluations(slos)
        for slo in slos:
            evaluation = latest.get(slo.pk)
            if evaluation is None:
                continue
            values = [str(slo.pk), slo.name, slo.service.slug]
            if evaluation.sli is not None:
                sli.add_metric(values, evaluation.sli)
            if evaluation.budget_remaining is not None:
                budget.add_metric(values, evaluation.budget_remaining)
            for window, rate in sorted(evaluation.burn_rates.items()):
                if rate is not None:
                    burn.add_metric([*values, window], rate)
        yield sli
        yield budget
        yield burn
