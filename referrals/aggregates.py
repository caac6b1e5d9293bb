"""SQL for the reports' figures that Django does not spell: a duration in seconds and a percentile, worked out by
the database so that a report never loads the records it counts. PostgreSQL has both; on SQLite (the demo's
embedded database) the percentile is a small function registered on each connection."""

import math

from django.db.backends.signals import connection_created
from django.db.models import Aggregate, FloatField, Func


class Seconds(Func):
    """The seconds in a difference of two moments (`F("b") - F("a")`)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite's difference of two moments is in microseconds.
        return self.as_sql(compiler, connection, template="((%(expressions)s) / 1000000.0)", **extra)


class Percentile(Aggregate):
    """The continuous percentile (`fraction` 0.5 is the median): the value below which that share of the values
    fall, interpolated between the two nearest, as PostgreSQL's `percentile_cont` gives it."""

    function = "PERCENTILE_CONT"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction is between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        template = f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = f"safeguard_percentile(%(expressions)s, {self.fraction!r})%(filter)s"
        return super().as_sql(compiler, connection, template=template, **extra)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SqlitePercentile:
    def __init__(self):
        self.values, self.fraction = [], 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


def _register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("safeguard_percentile", 2, _SqlitePercentile)


def aggregates_register() -> None:
    connection_created.connect(_register, dispatch_uid="safeguard_percentile")
