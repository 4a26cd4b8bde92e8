"""Item pipelines, one role a module: clean (page -> Article), site_template (the site's learned
boilerplate off), dedup (duplicates, versions), jsonl (write), postgres (the optional PostgreSQL copy).

``crawler.settings.ITEM_PIPELINES`` names them by these package-level paths
(``crawler.pipelines.CleanPipeline``...), which docs/crawling.md documents for ``--set ITEM_PIPELINES=``;
the classes live in the modules below.
"""

from crawler.pipelines.clean import CLEAN_MODES, CleanPipeline, SharedPool
from crawler.pipelines.dedup import DedupPipeline
from crawler.pipelines.jsonl import JsonlWriterPipeline
from crawler.pipelines.postgres import PostgresPipeline
from crawler.pipelines.site_template import SiteTemplatePipeline

__all__ = [
    "CLEAN_MODES",
    "CleanPipeline",
    "DedupPipeline",
    "JsonlWriterPipeline",
    "PostgresPipeline",
    "SharedPool",
    "SiteTemplatePipeline",
]
