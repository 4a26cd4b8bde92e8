"""The incremental state and the dedup index on Redis, shared by any number of crawl processes.

:class:`RedisStateStore` implements the same interface as :class:`crawler.state.sqlite.SqliteStateStore`
(``crawler.state.interfaces.StateStore`` and ``cleaners.dedup.DedupStore``), so everything that reads or writes the
state works unchanged when ``state.path`` (or ``$PRESSWASH_STATE_PATH``) is ``redis://host:port/db`` (an
optional ``?prefix=NAME`` namespaces the keys, default ``presswash``; ``&heartbeat_ttl=S`` and
``&claim_ttl=S`` change the lease times below), and for every shared crawl (``scale.redis_url``).

What a single process gets from its in-memory overlay (an article admitted but not yet recorded is still
seen by the next check) several processes get from **claims**: :meth:`RedisStateStore.claim_article`
runs the duplicate check (cleaners.dedup.claim_check: same id, content hash, near-duplicate signature,
the one decision every backend makes) and, when the article is new, registers it as in flight, under the
claim lock (``P:claimlock``): the check reads in Python, one script stores the outcome only while the lock
is still the caller's. So of two processes holding copies of one story exactly one is admitted and the
other sees it as a duplicate, even when both arrive in the same millisecond. The scripts in ``lua/`` are
primitive atomic writes (record, release, claim's outcome, buckets, prune); none decides a duplicate.
crawler.state.dedup_index.SharedDedupIndex is the DedupIndex that uses it.
Claims are leases: they end when the article is recorded (:meth:`save_article`) or released, and a
process killed in between loses them when its heartbeat (``heartbeat_ttl``) or the lease itself
(``claim_ttl``) runs out, so a restarted crawl can take the article again. :meth:`claim_url` gives the
same guarantee for fetching a URL.

Keys (``P`` is the prefix; all values are bytes or ASCII):

===========================  ======  ====================================================================
``P:meta``                   hash    store metadata (near-duplicate parameters)
``P:art:<id>``               hash    h=content hash, v=version, u=url key, s=site, t=recorded_at
``P:url:<url key>``          string  article id (first writer wins)
``P:hash:<content hash>``    string  article id (first writer wins)
``P:sig:<id>``               string  MinHash signature (uint32 little-endian)
``P:sigtime``                zset    id scored by recorded_at (epoch seconds): pruning and iteration
``P:lsh:<band>:<shard>``     hash    bucket -> ids (space-separated) whose signature falls in it
``P:bands:<id>``             string  the id's buckets, ``band:shard:bucket,...`` (to replace them)
``P:fetch:<url key>``        string  FetchState as JSON
``P:run:<run id>``           string  RunRecord as JSON; ``P:runs`` / ``P:runs:<site>`` zsets index them
``P:sched``                  hash    site -> last scheduler tick
``P:claim:<id>``             string  ``worker|content hash`` of an article in flight (lease, EX)
``P:chash:<hash>``           string  id of the in-flight article with this content hash (lease)
``P:csig:<id>``, ``P:cbands:<id>``   the in-flight article's signature and buckets (lease)
``P:furl:<url key>``         string  worker fetching this URL (lease)
``P:worker:<worker>``        string  heartbeat of a crawl process (EX heartbeat_ttl)
``P:claimlock``              string  token of the process checking and claiming now (PX CLAIM_LOCK_MS)
===========================  ======  ====================================================================

Scripts build key names from the prefix, so this needs a single Redis server (or a primary behind
Sentinel), not Redis Cluster. Nothing here is imported unless a ``redis://`` location is configured:
the ``redis`` package is only needed then.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, fields
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cleaners.config import ConfigError
from cleaners.dedup import ArticleRef, Bucket, Duplicate, claim_check

#: Environment variable naming this process in claims and heartbeats (default: host:pid).
from crawler.config import DEFAULT_PREFIX, check_prefix
from crawler.state.records import FetchState, RunRecord, parse_iso

WORKER_ENV = "PRESSWASH_WORKER_ID"

_FETCH_FIELDS = tuple(f.name for f in fields(FetchState))
_RUN_FIELDS = tuple(f.name for f in fields(RunRecord))


def _lua(name: str) -> str:
    """A file of lua/, read as package data: a scrapyd egg runs zipped, where no path leads to it."""
    return (resources.files("crawler.state") / "lua" / name).read_text(encoding="utf-8")


def _script(name: str, *, helpers: bool = True) -> str:
    """A Lua script of lua/, after the shared helpers (alive, claim_owner, clear_claim, split, buckets...):
    Redis runs each script on its own, so every script carries the functions it calls."""
    return _lua("helpers.lua") + _lua(name) if helpers else _lua(name)


_SETTLE_CLAIM = _script("settle_claim.lua")

_UNLOCK_CLAIMS = _script("unlock_claims.lua", helpers=False)

_RELEASE_ARTICLE = _script("release_article.lua")

_SAVE_ARTICLE = _script("save_article.lua")

_REPLACE_BUCKETS = _script("replace_buckets.lua")

_PRUNE = _script("prune.lua")

_CLAIM_URL = _script("claim_url.lua")

_RELEASE_URL = _script("release_url.lua", helpers=False)


#: Query parameters of a location that are presswash's own (the rest go to redis-py).
LOCATION_OPTIONS = ("prefix", "heartbeat_ttl", "claim_ttl")


def split_location(location: str) -> tuple[str, str]:
    """(Redis URL for redis-py, key prefix) from ``redis://host:port/db?prefix=NAME``."""
    parts = urlsplit(location)
    query = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for key, value in query if key == "prefix"), DEFAULT_PREFIX)
    rest = urlencode([(key, value) for key, value in query if key not in LOCATION_OPTIONS])
    check_prefix(prefix)
    return urlunsplit(parts._replace(query=rest)), prefix


