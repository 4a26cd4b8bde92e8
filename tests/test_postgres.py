"""crawler.sinks.postgres and its pipeline against a real PostgreSQL: the table follows the article
schema, rows equal the JSON lines, loading is idempotent and only moves versions forward, and a server
that is down never costs an article or the crawl. Each test works in its own schema (tests/services.py),
dropped afterwards."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from services import import_or_unavailable, postgres_schema

from cleaners.article import Article, Removal
from cleaners.config import ConfigError
from cleaners.jsonl import JsonlWriter, read_jsonl
from cleaners.text import content_hash, stable_id, word_count
from crawler.cli.load import add_load_arguments, load_command
from crawler.pipelines.postgres import PostgresPipeline
from crawler.sinks.postgres import (
    ARTICLE_COLUMNS,
    EXTRA_COLUMNS,
    MIGRATIONS_TABLE,
    SCHEMA_VERSION,
    PostgresSchemaError,
    ensure_schema,
    fetch_records,
    upsert_articles,
)

psycopg = import_or_unavailable("psycopg", "pip install -e '.[dev]'")
sql = import_or_unavailable("psycopg.sql", "pip install -e '.[dev]'")


def make_article(n: int, *, version: int = 1, extra: str = "", text: str | None = None) -> Article:
    """A valid article with every kind of field filled (lists, removals, non-ASCII text, floats)."""
    paragraphs = [
        text or f"Paragraph one of story {n}: the harbour authority approved the ferry terminal {extra}".strip(),
        "Zweiter Absatz mit Umlauten: Grüße aus Köln, «quotes» and an emoji-free dash — done.",
    ]
    body = "\n\n".join(paragraphs)
    return Article(
        id=stable_id(f"url:https://news.example/{n}"),
        version=version,
        url=f"https://news.example/{n}?utm_source=rss",
        canonical_url=f"https://news.example/{n}" if n % 2 else None,
        source_path=None,
        site="demo",
        title=f"Story {n}",
        authors=["Ana Pérez", "Jo Smith"] if n % 3 else [],
        published="2026-06-01T09:00:00+02:00" if n % 2 else None,
        description=None,
        tags=["port", "transport"],
        language="en",
        language_score=0.9999957284 if n % 2 else None,
        html_lang="en-GB",
        text=body,
        paragraphs=paragraphs,
        word_count=word_count(body),
        content_hash=content_hash(paragraphs),
        removed=[Removal(rule="share_bar.buttons", kind="share_bar", text="Share on Facebook")] if n % 2 else [],
        fetched_at="2026-06-08T12:00:00.123456Z",
        rules_version="r1",
    )


@pytest.fixture
def pg() -> Iterator[tuple[str, str]]:
    with postgres_schema("pg") as (dsn, schema):
        yield dsn, schema


def write_lines(path: Path, articles: list[Article]) -> Path:
    with JsonlWriter(path) as writer:
        for item in articles:
            writer.write_line(item.to_json_line())
    return path


def load(paths: list[Path], dsn: str, schema: str) -> int:
    parser = argparse.ArgumentParser()
    add_load_arguments(parser)
    args = parser.parse_args([*map(str, paths), "--postgres", dsn, "--schema", schema, "--batch-size", "7"])
    return load_command(args)


def snapshot(dsn: str, schema: str) -> list[tuple[Any, ...]]:
    """Every row with its physical version (xmin) and updated_at: equal snapshots mean nothing was written."""
    with psycopg.connect(dsn) as conn:
        query = sql.SQL("SELECT id, version, xmin::text, updated_at, record_hash FROM {} ORDER BY id")
        return conn.execute(query.format(sql.Identifier(schema, "articles"))).fetchall()


def test_migrations_create_every_article_field_once(pg: tuple[str, str]) -> None:
    dsn, schema = pg
    with psycopg.connect(dsn) as conn:
        ensure_schema(conn, schema)
        ensure_schema(conn, schema)  # a second start migrates nothing
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = "
                "'articles' ORDER BY ordinal_position",
                (schema,),
            )
        ]
        assert sorted(columns) == sorted([*ARTICLE_COLUMNS, *EXTRA_COLUMNS]), "a new Article field needs a migration"
        types = dict(
            conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = 'articles'",
                (schema,),
            ).fetchall()
        )
        assert {types[c] for c in ("authors", "tags", "paragraphs", "removed")} == {"jsonb"}
        versions = conn.execute(sql.SQL("SELECT version FROM {}").format(sql.Identifier(schema, MIGRATIONS_TABLE)))
        assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))
        conn.execute(
            sql.SQL("INSERT INTO {} (version, description) VALUES (99, 'from the future')").format(
                sql.Identifier(schema, MIGRATIONS_TABLE)
            )
        )
        conn.commit()
        with pytest.raises(PostgresSchemaError, match="schema version 99 is newer"):
            ensure_schema(conn, schema)


def test_rows_equal_the_json_lines_and_a_second_load_changes_nothing(
    pg: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn, schema = pg
    first = write_lines(tmp_path / "demo" / "2026-06-08.jsonl", [make_article(n) for n in range(12)])
    second = write_lines(tmp_path / "demo" / "2026-06-09.jsonl", [make_article(n) for n in range(12, 20)])
    with first.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "torn')  # a crash mid-line: skipped, never half-loaded
    assert load([first, second], dsn, schema) == 0
    assert "inserted 20, updated 0, unchanged 0" in capsys.readouterr().err
    expected = sorted([*read_jsonl(first), *read_jsonl(second)], key=lambda r: r["id"])
    with psycopg.connect(dsn) as conn:
        assert fetch_records(conn, schema) == expected  # every field, nested lists and floats included

    before = snapshot(dsn, schema)
    assert load([first, second], dsn, schema) == 0
    assert "inserted 0, updated 0, unchanged 20" in capsys.readouterr().err
    assert snapshot(dsn, schema) == before  # not a single row rewritten


def test_a_newer_version_replaces_an_older_one_never_the_reverse(pg: tuple[str, str]) -> None:
    dsn, schema = pg
    v1, v2 = make_article(1), make_article(1, version=2, extra="(updated)")
    with psycopg.connect(dsn) as conn:
        names = ensure_schema(conn, schema)
        assert upsert_articles(conn, [v1], names=names).inserted == 1
        counts = upsert_articles(conn, [v2], names=names)
        assert (counts.inserted, counts.updated) == (0, 1)
        counts = upsert_articles(conn, [v1], names=names)  # a late replay of the old version
        assert (counts.updated, counts.unchanged) == (0, 1)
        # Both versions in one batch (one statement may not touch a row twice): the newest wins.
        assert upsert_articles(conn, [v2, v1], names=names).unchanged == 2
        conn.commit()
        (row,) = fetch_records(conn, schema)
    assert row["version"] == 2 and row["text"] == v2.text


def test_same_version_with_other_text_ends_the_same_in_any_order(pg: tuple[str, str]) -> None:
    dsn, schema = pg
    a, b = make_article(3, extra="(copy a)"), make_article(3, extra="(copy b)")
    results = []
    for order in ([a, b], [b, a]):
        with psycopg.connect(dsn) as conn:
            names = ensure_schema(conn, schema)
            conn.execute(sql.SQL("TRUNCATE {}").format(names.articles))
            for item in order:
                upsert_articles(conn, [item], names=names)
            conn.commit()
            results.append(fetch_records(conn, schema))
    assert results[0] == results[1]


def test_lines_that_are_not_articles_are_counted_and_the_rest_loaded(
    pg: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn, schema = pg
    path = tmp_path / "mixed.jsonl"
    with JsonlWriter(path) as writer:
        writer.write_line(make_article(1).to_json_line())
        writer.write({"url": "https://news.example/x", "outcome": "failed"})  # a URL-ledger line
        writer.write_line(
            make_article(2, text="A NUL \x00 that PostgreSQL text cannot hold, in a story").to_json_line()
        )
        writer.write_line(make_article(4).to_json_line())
    assert load([path], dsn, schema) == 1
    err = capsys.readouterr().err
    assert "inserted 2" in err and "invalid 1" in err and "failed 1" in err
    with psycopg.connect(dsn) as conn:
        assert len(fetch_records(conn, schema)) == 2


def test_load_without_a_dsn_says_how(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PRESSWASH_POSTGRES_DSN", raising=False)
    parser = argparse.ArgumentParser()
    add_load_arguments(parser)
    assert load_command(parser.parse_args(["x.jsonl"])) == 2
    assert "--postgres DSN" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="not a valid PostgreSQL DSN"):
        PostgresPipeline(dsn="host=127.0.0.1 port")


class Stats:
    """The part of Scrapy's stats collector the pipeline uses."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def run_items(pipeline: PostgresPipeline, items: list[Article]) -> list[Any]:
    async def go() -> list[Any]:
        return [await pipeline.process_item(item) for item in items]

    pipeline.open_spider()
    try:
        return asyncio.run(go())
    finally:
        pipeline.close_spider()


