"""AWS schedule expressions, parsed and evaluated; pure (no clock, no I/O).

Grammar (EventBridge User Guide, "Schedule expressions for rules"; EventBridge Scheduler User
Guide, "Schedule types"):

- ``rate(value unit)``: value a positive integer; unit ``minute``/``hour``/``day`` when the
  value is 1, ``minutes``/``hours``/``days`` otherwise (AWS rejects ``rate(1 minutes)`` and
  ``rate(5 minute)``). A rate fires every period after its anchor (when the schedule was
  created or first seen).
- ``cron(Minutes Hours Day-of-month Month Day-of-week Year)``, in UTC: six fields; ``* , - /``
  everywhere; ``?`` in exactly one of day-of-month and day-of-week; ``L`` (last day of the
  month; in day-of-week ``L`` alone is Saturday and ``nL`` the last weekday n of the month),
  ``W`` (``nW`` the weekday nearest day n, within the month; ``LW`` the last weekday) in
  day-of-month; ``#`` (``d#k``, the k-th weekday d of the month) in day-of-week; months
  ``JAN``-``DEC``; weekdays ``SUN``-``SAT`` = 1-7 (Sunday is 1, unlike Unix cron); years
  1970-2199.
- ``at(yyyy-mm-ddThh:mm:ss)``: one time, EventBridge Scheduler only (``allow_at``).

Why not a library: croniter speaks Unix cron (5 fields, Sunday 0, no year field, no ``?``);
pyawscron and aws-croniter target this dialect but are small, rarely maintained projects with
their own quirks, and what they accept had to be checked against AWS's rules anyway, so the
parser is here, with tests on every wildcard. Anything invalid raises
``InvalidScheduleExpression`` with the message AWS's ValidationException carries.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MESSAGE = "Parameter ScheduleExpression is not valid."

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
MIN_YEAR, MAX_YEAR = 1970, 2199

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


class InvalidScheduleExpression(ValueError):
    """An expression AWS would reject: ``ValidationException`` with ``MESSAGE``."""

    code = "ValidationException"

    def __init__(self, expression: str) -> None:
        super().__init__(MESSAGE)
        self.expression = expression


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, after: float, anchor: float) -> float | None:
        """The first fire time strictly after ``after``: ``anchor + k * period``, k >= 1."""
        periods = max(int((after - anchor) // self.seconds) + 1, 1)
        return anchor + periods * self.seconds


@dataclass(frozen=True)
class At:
    when: float

    def next_after(self, after: float, anchor: float) -> float | None:
        return self.when if self.when > after else None


@dataclass(frozen=True)
class _DayOfMonth:
    days: frozenset[int] = frozenset()  # plain days, 1-31
    last: bool = False  # L
    last_weekday: bool = False  # LW
    nearest_weekday: int | None = None  # nW

    def matches(self, day: date) -> bool:
        length = calendar.monthrange(day.year, day.month)[1]
        if self.last:
            return day.day == length
        if self.last_weekday:
            return day == _weekday_on_or_before(day.replace(day=length))
        if self.nearest_weekday is not None:
            return day == _nearest_weekday(day.year, day.month, self.nearest_weekday)
        return day.day in self.days


@dataclass(frozen=True)
class _DayOfWeek:
    days: frozenset[int] = frozenset()  # AWS weekdays, SUN=1 ... SAT=7
    last_of_month: int | None = None  # nL
    nth: tuple[int, int] | None = None  # d#k

    def matches(self, day: date) -> bool:
        weekday = aws_weekday(day)
        length = calendar.monthrange(day.year, day.month)[1]
        if self.last_of_month is not None:
            return weekday == self.last_of_month and day.day + 7 > length
        if self.nth is not None:
            wanted, k = self.nth
            return weekday == wanted and (day.day - 1) // 7 + 1 == k
        return weekday in self.days


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: _DayOfMonth | None  # None: "?"
    day_of_week: _DayOfWeek | None  # None: "?"

    def matches_day(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.day_of_month is not None:
            return self.day_of_month.matches(day)
        assert self.day_of_week is not None
        return self.day_of_week.matches(day)

    def next_after(self, after: float, anchor: float) -> float | None:
        """The first matching minute strictly after ``after`` (UTC); None if none is left."""
        start = datetime.fromtimestamp(after, UTC).replace(second=0, microsecond=0)
        start += timedelta(minutes=1)
        hours = sorted(self.hours)
        minutes = sorted(self.minutes)
        for year in sorted(y for y in self.years if y >= start.year):
            for month in sorted(self.months):
                if (year, month) < (start.year, start.month):
                    continue
                first = start.day if (year, month) == (start.year, start.month) else 1
                length = calendar.monthrange(year, month)[1]
                for day_number in range(first, length + 1):
                    day = date(year, month, day_number)
                    if not self.matches_day(day):
                        continue
                    for hour in hours:
                        for minute in minutes:
                            moment = datetime(year, month, day_number, hour, minute, tzinfo=UTC)
                            if moment >= start:
                                return moment.timestamp()
        return None


Schedule = Rate | Cron | At


def parse(expression: str, *, allow_at: bool = False) -> Schedule:
    """Parse an AWS schedule expression; raises ``InvalidScheduleExpression``."""
    if (match := _RATE.match(expression)) is not None:
        value, unit = int(match.group(1)), match.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise InvalidScheduleExpression(expression)
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    if (match := _CRON.match(expression)) is not None:
        return _cron(expression, match.group(1))
    if allow_at and (match := _AT.match(expression)) is not None:
        try:
            when = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidScheduleExpression(expression) from None
        return At(when.timestamp())
    raise InvalidScheduleExpression(expression)


def aws_weekday(day: date) -> int:
    """SUN=1 ... SAT=7."""
    return (day.weekday() + 1) % 7 + 1


def _cron(expression: str, body: str) -> Cron:
    fields = body.split(" ")
    if len(fields) != 6 or any(not field for field in fields):
        raise InvalidScheduleExpression(expression)
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):  # exactly one of them must be "?"
        raise InvalidScheduleExpression(expression)
    try:
        return Cron(
            minutes=_values(minutes, 0, 59),
            hours=_values(hours, 0, 23),
            months=_values(month, 1, 12, MONTHS),
            years=_values(year, MIN_YEAR, MAX_YEAR),
            day_of_month=None if dom == "?" else _day_of_month(dom),
            day_of_week=None if dow == "?" else _day_of_week(dow),
        )
    except ValueError:
        raise InvalidScheduleExpression(expression) from None


def _number(text: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    if names is not None and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise ValueError(text)
    value = int(text)
    if not low <= value <= high:
        raise ValueError(text)
    return value


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """A field of ``*``, numbers, names, ranges and steps, separated by commas."""
    values: set[int] = set()
    for item in field.split(","):
        base, slash, step_text = item.partition("/")
        step = _number(step_text, 1, high) if slash else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            start_text, _, end_text = base.partition("-")
            first = _number(start_text, low, high, names)
            last = _number(end_text, low, high, names)
            if first > last:
                raise ValueError(item)
        else:
            first = _number(base, low, high, names)
            last = high if slash else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _day_of_month(field: str) -> _DayOfMonth:
    if field == "L":
        return _DayOfMonth(last=True)
    if field == "LW":
        return _DayOfMonth(last_weekday=True)
    if field.endswith("W"):
        return _DayOfMonth(nearest_weekday=_number(field[:-1], 1, 31))
    return _DayOfMonth(days=_values(field, 1, 31))


def _day_of_week(field: str) -> _DayOfWeek:
    if field == "L":
        return _DayOfWeek(days=frozenset({7}))
    if field.endswith("L"):
        return _DayOfWeek(last_of_month=_number(field[:-1], 1, 7, WEEKDAYS))
    if "#" in field:
        day_text, _, k_text = field.partition("#")
        return _DayOfWeek(nth=(_number(day_text, 1, 7, WEEKDAYS), _number(k_text, 1, 5)))
    return _DayOfWeek(days=_values(field, 1, 7, WEEKDAYS))


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _nearest_weekday(year: int, month: int, wanted: int) -> date | None:
    """The weekday nearest ``wanted`` in its month, not crossing into another month; None when
    the month has no such day (e.g. 31W in April)."""
    length = calendar.monthrange(year, month)[1]
    if wanted > length:
        return None
    day = date(year, month, wanted)
    if day.weekday() == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - timedelta(days=1) if wanted > 1 else day + timedelta(days=2)
    if day.weekday() == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + timedelta(days=1) if wanted < length else day - timedelta(days=2)
    return day
