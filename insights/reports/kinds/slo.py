"""Being written."""

TEMPLATE = "reports/base.html"


def build(period, params):
    raise NotImplementedError
