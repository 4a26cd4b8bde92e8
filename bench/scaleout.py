"""Scale-out costs: what a shared crawl asks of Redis, how fast articles go into PostgreSQL, and what one
process vs two sharing Redis crawl.

    .venv/bin/python -m bench.scaleout [--urls 100000] [--articles 5000] [--rows 10000] [--pages 600]
                                       [--parts frontier,state,postgres,crawl] [--out FILE.json]

Prints one JSON document (docs/scaling.md turns it into a capacity estimate):

- ``redis.frontier``: ``--urls`` article requests pushed through scrapy-redis's own classes, as the news
  spider makes them (PriorityQueue with its pickle serializer; RFPDupeFilter): for each of *queue*
  (push), *seen* (dupefilter check of a new URL) and *pop*, the Redis commands per URL (``INFO
  commandstats`` deltas), round trips per URL (counted in the client: a MULTI/EXEC pipeline is one),
  the Redis server's CPU per URL (``INFO cpu`` deltas),
  operations per second from one client, and the memory they hold (``INFO memory`` used_memory delta,
  and ``MEMORY USAGE`` of the key), per URL and per 100,000.
- ``redis.state_at_scale``: ``--marginal`` dedup records with random signatures, memory per record over the
  second half (per-key overheads paid), for compact and for crowded LSH hashes.
- ``redis.state``: ``--articles`` synthetic articles through crawler.state.redis_store (SharedDedupIndex
  admit + record, and put_fetch: what a written article costs): commands, round trips, memory per article.
- ``postgres``: ``--rows`` synthetic articles (about 700 words each) through crawler.sinks.postgres.upsert_articles
  in batches of 500: rows/s for a first load, a replay (every row unchanged) and an update (version + 1).
- ``crawl``: the fixture server's ``--pages`` bulk pages (~60 KB, tests/http_server.py) crawled for real by
  ``presswash crawl`` three ways, each from an empty state: ``local`` (one process, SQLite state: the
  single-machine default), ``redis_1`` (one process of a shared crawl, seeded with ``presswash seed``) and
  ``redis_2`` (two processes sharing the Redis queue and state). For each: pages/s while crawling (first
  process start to last page fetched) and over the processes' whole lives, CPU seconds of the crawl
  processes and their cleaning workers, of the Redis server and of the fixture server, per page; and
  ``process_start_cpu_s``, the CPU of a one-page crawl (what each process costs whatever it crawls),
  with the CPU per page once that is paid.

Everything is written under a unique Redis key prefix and a unique PostgreSQL schema, both removed at the
end. Needs the ``scale`` extra and the servers (PRESSWASH_TEST_REDIS_URL / PRESSWASH_TEST_POSTGRES_DSN,
default 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("PRESSWASH_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
POSTGRES_DSN = os.environ.get("PRESSWASH_TEST_POSTGRES_DSN") or "postgresql://127.0.0.1:5432/test"
_WORDS = [
    "the",
    "council",
    "harbour",
    "ferry",
    "terminal",
    "approved",
    "plan",
    "residents",
    "said",
    "would",
    "year",
    "new",
    "city",
    "government",
    "minister",
    "report",
    "police",
    "court",
    "election",
    "market",
    "prices",
    "energy",
    "water",
    "school",
    "hospital",
    "road",
    "rail",
    "transport",
    "weather",
    "storm",
    "flood",
    "fire",
    "farmers",
    "workers",
    "union",
    "company",
    "shares",
    "bank",
    "budget",
    "tax",
    "study",
    "data",
    "research",
    "team",
    "local",
]


# --- Redis instrumentation -----------------------------------------------------------------------------


class RoundTrips:
    """Counts client round trips: each command sent alone is one, a pipeline (MULTI/EXEC or not) is one."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        original = client.execute_command

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        client.execute_command = counted
        pipeline_factory = client.pipeline

        def pipeline(*args: Any, **kwargs: Any) -> Any:
            pipe = pipeline_factory(*args, **kwargs)
            execute = pipe.execute

            def counted_execute(*a: Any, **k: Any) -> Any:
                self.count += 1
                return execute(*a, **k)

            pipe.execute = counted_execute
            return pipe

        client.pipeline = pipeline


def command_calls(client: Any) -> int:
    """Commands the server has executed (all clients), without the INFO calls that measure them."""
    stats = client.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_info",))


def used_memory(client: Any) -> int:
    return int(client.info("memory")["used_memory"])


