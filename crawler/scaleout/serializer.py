"""JSON, not pickle, for the requests a shared crawl keeps in Redis (scrapy-redis's request queue).

scrapy-redis pickles every queued request by default: anyone who can write to the Redis server (one
``ZADD`` on the queue key) then runs code in every crawl process that pops it. Here the queue holds JSON
only: ``SCHEDULER_SERIALIZER = "crawler.redis_serializer"`` (this module's :func:`dumps` and
:func:`loads`) and ``SCHEDULER_QUEUE_CLASS = "crawler.redis_serializer.SafePriorityQueue"``, which drops an
entry it cannot read as a request (a crafted pickle, garbage, a foreign class) with a logged error
instead of stopping the crawl. Decoding builds plain data and then a ``scrapy.Request``: no class is
loaded by name and callbacks resolve only to the spider's own ``parse_*``/``on_error`` methods.

Requests carry only JSON-safe meta (strings, numbers, booleans, None, lists, dicts with string keys);
:func:`dumps` raises TypeError naming the meta key that is not, so a new meta value that cannot cross the
queue is found by the tests, not in production. Headers and bodies are bytes: they travel as latin-1
text and base64.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from typing import Any

from scrapy_redis.queue import PriorityQueue

logger = logging.getLogger(__name__)

#: The only request class a queue entry may name (scrapy's own; we queue nothing else).
_ALLOWED_CLASSES = frozenset({"scrapy.http.request.Request", "scrapy.http.Request", "scrapy.Request"})
#: Spider methods a queued request may call back (NewsSpider's callbacks).
_CALLBACK = re.compile(r"^(parse|parse_[a-z_]+|on_error)$")
_FORMAT = "presswash-request/1"


class UnsafeEntry(ValueError):
    """A queue entry that is not a request this module wrote."""


def _json_safe(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not a string: cannot queue in Redis as JSON")
            out[key] = _json_safe(item, f"{where}.{key}")
        return out
    raise TypeError(f"{where}: {type(value).__name__} is not JSON-safe: cannot queue the request in Redis")


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict (``Request.to_dict``) as JSON bytes; TypeError for meta that is not JSON-safe."""
    cls = obj.get("_class")
    if cls is not None and cls not in _ALLOWED_CLASSES:
        raise TypeError(f"request class {cls} cannot be queued in Redis (only scrapy.Request)")
    headers = {_text(name): [_text(v) for v in values] for name, values in (obj.get("headers") or {}).items()}
    body = obj.get("body") or b""
    data = {
        "format": _FORMAT,
        "url": obj["url"],
        "callback": obj.get("callback"),
        "errback": obj.get("errback"),
        "method": obj.get("method", "GET"),
        "headers": headers,
        "body": base64.b64encode(body if isinstance(body, bytes) else body.encode("utf-8")).decode("ascii"),
        "cookies": _json_safe(obj.get("cookies") or {}, "cookies"),
        "meta": _json_safe(obj.get("meta") or {}, "meta"),
        "encoding": obj.get("encoding", "utf-8"),
        "priority": int(obj.get("priority", 0)),
        "dont_filter": bool(obj.get("dont_filter", False)),
        "flags": _json_safe(list(obj.get("flags") or []), "flags"),
        "cb_kwargs": _json_safe(obj.get("cb_kwargs") or {}, "cb_kwargs"),
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def loads(raw: bytes | str) -> dict[str, Any]:
    """The request dict of an entry :func:`dumps` wrote; UnsafeEntry for anything else (never unpickles)."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise UnsafeEntry(f"not JSON ({len(raw)} bytes, starting {bytes(raw[:16])!r})") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise UnsafeEntry("JSON but not a presswash request entry")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise UnsafeEntry(f"request URL {url!r} is not http(s)")
    for name in ("callback", "errback"):
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or not _CALLBACK.match(value)):
            raise UnsafeEntry(f"{name} {value!r} is not one of the spider's callbacks")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in headers.values()
    ):
        raise UnsafeEntry("headers are not a mapping of names to lists of strings")
    try:
        body = base64.b64decode(data.get("body") or "", validate=True)
    except (TypeError, ValueError):
        raise UnsafeEntry("body is not base64") from None
    for name, kind in (("meta", dict), ("cookies", dict), ("cb_kwargs", dict), ("flags", list)):
        if not isinstance(data.get(name, kind()), kind):
            raise UnsafeEntry(f"{name} is not a {kind.__name__}")
    return {
        "url": url,
        "callback": data.get("callback"),
        "errback": data.get("errback"),
        "method": str(data.get("method") or "GET"),
        "headers": {name.encode("latin-1"): [v.encode("latin-1") for v in values] for name, values in headers.items()},
        "body": body,
        "cookies": data.get("cookies") or {},
        "meta": data.get("meta") or {},
        "encoding": str(data.get("encoding") or "utf-8"),
        "priority": int(data.get("priority") or 0),
        "dont_filter": bool(data.get("dont_filter")),
        "flags": data.get("flags") or [],
        "cb_kwargs": data.get("cb_kwargs") or {},
    }


class SafePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue, refusing entries that are not our JSON requests.

    A refused entry is removed (the pop took it), logged with its reason and counted in the crawl's
    stats as ``presswash/redis/unsafe_entry``; the crawl goes on with the next one.
    """

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        # Whatever SCHEDULER_SERIALIZER says: this queue reads and writes JSON only.
        super().__init__(server, spider, key, serializer=sys.modules[__name__])

    def _decode_request(self, encoded_request: bytes) -> Any:
        try:
            return super()._decode_request(encoded_request)
        except (UnsafeEntry, TypeError, ValueError, AttributeError) as exc:
            logger.error("%s: dropped a queue entry that is not a presswash request: %s", self.key, exc)
            stats = getattr(getattr(self.spider, "crawler", None), "stats", None)
            if stats is not None:
                stats.inc_value("presswash/redis/unsafe_entry")
            return None


__all__ = ["SafePriorityQueue", "UnsafeEntry", "dumps", "loads"]
