"""Spiders found by ``SPIDER_MODULES``: the generic ``news`` spider, driven by config/sites.yaml."""