def location_ttls(location: str) -> dict[str, float]:
    """``heartbeat_ttl`` and ``claim_ttl`` given in a location (``...?prefix=P&heartbeat_ttl=10``), in seconds.

    The location is all a crawl's components get (``PRESSWASH_STATE_PATH``), so the lease times travel in
    it: a deployment that restarts killed processes quickly, or a test, can shorten how long a dead
    process's claims hold."""
    out: dict[str, float] = {}
    for key, value in parse_qsl(urlsplit(location).query):
        if key in ("heartbeat_ttl", "claim_ttl"):
            try:
                out[key] = float(value)
            except ValueError:
                raise ConfigError(f"state.path: {key}={value!r}: not a number of seconds") from None
            if out[key] < 1:
                raise ConfigError(f"state.path: {key}={value!r}: at least 1 second")
    return out


def default_worker_id() -> str:
    """This process's name in claims: $PRESSWASH_WORKER_ID, else host:pid."""
    return os.environ.get(WORKER_ENV) or f"{socket.gethostname()}:{os.getpid()}"


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _buckets_csv(buckets: Sequence[Bucket], shards: int) -> str:
    """``band:shard:bucket,...``: the shard is computed here because Lua numbers cannot hold 64-bit ints."""
    return ",".join(f"{band}:{bucket % shards}:{bucket}" for band, bucket in buckets)


def _score(recorded_at: str) -> float:
    moment = parse_iso(recorded_at)
    return moment.timestamp() if moment is not None else 0.0


#: How long the claim lock holds at most (ms): a check takes a few round trips; this bounds how long
#: a process killed while holding it stops the others' claims.
CLAIM_LOCK_MS = 5000


