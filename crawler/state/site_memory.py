"""What presswash remembers about each site across runs, in the crawl's state store: the lines of its
recent articles and the templates learned from them (cleaners/site_template.py), and one health row per
run (crawler/health.py). The interface is crawler.state.interfaces.SiteMemory; here are its two backends.

The same location as the rest of the state (``state.path``, ``$PRESSWASH_STATE_PATH``): a SQLite file
(its own ``site_*`` tables beside crawler.state's, created on first use) or, for a scaled-out crawl,
Redis (keys ``PREFIX:site:*``). Kept apart from the StateStore's backends, so that the state's own
schema and migrations are not touched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cleaners.config import ConfigError
from cleaners.site_template import LearnedTemplate
from crawler.config import is_redis_location
from crawler.state.interfaces import SiteMemory

_SCHEMA = """
CREATE TABLE IF NOT EXISTS site_lines (
    site TEXT NOT NULL, seq INTEGER NOT NULL, lines TEXT NOT NULL, PRIMARY KEY (site, seq)
);
CREATE TABLE IF NOT EXISTS site_templates (
    site TEXT NOT NULL, version TEXT NOT NULL, learned TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (site, version)
);
CREATE TABLE IF NOT EXISTS site_health (
    site TEXT NOT NULL, run_id TEXT NOT NULL, finished_at TEXT NOT NULL, row TEXT NOT NULL,
    PRIMARY KEY (site, run_id)
);
"""


def open_site_memory(location: str | os.PathLike[str], *, readonly: bool = False) -> SiteMemory:
    """The memory at a state location: a file path (SQLite) or ``redis://...?prefix=NAME``."""
    text = str(location)
    if is_redis_location(text):
        return RedisSiteMemory(text)
    if "://" in text:
        raise ConfigError(f"state.path: {text}: unknown state backend")
    return SqliteSiteMemory(text, readonly=readonly)


class SqliteSiteMemory:
    """The ``site_*`` tables of the state file."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            self.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            self._readonly = True
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=30)
            self.conn.executescript(_SCHEMA)
            self._readonly = False

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self.conn:
            yield self.conn

    def _has_tables(self) -> bool:
        row = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'site_health'").fetchone()
        return bool(row and row[0])

    def recent_lines(self, site: str) -> list[dict[str, str]]:
        if self._readonly and not self._has_tables():
            return []
        rows = self.conn.execute("SELECT lines FROM site_lines WHERE site = ? ORDER BY seq", (site,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def save_lines(self, site: str, recent: list[dict[str, str]]) -> None:
        """Replace the site's window (it is small: ``window`` articles' short lines)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM site_lines WHERE site = ?", (site,))
            conn.executemany(
                "INSERT INTO site_lines (site, seq, lines) VALUES (?, ?, ?)",
                [(site, seq, json.dumps(lines, ensure_ascii=False)) for seq, lines in enumerate(recent)],
            )

    def save_template(self, template: LearnedTemplate, created_at: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO site_templates (site, version, learned, created_at) VALUES (?, ?, ?, ?)",
                (template.site, template.version, json.dumps(template.to_dict(), ensure_ascii=False), created_at),
            )

    def templates(self, site: str) -> list[tuple[str, LearnedTemplate]]:
        """(created_at, template), oldest first."""
        if self._readonly and not self._has_tables():
            return []
        rows = self.conn.execute(
            "SELECT created_at, learned FROM site_templates WHERE site = ? ORDER BY created_at, version", (site,)
        ).fetchall()
        return [(row[0], LearnedTemplate.from_dict(json.loads(row[1]))) for row in rows]

    def put_health(self, site: str, run_id: str, finished_at: str, row: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO site_health (site, run_id, finished_at, row) VALUES (?, ?, ?, ?)",
                (site, run_id, finished_at, json.dumps(row, ensure_ascii=False, sort_keys=True)),
            )

    def health(self, site: str | None, runs: int) -> list[dict[str, Any]]:
        """The last ``runs`` rows of each site (or of one), oldest first per site."""
        if self._readonly and not self._has_tables():
            return []
        query = (
            "SELECT row FROM (SELECT site, finished_at, run_id, row, ROW_NUMBER() OVER "
            "(PARTITION BY site ORDER BY finished_at DESC, run_id DESC) AS n FROM site_health {where}) "
            "WHERE n <= ? ORDER BY site, finished_at, run_id"
        )
        if site:
            rows = self.conn.execute(query.format(where="WHERE site = ?"), (site, runs)).fetchall()
        else:
            rows = self.conn.execute(query.format(where=""), (runs,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def close(self) -> None:
        self.conn.close()


class RedisSiteMemory:
    """The same, in the shared crawl's Redis: ``PREFIX:site:lines:SITE`` (a list, the window),
    ``PREFIX:site:templates:SITE`` and ``PREFIX:site:health:SITE`` (hashes), ``PREFIX:site:names`` (a set)."""

    def __init__(self, location: str) -> None:
        import redis

        from crawler.state.redis_store import split_location

        url, self.prefix = split_location(location)
        self.client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise ConfigError(f"state.path: {url}: Redis does not answer: {exc}") from None

    def _key(self, kind: str, site: str) -> str:
        return f"{self.prefix}:site:{kind}:{site}"

    def recent_lines(self, site: str) -> list[dict[str, str]]:
        return [json.loads(v) for v in self.client.lrange(self._key("lines", site), 0, -1)]

    def save_lines(self, site: str, recent: list[dict[str, str]]) -> None:
        key = self._key("lines", site)
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        if recent:
            pipe.rpush(key, *[json.dumps(lines, ensure_ascii=False) for lines in recent])
        pipe.execute()

    def save_template(self, template: LearnedTemplate, created_at: str) -> None:
        value = json.dumps({"created_at": created_at, "learned": template.to_dict()}, ensure_ascii=False)
        self.client.hsetnx(self._key("templates", template.site), template.version, value)

    def templates(self, site: str) -> list[tuple[str, LearnedTemplate]]:
        found = [json.loads(v) for v in self.client.hgetall(self._key("templates", site)).values()]
        found.sort(key=lambda item: (item["created_at"], item["learned"]["version"]))
        return [(item["created_at"], LearnedTemplate.from_dict(item["learned"])) for item in found]

    def put_health(self, site: str, run_id: str, finished_at: str, row: dict[str, Any]) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self._key("health", site), run_id, json.dumps(row, ensure_ascii=False, sort_keys=True))
        pipe.sadd(f"{self.prefix}:site:names", site)
        pipe.execute()

    def health(self, site: str | None, runs: int) -> list[dict[str, Any]]:
        names = [site] if site else sorted(n.decode() for n in self.client.smembers(f"{self.prefix}:site:names"))
        out: list[dict[str, Any]] = []
        for name in names:
            rows = [json.loads(v) for v in self.client.hgetall(self._key("health", name)).values()]
            rows.sort(key=lambda row: (row.get("finished_at") or "", row.get("run_id") or ""))
            out.extend(rows[-runs:])
        return out

    def close(self) -> None:
        self.client.close()
