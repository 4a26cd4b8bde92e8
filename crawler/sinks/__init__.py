"""Where articles go besides the JSON lines: no Scrapy here, so the crawl's pipelines and the command line
(`presswash load`, `presswash clean --dedup`) share them.

- ``archive``: the raw WARC archive of fetched pages (``output/raw/<site>/<date>.warc.gz``), for re-cleaning;
- ``postgres``: articles into PostgreSQL, an idempotent upsert (the query copy of the JSON lines).

The JSON lines themselves, the record of truth, are written by cleaners.jsonl (one whole line per write).
"""
