"""Kept for one dotted path only: ``crawler.postgres.PostgresPipeline``, the name ITEM_PIPELINES used before
the crawler was split into rooms (a ``-s ITEM_PIPELINES=...`` or a scrapyd job may still say it).

The pipeline is crawler.pipelines.postgres, the sink crawler.sinks.postgres, ``presswash load``
crawler.cli.load.
"""

from crawler.pipelines.postgres import PostgresPipeline

__all__ = ["PostgresPipeline"]