def server_cpu(client: Any) -> float:
    """CPU seconds the Redis server has used (user + system, main thread and others)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@contextmanager
def measured(client: Any, counter: RoundTrips, n: int, result: dict[str, Any], name: str) -> Iterator[None]:
    """Time, commands, round trips and memory of the block (``client`` only reads INFO: not counted)."""
    calls, memory, cpu = command_calls(client), used_memory(client), server_cpu(client)
    trips, start = counter.count, time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    cpu_delta = server_cpu(client) - cpu
    calls_delta = command_calls(client) - calls
    trips_delta = counter.count - trips
    memory_delta = used_memory(client) - memory
    result[name] = {
        "n": n,
        "seconds": round(elapsed, 3),
        "per_second": round(n / elapsed, 1),
        "commands_per_item": round(calls_delta / n, 3),
        "round_trips_per_item": round(trips_delta / n, 3),
        "server_cpu_us_per_item": round(cpu_delta / n * 1e6, 1),
        "used_memory_delta_bytes": memory_delta,
        "used_memory_per_item_bytes": round(memory_delta / n, 1),
        "used_memory_per_100k_mb": round(memory_delta / n * 100_000 / 2**20, 2),
    }


def delete_prefix(client: Any, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


# --- the frontier (scrapy-redis) -----------------------------------------------------------------------


def article_url(rng: random.Random, n: int) -> str:
    slug = "-".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 9)))
    return f"https://www.example-news.com/news/2026/{rng.randint(1, 12):02d}/{slug}-{n}.html"


def bench_frontier(urls: int) -> dict[str, Any]:
    """Push, check and pop ``urls`` article requests through scrapy-redis's own queue and dupefilter."""
    import redis
    import scrapy
    from scrapy_redis import picklecompat
    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import PriorityQueue

    class News(scrapy.Spider):
        name = "news"

        def parse_article(self, response: Any) -> None: ...

        def on_error(self, failure: Any) -> None: ...

    spider = News()
    client, meter = redis.Redis.from_url(REDIS_URL), redis.Redis.from_url(REDIS_URL)
    counter = RoundTrips(client)
    prefix = f"presswash_bench_{secrets.token_hex(4)}"
    rng = random.Random(7)
    feed = "https://www.example-news.com/feeds/rss.xml"
    requests = [
        scrapy.Request(
            article_url(rng, n),
            callback=spider.parse_article,
            errback=spider.on_error,
            priority=10,
            meta={
                "presswash_kind": "article",
                "presswash_source": f"feed:{feed}",
                "presswash_hints": {"lastmod": "2026-06-08T10:00:00+00:00", "title": "A headline of usual length"},
                "presswash_depth": None,
            },
        )
        for n in range(urls)
    ]
    queue = PriorityQueue(client, spider, f"{prefix}:news:requests", serializer=picklecompat)
    dupefilter = RFPDupeFilter(client, f"{prefix}:news:dupefilter")
    result: dict[str, Any] = {"urls": urls, "prefix": prefix}
    try:
        with measured(meter, counter, urls, result, "seen"):
            new = sum(1 for request in requests if not dupefilter.request_seen(request))
        assert new == urls
        with measured(meter, counter, urls, result, "queue"):
            for request in requests:
                queue.push(request)
        result["queue"]["memory_usage_key_bytes_per_item"] = round(
            int(client.memory_usage(queue.key, samples=0)) / urls, 1
        )
        result["seen"]["memory_usage_key_bytes_per_item"] = round(
            int(client.memory_usage(dupefilter.key, samples=0)) / urls, 1
        )
        result["serialized_request_bytes"] = len(queue._encode_request(requests[0]))
        with measured(meter, counter, urls, result, "pop"):
            popped = sum(1 for _ in range(urls) if queue.pop() is not None)
        assert popped == urls and len(queue) == 0
    finally:
        delete_prefix(client, prefix)
        client.close()
        meter.close()
    return result


# --- the shared state ----------------------------------------------------------------------------------


def synthetic_article(rng: random.Random, n: int, words: int = 700) -> Any:
    from cleaners.article import Article
    from cleaners.text import content_hash, stable_id, word_count

    paragraphs = []
    left = words
    while left > 0:
        size = min(left, rng.randint(40, 90))
        paragraphs.append(" ".join(rng.choice(_WORDS) for _ in range(size)).capitalize() + ".")
        left -= size
    text = "\n\n".join(paragraphs)
    url = article_url(rng, n)
    return Article(
        id=stable_id(f"url:{url}"),
        url=url,
        source_path=None,
        site="bench",
        title=f"Headline number {n} of the benchmark",
        authors=["A. Writer"],
        published="2026-06-08T09:00:00Z",
        tags=["bench"],
        language="en",
        language_score=0.99999,
        html_lang="en",
        text=text,
        paragraphs=paragraphs,
        word_count=word_count(text),
        content_hash=content_hash(paragraphs),
        fetched_at="2026-06-08T10:00:00Z",
        rules_version="bench",
    )


