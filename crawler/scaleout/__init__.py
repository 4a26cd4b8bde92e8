"""Scale-out: shared crawls on Redis. One setting switches a crawl to scrapy-redis, ``presswash seed`` fills
the queue.

Modules: ``frontier`` (scrapy-redis settings per site, made by crawler.config's translator), ``seeds``
(entry points as queue entries), ``coordinator`` (idle processes and the seeds), ``serializer`` (queued
requests as JSON, never pickle).
The ``scale:`` section itself is read by crawler.config; the shared state is crawler.state.redis_store.

With ``redis_url`` set (``scale.redis_url`` in config/presswash.yaml, ``$PRESSWASH_REDIS_URL``, or the
``PRESSWASH_REDIS_URL`` Scrapy setting), every ``presswash crawl --site NAME`` process of a site uses:

- scrapy-redis's scheduler and dupefilter on per-site keys (:func:`redis_settings`), with
  ``SCHEDULER_PERSIST=True``: the request queue and the fingerprints of every request made are shared,
  so a URL discovered by two processes is fetched by one of them, once;
- the state and dedup indexes on Redis (crawler.state.redis_store), so no article is written twice and the
  near-duplicate check sees every process's articles.

Keys per site (``P`` is the prefix, default ``presswash``):

``P:<site>:start_urls``   zset of seed entries (JSON, scored by priority), filled by ``presswash seed``
``P:<site>:requests``     scrapy-redis's priority queue (request dicts as JSON: crawler.scaleout.serializer)
``P:<site>:dupefilter``   scrapy-redis's set of request fingerprints (SHA1 hex)
``P:<site>:workers``      hash worker -> time until which it counts as busy (:class:`RedisCrawlCoordinator`)

Seeds are ``{"url": ..., "meta": {"presswash_kind": "feed", ...}}``, the JSON form scrapy-redis's
``make_request_from_data`` reads, in a sorted set so seeding twice queues an entry once. The spider turns
each into the same request its ``start()`` makes from the config (kinds: robots, feed, sitemap, start),
with ``dont_filter=True`` so every seeding fetches the feeds again; everything found from them goes
through the shared dupefilter. A seeding that finds the site's previous round finished (queue empty, no
busy worker) starts a new round: it clears the dupefilter, so section pages are fetched again, while the
state store keeps known articles from being fetched or written again.

scrapy-redis 0.9.1's ``RedisMixin`` only defines ``start_requests``, which Scrapy 2.16+ never calls, so
the news spider reads the seeds itself, in its ``async def start()`` and on ``spider_idle`` through
:class:`RedisCrawlCoordinator`, which also keeps an idle process open while another one is still busy
(its responses may yield requests for everybody).
"""
