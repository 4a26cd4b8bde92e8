"""Cron expressions, one dialect for the whole project: crontab(5)'s five fields or an ``@daily``-style macro.

sites.yaml's ``schedule`` is checked here when the file is loaded (a mistake is refused with the field
named, whatever runs it later), and the scheduler builds its APScheduler trigger here from the same
parse, so what was accepted is what fires.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {
    name: i
    for i, name in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAYS = {name: i for i, name in enumerate(DAY_NAMES)}
# (name, low, high, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


def cron_fields(expression: str) -> list[str]:
    """The five fields (lower case, macros expanded) of a valid expression; ValueError says what is wrong."""
    expression = " ".join(expression.split())
    fields = MACROS.get(expression.lower(), expression).split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"cron expression needs 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    fields = [text.lower() for text in fields]
    for text, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for item in text.split(","):
            _check_item(item, name, low, high, names)
    return fields


def validate_cron(expression: str) -> str:
    """Check a standard 5-field cron expression (or @daily-style macro); raise ValueError saying what is
    wrong. Returns the expression with its whitespace collapsed."""
    cron_fields(expression)
    return " ".join(expression.split())


def _check_item(item: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    def number(token: str) -> int:
        if token in names:
            return names[token]
        if not token.isdigit():
            raise ValueError(f"cron {name}: {token!r} is not a number")
        value = int(token)
        if not low <= value <= high:
            raise ValueError(f"cron {name}: {value} out of range {low}-{high}")
        return value

    base, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"cron {name}: bad step {step!r}")
    if base == "*":
        return
    if "-" in base:
        start, _, end = base.partition("-")
        if number(start) > number(end):
            raise ValueError(f"cron {name}: range {base!r} runs backwards")
    else:
        number(base)


def _cron_days(field_text: str) -> list[int]:
    """A (valid) day-of-week field -> sorted day numbers, 0 = Sunday (7 is Sunday too)."""

    def number(token: str) -> int:
        return _DAYS[token] if token in _DAYS else int(token)

    days: set[int] = set()
    for item in field_text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = 0, 6
        elif "-" in base:
            low, _, high = base.partition("-")
            start, end = number(low), number(high)
        else:
            start = number(base)
            end = 6 if step_text else start  # "1/2" means 1-6/2 in Vixie cron
        days.update(value % 7 for value in range(start, end + 1, step))
    return sorted(days)


def cron_trigger(expression: str, timezone: tzinfo | str | None = None) -> Any:
    """An APScheduler trigger that fires exactly when crontab(5) would for this expression."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    minute, hour, dom, month, dow = cron_fields(expression)
    common = {"minute": minute, "hour": hour, "month": month, "timezone": timezone}
    dow_names = "*" if dow == "*" else ",".join(DAY_NAMES[d] for d in _cron_days(dow))
    if not dom.startswith("*") and not dow.startswith("*"):
        # crontab: "1 * 1" with a weekday means the 1st OR that weekday.
        return OrTrigger([CronTrigger(day=dom, **common), CronTrigger(day_of_week=dow_names, **common)])
    return CronTrigger(day=dom, day_of_week=dow_names, **common)