def bench_state(articles: int) -> dict[str, Any]:
    """What one written article costs the shared state: dedup admit + record, and its fetch state."""
    import redis

    from cleaners.urls import normalize_url
    from crawler.state.dedup_index import SharedDedupIndex
    from crawler.state.records import FetchState
    from crawler.state.redis_store import RedisStateStore

    prefix = f"presswash_bench_{secrets.token_hex(4)}"
    client, meter = redis.Redis.from_url(REDIS_URL), redis.Redis.from_url(REDIS_URL)
    counter = RoundTrips(client)
    store = RedisStateStore(f"{REDIS_URL}?prefix={prefix}", worker="bench", client=client)
    index = SharedDedupIndex(store)
    rng = random.Random(11)
    items = [synthetic_article(rng, n) for n in range(articles)]
    signatures = index.hasher  # warm: the MinHash permutations are built once per index
    assert signatures is not None
    result: dict[str, Any] = {"articles": articles, "prefix": prefix}
    try:
        with measured(meter, counter, articles, result, "admit_record_fetch"):
            for item in items:
                admitted = index.admit(item)
                assert not hasattr(admitted, "kind"), admitted
                index.record(admitted)
                store.put_fetch(
                    FetchState(
                        url_key=normalize_url(item.url),
                        url=item.url,
                        outcome="written",
                        fetched_at=item.fetched_at,
                        site="bench",
                        article_id=item.id,
                        content_hash=item.content_hash,
                        version=1,
                        etag='"abc123"',
                        last_modified="Mon, 08 Jun 2026 09:00:00 GMT",
                        status=200,
                    )
                )
        result["counts"] = store.counts()
    finally:
        delete_prefix(client, prefix)
        store.close()
        meter.close()
    return result


def bench_state_marginal(articles: int, shards: int) -> dict[str, Any]:
    """Memory of the dedup index per article at scale: ``articles`` records with random signatures (no
    MinHash cost), measured over the second half, so per-key overheads are already paid. A small
    ``shards`` puts many buckets in each LSH hash (Redis's hashtable encoding, the regime of a store with
    millions of signatures); a large one keeps them compact (listpack, up to 128 buckets per hash)."""
    import redis

    from crawler.state.redis_store import RedisStateStore

    prefix = f"presswash_bench_{secrets.token_hex(4)}"
    client = redis.Redis.from_url(REDIS_URL)
    store = RedisStateStore(f"{REDIS_URL}?prefix={prefix}", worker="bench", client=client, lsh_shards=shards)
    rng = random.Random(13)
    result: dict[str, Any] = {"articles": articles, "lsh_shards": shards}
    try:

        def save(n: int) -> None:
            from cleaners.dedup import ArticleRef

            article_id = f"{rng.getrandbits(128):032x}"
            ref = ArticleRef(
                article_id, f"{rng.getrandbits(256):064x}", 1, article_url(rng, n), "bench", "2026-06-08T10:00:00Z"
            )
            buckets = [(band, rng.getrandbits(64) - 2**63) for band in range(14)]
            store.save_article(ref, [ref.url_key or ""], rng.randbytes(512), buckets)

        half = articles // 2
        for n in range(half):
            save(n)
        before, cpu, start = used_memory(client), server_cpu(client), time.perf_counter()
        for n in range(half, articles):
            save(n)
        elapsed = time.perf_counter() - start
        result["saves_per_second"] = round((articles - half) / elapsed, 1)
        result["server_cpu_us_per_save"] = round((server_cpu(client) - cpu) / (articles - half) * 1e6, 1)
        result["used_memory_per_article_bytes"] = round((used_memory(client) - before) / (articles - half), 1)
        result["lsh_buckets_per_hash"] = round(14 * articles / (14 * shards), 1)
    finally:
        delete_prefix(client, prefix)
        store.close()
    return result


# --- PostgreSQL ----------------------------------------------------------------------------------------


