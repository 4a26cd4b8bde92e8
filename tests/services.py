"""Real servers for the scale-out tests (Redis, PostgreSQL, scrapyd), and one rule for their absence.

A test that needs a server it cannot reach is skipped with a message saying which server, where, and
which variable points elsewhere; under ``CI=true`` the same absence is a failure, because CI must not
go green by skipping the very thing it is meant to check. Every helper here hands out a private
namespace (a Redis key prefix, a PostgreSQL schema) and the fixtures that use them remove it afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

#: Where the tests look for the servers (the defaults are this project's development machines).
REDIS_URL_ENV = "PRESSWASH_TEST_REDIS_URL"
POSTGRES_DSN_ENV = "PRESSWASH_TEST_POSTGRES_DSN"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES_DSN = "postgresql://127.0.0.1:5432/test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> NoReturn:
    """Skip (a developer's machine without the server) or fail (CI, where it must be there)."""
    if in_ci():
        pytest.fail(f"CI=true but {what}", pytrace=False)
    pytest.skip(what)


def import_or_unavailable(module: str, install: str) -> Any:
    """Import a scale-out dependency at a test module's top, or skip the module (fail it under CI=true)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{module} is not installed ({install})"
        if in_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message, allow_module_level=True)


def unique_name(kind: str) -> str:
    """A name no other test run uses at the same time: ``presswash_test_<kind>_<random>``."""
    return f"presswash_test_{kind}_{secrets.token_hex(4)}"


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- Redis ---------------------------------------------------------------------------------------------


def redis_url() -> str:
    return os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL


def require_redis() -> Any:
    """A connected ``redis.Redis`` (bytes responses), or skip/fail saying what is missing."""
    try:
        import redis
    except ImportError:
        unavailable("the redis package is not installed (pip install -e '.[dev]')")
    url = redis_url()
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss") and not _port_open(parts.hostname or "127.0.0.1", parts.port or 6379):
        unavailable(f"no Redis server at {url} (start redis-server, or set {REDIS_URL_ENV})")
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        unavailable(f"Redis at {url} does not answer: {exc} (set {REDIS_URL_ENV})")
    return client


def delete_prefix(client: Any, prefix: str) -> int:
    """Remove every key under ``prefix:`` (SCAN, never KEYS: safe on a shared server)."""
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += client.delete(*batch)
            batch.clear()
    if batch:
        deleted += client.delete(*batch)
    return deleted


@contextmanager
def redis_prefix(kind: str = "redis") -> Iterator[tuple[Any, str]]:
    """(client, prefix) for one test; every key under the prefix is deleted afterwards."""
    client = require_redis()
    prefix = unique_name(kind)
    try:
        yield client, prefix
    finally:
        delete_prefix(client, prefix)
        client.close()


# --- PostgreSQL ----------------------------------------------------------------------------------------


def postgres_dsn() -> str:
    return os.environ.get(POSTGRES_DSN_ENV) or DEFAULT_POSTGRES_DSN


def require_postgres() -> str:
    """The DSN of a PostgreSQL server that accepts a connection, or skip/fail saying what is missing."""
    try:
        import psycopg
    except ImportError:
        unavailable("the psycopg package is not installed (pip install -e '.[dev]')")
    dsn = postgres_dsn()
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        unavailable(f"no PostgreSQL server at {dsn}: {str(exc).strip()} (set {POSTGRES_DSN_ENV})")
    return dsn


@contextmanager
def postgres_schema(kind: str = "pg") -> Iterator[tuple[str, str]]:
    """(dsn, schema) for one test: a fresh schema, dropped with everything in it afterwards."""
    import psycopg
    from psycopg import sql

    dsn = require_postgres()
    schema = unique_name(kind)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield dsn, schema
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# --- scrapyd -------------------------------------------------------------------------------------------


def require_executable(name: str, package: str) -> str:
    """The path of a console script (scrapyd, scrapyd-deploy) of this environment, or skip/fail."""
    import sys
    from pathlib import Path

    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    unavailable(f"{name} is not installed (pip install '{package}')")
