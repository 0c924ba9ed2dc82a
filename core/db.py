"""Database functions that work the same on PostgreSQL and SQLite.

SQLite has no percentile aggregate; ``register_sqlite_functions`` adds one (run for
each new SQLite connection), so percentiles are still computed by the database, in
the same query as everything else.
"""

import math

from django.db.models import Aggregate, FloatField, Func


class SecondsBetween(Func):
    """``end - start`` in seconds, as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, start, end, **extra):
        super().__init__(start, end, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::double precision", [
            *end_params,
            *start_params,
        ]

    def as_sqlite(self, compiler, connection, **extra):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        # SQLite date functions keep milliseconds; rounding there drops float noise.
        return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)", [
            *end_params,
            *start_params,
        ]


class EpochSeconds(Func):
    """A timestamp as Unix seconds (float): what numpy-side statistics take."""

    output_field = FloatField()
    arity = 1

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(EPOCH FROM {sql})::double precision", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # julianday keeps milliseconds; 2440587.5 is the Julian day of the Unix epoch.
        return f"ROUND((julianday({sql}) - 2440587.5) * 86400.0, 3)", params


class Percentile(Aggregate):
    """The continuous percentile (linear interpolation, like PostgreSQL's
    ``percentile_cont`` and numpy's default) of a numeric expression; NULLs ignored."""

    name = "Percentile"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {sql})", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"percentile_cont({sql}, {self.fraction!r})", params


class _PercentileCont:
    def __init__(self):
        self.values = []
        self.fraction = None

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        values = sorted(self.values)
        position = self.fraction * (len(values) - 1)
        lower = math.floor(position)
        upper = min(lower + 1, len(values) - 1)
        return values[lower] + (values[upper] - values[lower]) * (position - lower)


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentile_cont", 2, _PercentileCont)