def bench_postgres(rows: int, batch: int = 500) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from crawler.sinks.postgres import ensure_schema, upsert_articles

    rng = random.Random(5)
    records = [synthetic_article(rng, n).model_dump(mode="json") for n in range(rows)]
    updated = [{**r, "version": 2, "text": r["text"] + " Updated."} for r in records]
    schema = f"presswash_bench_{secrets.token_hex(4)}"
    result: dict[str, Any] = {"rows": rows, "batch": batch, "record_bytes": len(json.dumps(records[0]))}
    with psycopg.connect(POSTGRES_DSN) as conn:
        try:
            names = ensure_schema(conn, schema)

            def timed(name: str, data: list[dict[str, Any]], check: Callable[[Any], bool]) -> None:
                start = time.perf_counter()
                for first in range(0, len(data), batch):
                    with conn.transaction():
                        counts = upsert_articles(conn, data[first : first + batch], names=names, validate=False)
                    assert check(counts), counts
                elapsed = time.perf_counter() - start
                result[name] = {"seconds": round(elapsed, 3), "rows_per_second": round(len(data) / elapsed, 1)}

            timed("insert", records, lambda c: c.inserted == c.read)
            timed("replay", records, lambda c: c.unchanged == c.read)
            timed("update", updated, lambda c: c.updated == c.read)
            size = conn.execute("SELECT pg_total_relation_size(%s)", (f'"{schema}".articles',)).fetchone()
            result["table_bytes_per_row"] = round(int(size[0]) / rows, 1) if size else None
        finally:
            conn.rollback()
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            conn.commit()
    return result


# --- real crawls: one process vs two sharing Redis ------------------------------------------------------

CRAWL_SITE = """\
sites:
  - name: bulk
    base_url: {url}
    sitemaps: [/sitemaps/bulk.xml]
    article_url: ['^/bulk/\\d+\\.html$']
    politeness: {{download_delay: 0, autothrottle: false, concurrency: {concurrency}, timeout: 60}}
"""


