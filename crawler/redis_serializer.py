"""Kept for one documented dotted path: ``SCHEDULER_SERIALIZER = "crawler.redis_serializer"`` (docs/scaling.md,
docs/reliability.md; a scrapyd job's settings may still say it). The serializer is crawler.scaleout.serializer.
"""

from crawler.scaleout.serializer import SafePriorityQueue, UnsafeEntry, dumps, loads

__all__ = ["SafePriorityQueue", "UnsafeEntry", "dumps", "loads"]