class _RedisClaimView:
    """cleaners.dedup.ClaimView on Redis, read under the claim lock: recorded keys (``art``, ``hash``,
    ``sig``), claims (``claim``, ``chash``, ``csig``) alive while their owner's heartbeat is, and the LSH
    buckets, which hold recorded and in-flight ids alike. Collects the bucket entries left by claims
    that ended without a record (``leftovers``), for settle_claim.lua to drop."""

    def __init__(self, store: RedisStateStore) -> None:
        self.store = store
        self.client = store.client
        self.me = store.worker
        self.leftovers: list[str] = []

    def _alive(self, owner: str) -> bool:
        return owner == self.me or bool(self.client.exists(self.store.key("worker", owner)))

    def _owner(self, article_id: str) -> str | None:
        value = _text(self.client.get(self.store.key("claim", article_id)))
        return value.split("|", 1)[0] if value else None

    def held_elsewhere(self, article_id: str) -> bool:
        owner = self._owner(article_id)
        return owner is not None and owner != self.me and self._alive(owner)

    def recorded_hash(self, article_id: str) -> str | None:
        return _text(self.client.hget(self.store.key("art", article_id), "h"))

    def claimed_content(self, content_hash: str, article_id: str) -> str | None:
        holder = _text(self.client.get(self.store.key("chash", content_hash)))
        if holder is None or holder == article_id:
            return None
        owner = self._owner(holder)
        return holder if owner is not None and self._alive(owner) else None

    def recorded_content(self, content_hash: str) -> str | None:
        return _text(self.client.get(self.store.key("hash", content_hash)))

    def near_candidates(self, article_id: str, signature: bytes, buckets: Sequence[Bucket]) -> list[tuple[str, bytes]]:
        """Every id sharing a bucket: an in-flight one's claimed signature while its owner lives, else
        the recorded one (if recorded)."""
        if not buckets:
            return []
        shards = self.store.lsh_shards
        with self.client.pipeline(transaction=False) as pipe:
            for band, bucket in buckets:
                pipe.hget(self.store.key("lsh", band, bucket % shards), str(bucket))
            values = pipe.execute()
        candidates: list[str] = []
        seen = {article_id}
        for value in values:
            for candidate in (value or b"").decode("utf-8").split():
                if candidate not in seen:
                    seen.add(candidate)
                    candidates.append(candidate)
        if not candidates:
            return []
        key = self.store.key
        with self.client.pipeline(transaction=True) as pipe:  # each candidate's claim and record at one moment
            for candidate in candidates:
                pipe.get(key("claim", candidate))
                pipe.get(key("csig", candidate))
                pipe.exists(key("art", candidate))
                pipe.get(key("sig", candidate))
            rows = pipe.execute()
        found = [
            (candidate, _text(rows[4 * i]), rows[4 * i + 1], bool(rows[4 * i + 2]), rows[4 * i + 3])
            for i, candidate in enumerate(candidates)
        ]
        owners = sorted({claim.split("|", 1)[0] for _, claim, *_ in found if claim} - {self.me})
        with self.client.pipeline(transaction=False) as pipe:
            for owner in owners:
                pipe.exists(key("worker", owner))
            living = {owner for owner, alive in zip(owners, pipe.execute(), strict=True) if alive} | {self.me}
        out: list[tuple[str, bytes]] = []
        for candidate, claim, claimed_sig, recorded, recorded_sig in found:
            owner = claim.split("|", 1)[0] if claim else None
            sig = claimed_sig if owner is not None and owner in living else None
            if not sig and recorded:
                sig = recorded_sig
            if sig and len(sig) == len(signature):
                out.append((candidate, bytes(sig)))
            elif not sig and owner is None and not recorded:
                self.leftovers.append(candidate)
        return out