def _epoch(value: str) -> float:
    """An ISO 8601 time of the run stats or a record's fetched_at, in seconds since the epoch."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def crawl_once(
    mode: str, processes: int, url: str, workdir: Path, server_pid: int, *, concurrency: int, workers: int | None
) -> dict[str, Any]:
    """One measured crawl of the bulk sitemap by ``processes`` crawl processes (Redis unless ``local``)."""
    import redis

    from bench.crawl_throughput import cpu_seconds, reap_orphans

    config = workdir / "sites.yaml"
    config.write_text(CRAWL_SITE.format(url=url, concurrency=concurrency), encoding="utf-8")
    prefix = f"presswash_bench_{secrets.token_hex(4)}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWASH_") and "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    if mode != "local":
        env.update({"PRESSWASH_REDIS_URL": REDIS_URL, "PRESSWASH_REDIS_PREFIX": prefix})
        seed = [sys.executable, "-m", "crawler.cli", "seed", "--site", "bulk", "--config", str(config)]
        subprocess.run(seed, cwd=ROOT, env=env, check=True, capture_output=True)
    crawl = [sys.executable, "-m", "crawler.cli", "crawl", "--sites", str(config), "--log-level", "WARNING"]
    crawl += ["--set", "PRESSWASH_URL_LEDGER=false"]
    if workers:
        crawl += ["--set", f"PRESSWASH_CLEAN_WORKERS={workers}"]
    meter = redis.Redis.from_url(REDIS_URL)
    urllib.request.urlopen(f"{url}/_control/hits?clear=1").read()
    before, redis_before, fixture_before = (
        resource.getrusage(resource.RUSAGE_CHILDREN),
        server_cpu(meter),
        cpu_seconds(server_pid),
    )
    started = time.monotonic()
    outputs = [workdir / f"{mode}-{n}" for n in range(processes)]
    logs = [out.with_suffix(".log") for out in outputs]  # files, not pipes: a full pipe would stall a crawl
    running = []
    for out, log in zip(outputs, logs, strict=True):
        with log.open("wb") as stderr:
            command = [*crawl, "--output", str(out)]
            running.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr))
    for process in running:
        process.wait()
    wall = time.monotonic() - started
    reap_orphans({server_pid})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    redis_cpu = server_cpu(meter) - redis_before
    fixture_cpu = cpu_seconds(server_pid) - fixture_before
    try:
        for process, log in zip(running, logs, strict=True):
            if process.returncode != 0:
                raise SystemExit(f"crawl ({mode}) failed with {process.returncode}:\n{log.read_text()[-3000:]}")
        stats = [json.loads(next((out / "bulk" / "runs").glob("*.json")).read_text()) for out in outputs]
        fetched = [
            _epoch(json.loads(line)["fetched_at"])
            for out in outputs
            for path in (out / "bulk").glob("*.jsonl")
            for line in path.read_text().splitlines()
        ]
    finally:
        if mode != "local":
            delete_prefix(meter, prefix)
        meter.close()
    pages = sum(s["read"] for s in stats)
    written = sum(s["written"] for s in stats)
    first_start = min(_epoch(s["started_at"]) for s in stats)
    last_finish = max(_epoch(s["finished_at"]) for s in stats)
    active = max(fetched) - first_start
    crawl_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total_cpu = crawl_cpu + redis_cpu + fixture_cpu
    return {
        "mode": mode,
        "processes": processes,
        "pages": pages,
        "written": written,
        "pages_per_process": [s["read"] for s in stats],
        "active_s": round(active, 2),
        "elapsed_s": round(last_finish - first_start, 2),
        "wall_s": round(wall, 2),
        "pages_per_s": round(pages / active, 1),
        "pages_per_s_elapsed": round(pages / (last_finish - first_start), 1),
        "pages_per_s_wall": round(pages / wall, 1),
        "cpu_s": {"crawl": round(crawl_cpu, 2), "redis": round(redis_cpu, 2), "fixture_server": round(fixture_cpu, 2)},
        "cpu_ms_per_page": {
            "crawl": round(1000 * crawl_cpu / pages, 1),
            "redis": round(1000 * redis_cpu / pages, 2),
            "total": round(1000 * total_cpu / pages, 1),
        },
        "cores_busy": round(total_cpu / wall, 2),
    }


def bench_crawl(pages: int, *, concurrency: int = 16, workers: int | None = None) -> dict[str, Any]:
    """Crawl ``pages`` fixture pages: one local process, one Redis process, two Redis processes."""
    from bench.crawl_throughput import become_subreaper, start_server

    subreaper = become_subreaper()  # cleaning workers outlive their crawl by a moment: reap and count them
    runs = []
    with tempfile.TemporaryDirectory(prefix="presswash-scaleout-") as tmp:
        # What a crawl process costs whatever it crawls (imports, cleaning pool, shutdown): a one-page crawl.
        server, url = start_server(1)
        try:
            workdir = Path(tmp) / "one_page"
            workdir.mkdir()
            one_page = crawl_once("local", 1, url, workdir, server.pid, concurrency=concurrency, workers=workers)
        finally:
            server.terminate()
            server.wait(10)
        server, url = start_server(pages)
        try:
            for mode, processes in (("local", 1), ("redis_1", 1), ("redis_2", 2)):
                workdir = Path(tmp) / mode
                workdir.mkdir()
                runs.append(
                    crawl_once(mode, processes, url, workdir, server.pid, concurrency=concurrency, workers=workers)
                )
        finally:
            server.terminate()
            server.wait(10)
    fixed = one_page["cpu_s"]["crawl"]
    for run in runs:  # CPU per page once each process's fixed cost is paid (a long-running worker's case)
        marginal = run["cpu_s"]["crawl"] - fixed * run["processes"]
        run["cpu_ms_per_page"]["crawl_without_process_start"] = round(1000 * marginal / run["pages"], 1)
    by_mode = {run["mode"]: run for run in runs}
    return {
        "pages": pages,
        "concurrency": concurrency,
        "clean_workers_per_process": workers or os.cpu_count(),
        "subreaper": subreaper,
        "process_start_cpu_s": fixed,
        "runs": runs,
        "ratios": {
            "redis_1_over_local": round(by_mode["redis_1"]["pages_per_s"] / by_mode["local"]["pages_per_s"], 2),
            "redis_2_over_redis_1": round(by_mode["redis_2"]["pages_per_s"] / by_mode["redis_1"]["pages_per_s"], 2),
        },
    }


PARTS = ("frontier", "state", "postgres", "crawl")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=100_000, help="requests through the frontier (100000)")
    parser.add_argument("--articles", type=int, default=5_000, help="articles through the shared state (5000)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows upserted into PostgreSQL (10000)")
    parser.add_argument("--marginal", type=int, default=100_000, help="records for the at-scale memory (100000)")
    parser.add_argument("--pages", type=int, default=600, help="fixture pages crawled per crawl run (600)")
    parser.add_argument("--workers", type=int, help="cleaning workers per crawl process (default: one per core)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma list of {', '.join(PARTS)} (all)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if parts - set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}")
    sys.path.insert(0, str(ROOT))
    import redis

    server = redis.Redis.from_url(REDIS_URL).info("server")
    report: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "redis": server["redis_version"]},
        "redis": {},
    }
    if "frontier" in parts:
        report["redis"]["frontier"] = bench_frontier(args.urls)
    if "state" in parts:
        report["redis"]["state"] = bench_state(args.articles)
        report["redis"]["state_at_scale"] = [bench_state_marginal(args.marginal, shards) for shards in (8192, 64)]
    if "postgres" in parts:
        report["postgres"] = bench_postgres(args.rows)
    if "crawl" in parts:
        report["crawl"] = bench_crawl(args.pages, workers=args.workers)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
