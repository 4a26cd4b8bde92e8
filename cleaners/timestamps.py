"""The one UTC timestamp format of the project: ISO 8601 with a ``Z`` (``2026-06-08T12:00:00.123456Z``).

Records, stats, the dedup index, the state and the run log all write it; text in this form sorts as
time, which the SQL of the state store relies on. (WARC-Date keeps its own format: crawler.sinks.archive.)
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(moment: datetime | None = None) -> str:
    """``moment`` (now when None) in UTC, ISO 8601 with a Z; a naive datetime is taken as UTC."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