class RedisStateStore:
    """StateStore and DedupStore on one Redis database, under a key prefix; see the module docstring.

    Safe to share between threads (redis-py's client is a thread-safe connection pool) and, through the
    Lua scripts, between processes and machines.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str | None = None,
        readonly: bool = False,
        worker: str | None = None,
        claim_ttl: float | None = None,
        heartbeat_ttl: float | None = None,
        lsh_shards: int = 8192,
        client: Any = None,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "state.path: a redis:// location needs the redis package (pip install 'presswash[scale]')"
            ) from None
        redis_url, url_prefix = split_location(url)
        self.prefix = check_prefix(prefix or url_prefix)
        self.location = url if prefix is None else f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={prefix}"
        self.readonly = readonly
        self.worker = worker or default_worker_id()
        ttls = location_ttls(url)  # explicit arguments win over the location's, then the defaults
        self.claim_ttl = max(1, int(claim_ttl if claim_ttl is not None else ttls.get("claim_ttl", 600.0)))
        self.heartbeat_ttl = max(
            1, int(heartbeat_ttl if heartbeat_ttl is not None else ttls.get("heartbeat_ttl", 60.0))
        )
        self.lsh_shards = max(1, int(lsh_shards))
        self._error = redis.RedisError
        self.client = client or redis.Redis.from_url(
            redis_url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True
        )
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise ConfigError(f"state.path: {redis_url}: Redis does not answer: {exc}") from None
        # The bucket -> shard mapping is part of the stored data: the first store fixes it for everyone.
        if not readonly:
            self.client.hsetnx(self.key("meta"), "lsh_shards", self.lsh_shards)
        stored = self.client.hget(self.key("meta"), "lsh_shards")
        if stored is not None:
            self.lsh_shards = int(stored)
        register = self.client.register_script
        self._settle_claim = register(_SETTLE_CLAIM)
        self._unlock_claims = register(_UNLOCK_CLAIMS)
        self._release_article = register(_RELEASE_ARTICLE)
        self._save_article = register(_SAVE_ARTICLE)
        self._replace_buckets = register(_REPLACE_BUCKETS)
        self._prune = register(_PRUNE)
        self._claim_url = register(_CLAIM_URL)
        self._release_url = register(_RELEASE_URL)

    # -- plumbing --

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *(str(p) for p in parts)])

    def _writable(self) -> None:
        if self.readonly:
            raise PermissionError(f"{self.location}: opened read-only")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> RedisStateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta --

    def get_meta(self, key: str) -> str | None:
        return _text(self.client.hget(self.key("meta"), key))

    def set_meta(self, key: str, value: str) -> None:
        self._writable()
        self.client.hset(self.key("meta"), key, value)

    # -- fetch state --

    def get_fetch(self, url_key: str) -> FetchState | None:
        raw = self.client.get(self.key("fetch", url_key))
        if raw is None:
            return None
        data = json.loads(raw)
        data["url_key"] = url_key  # it is the key; not repeated in the value
        return FetchState(**{name: data.get(name) for name in _FETCH_FIELDS})

    def put_fetch(self, state: FetchState) -> None:
        self._writable()
        values = {name: value for name, value in asdict(state).items() if value is not None and name != "url_key"}
        self.client.set(self.key("fetch", state.url_key), json.dumps(values, separators=(",", ":")))

    # -- dedup (cleaners.dedup.DedupStore) --

    def get_article(self, article_id: str) -> ArticleRef | None:
        data = self.client.hgetall(self.key("art", article_id))
        if not data:
            return None
        return ArticleRef(
            article_id=article_id,
            content_hash=_text(data[b"h"]) or "",
            version=int(data[b"v"]),
            url_key=_text(data.get(b"u")),
            site=_text(data.get(b"s")),
            recorded_at=_text(data.get(b"t")) or "",
        )

    def article_by_url(self, url_key: str) -> ArticleRef | None:
        found = _text(self.client.get(self.key("url", url_key)))
        return self.get_article(found) if found else None

    def article_by_content(self, content_hash: str) -> ArticleRef | None:
        found = _text(self.client.get(self.key("hash", content_hash)))
        return self.get_article(found) if found else None

    def lsh_candidates(self, buckets: Sequence[Bucket]) -> set[str]:
        """Articles sharing a bucket (in-flight ones are compared by :meth:`claim_article`)."""
        if not buckets:
            return set()
        # In-flight ids may be among them; they have no recorded signature, so signatures() skips them.
        with self.client.pipeline(transaction=False) as pipe:
            for band, bucket in buckets:
                pipe.hget(self.key("lsh", band, bucket % self.lsh_shards), str(bucket))
            values = pipe.execute()
        return {article_id for value in values if value for article_id in value.decode("utf-8").split()}

    def signatures(self, article_ids: Iterable[str]) -> dict[str, bytes]:
        ids = list(article_ids)
        out: dict[str, bytes] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for article_id, value in zip(chunk, self.client.mget([self.key("sig", i) for i in chunk]), strict=True):
                if value is not None:
                    out[article_id] = bytes(value)
        return out

    def save_article(
        self, ref: ArticleRef, url_keys: Sequence[str], signature: bytes | None, buckets: Sequence[Bucket]
    ) -> None:
        """All or nothing (one script); ends the article's claim, if any: it is recorded now."""
        self._writable()
        args: list[Any] = [
            self.prefix,
            ref.article_id,
            ref.content_hash,
            ref.version,
            ref.url_key or "",
            ref.site or "",
            ref.recorded_at,
            _score(ref.recorded_at),
            1 if signature is not None else 0,
            signature or b"",
            _buckets_csv(buckets, self.lsh_shards) if signature is not None else "",
            len(url_keys),
            *url_keys,
        ]
        self._save_article(args=args)

    def iter_signatures(self) -> Iterable[tuple[str, bytes]]:
        ids = [m.decode("utf-8") for m in self.client.zrange(self.key("sigtime"), 0, -1)]
        return list(self.signatures(ids).items())

    def replace_buckets(self, article_id: str, buckets: Sequence[Bucket]) -> None:
        self._writable()
        self._replace_buckets(args=[self.prefix, article_id, _buckets_csv(buckets, self.lsh_shards)])

    def clear_near_duplicates(self) -> None:
        self._writable()
        for pattern in ("lsh:*", "sig:*", "bands:*", "csig:*", "cbands:*"):
            self._delete_matching(self.key(pattern))
        self.client.delete(self.key("sigtime"))

    def prune_signatures(self, before: str) -> int:
        self._writable()
        cutoff = repr(_score(before))
        total = 0
        while True:
            dropped = int(self._prune(args=[self.prefix, cutoff, 500]))
            total += dropped
            if dropped < 500:
                return total

    # -- claims: what makes admission atomic across processes --

    def heartbeat(self) -> None:
        """Tell the other processes this one is alive (its claims hold while it is)."""
        self.client.set(self.key("worker", self.worker), "1", ex=self.heartbeat_ttl)

    def claim_article(
        self,
        article_id: str,
        content_hash: str,
        *,
        has_url: bool = True,
        signature: bytes | None = None,
        buckets: Sequence[Bucket] = (),
        threshold: float = 1.0,
    ) -> Duplicate | None:
        """Check against every recorded and in-flight article and, if new, claim it, atomically.

        Returns the Duplicate it is (the kind and the original's id), or None: then this process holds
        the article until :meth:`save_article` records it or :meth:`release_article` gives it up.

        The decision is cleaners.dedup.claim_check's, in Python, under the claim lock (``P:claimlock``,
        one holder at a time across processes, so nothing claims between the check and the claim);
        the outcome is stored by one script that first makes sure the lock is still ours. A process
        that held it past its expiry (``CLAIM_LOCK_MS``, a stall) finds it gone and checks again.
        """
        self._writable()
        csv = _buckets_csv(buckets, self.lsh_shards) if signature else ""
        while True:
            token = self._lock_claims()
            try:
                view = _RedisClaimView(self)
                duplicate = claim_check(
                    view,
                    article_id,
                    content_hash,
                    has_url=has_url,
                    signature=signature,
                    buckets=buckets,
                    threshold=threshold,
                )
                settled = self._settle_claim(
                    args=[
                        self.prefix,
                        self.worker,
                        token,
                        1 if duplicate is None else 0,
                        article_id,
                        content_hash,
                        self.claim_ttl,
                        signature or b"",
                        csv,
                        ",".join(view.leftovers),
                    ]
                )
            except BaseException:
                self._unlock_claims(args=[self.prefix, token])
                raise
            if settled:
                return duplicate

    def _lock_claims(self) -> str:
        """Take the claim lock (and beat this process's heartbeat on the way); returns its token."""
        token = secrets.token_hex(16)
        pause = 0.0005
        while True:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.set(self.key("worker", self.worker), "1", ex=self.heartbeat_ttl)
                pipe.set(self.key("claimlock"), token, nx=True, px=CLAIM_LOCK_MS)
                _, taken = pipe.execute()
            if taken:
                return token
            time.sleep(pause)
            pause = min(pause * 2, 0.02)

    def release_article(self, article_id: str) -> bool:
        """Give up this process's claim on an article it did not write (no-op if not ours)."""
        return bool(self._release_article(args=[self.prefix, self.worker, article_id]))

    def claim_url(self, url_key: str, ttl: float | None = None) -> bool:
        """Take the right to fetch a URL: True for one live process at a time (lease of ``ttl`` s)."""
        ttl_s = max(1, int(ttl if ttl is not None else self.claim_ttl))
        return bool(self._claim_url(args=[self.prefix, self.worker, url_key, ttl_s, self.heartbeat_ttl]))

    def release_url(self, url_key: str) -> bool:
        return bool(self._release_url(args=[self.prefix, self.worker, url_key]))

    # -- run log --

    def put_run(self, run: RunRecord) -> None:
        self._writable()
        previous = self.get_run(run.run_id)
        with self.client.pipeline(transaction=True) as pipe:
            if previous is not None:
                member = f"{previous.started_at}\x00{previous.run_id}"
                pipe.zrem(self.key("runs"), member)
                pipe.zrem(self.key("runs", previous.site), member)
            member = f"{run.started_at}\x00{run.run_id}"
            pipe.set(self.key("run", run.run_id), json.dumps(asdict(run), separators=(",", ":")))
            pipe.zadd(self.key("runs"), {member: 0})
            pipe.zadd(self.key("runs", run.site), {member: 0})
            pipe.execute()

    def get_run(self, run_id: str) -> RunRecord | None:
        raw = self.client.get(self.key("run", run_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return RunRecord(**{name: data.get(name) for name in _RUN_FIELDS if name in data})

    def list_runs(self, site: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Most recent first (started_at, then run id, both descending), like the SQLite store."""
        index = self.key("runs", site) if site else self.key("runs")
        members = self.client.zrevrangebylex(index, "+", "-", start=0, num=limit)
        run_ids = [m.decode("utf-8").split("\x00", 1)[1] for m in members]
        if not run_ids:
            return []
        runs = []
        for raw in self.client.mget([self.key("run", run_id) for run_id in run_ids]):
            if raw is not None:
                data = json.loads(raw)
                runs.append(RunRecord(**{name: data.get(name) for name in _RUN_FIELDS if name in data}))
        return runs

    # -- schedule marks --

    def get_schedule_mark(self, site: str) -> str | None:
        return _text(self.client.hget(self.key("sched"), site))

    def set_schedule_mark(self, site: str, when: str) -> None:
        self._writable()
        self.client.hset(self.key("sched"), site, when)

    # -- diagnostics --

    def counts(self) -> dict[str, int]:
        """Entries per kind, like SqliteStateStore.counts (SCAN: for tests and `presswash runs --json`)."""
        out = {}
        for name, pattern in (
            ("articles", "art:*"),
            ("url_keys", "url:*"),
            ("content_hashes", "hash:*"),
            ("signatures", "sig:*"),
            ("fetches", "fetch:*"),
            ("runs", "run:*"),
        ):
            out[name] = sum(1 for _ in self.client.scan_iter(match=self.key(pattern), count=1000))
        out["lsh_buckets"] = sum(
            len(value.split())
            for key in self.client.scan_iter(match=self.key("lsh:*"), count=1000)
            for value in self.client.hvals(key)
        )
        return out

    def _delete_matching(self, pattern: str) -> int:
        deleted = 0
        batch: list[bytes] = []
        for key in self.client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(self.client.delete(*batch))
                batch.clear()
        if batch:
            deleted += int(self.client.delete(*batch))
        return deleted


__all__ = [
    "DEFAULT_PREFIX",
    "RedisStateStore",
    "default_worker_id",
    "split_location",
]