def test_pipeline_loads_in_batches(pg: tuple[str, str]) -> None:
    dsn, schema = pg
    stats = Stats()
    items = [make_article(n) for n in range(5)]  # the crawl's items: Articles, as CleanPipeline returns them
    pipeline = PostgresPipeline(dsn=dsn, schema=schema, batch_size=2, stats=stats)
    assert run_items(pipeline, items) == items  # items go on unchanged
    assert stats.values == {"presswash/postgres/inserted": 5}
    with psycopg.connect(dsn) as conn:
        records = [item.model_dump(mode="json") for item in items]
        assert fetch_records(conn, schema) == sorted(records, key=lambda r: r["id"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_pipeline_with_the_server_down_counts_and_passes_every_item(caplog: pytest.LogCaptureFixture) -> None:
    stats = Stats()
    items = [make_article(n) for n in range(7)]
    dsn = f"postgresql://presswash:secret@127.0.0.1:{free_port()}/nowhere"
    pipeline = PostgresPipeline(dsn=dsn, batch_size=3, retry_seconds=60, connect_timeout=1, stats=stats)
    with caplog.at_level(logging.WARNING, logger="crawler.pipelines.postgres"):
        assert run_items(pipeline, items) == items
    assert stats.values == {"presswash/postgres/failed": 7}
    unavailable = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    assert len(unavailable) == 1, "log the first failure, count all of them"
    assert "secret" not in caplog.text  # the password never reaches a log
    assert any("presswash load" in r.getMessage() for r in caplog.records)
