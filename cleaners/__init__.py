"""The cleaning core of presswash: raw document in, clean article (or a typed rejection) out.

Both the Scrapy crawl and `presswash clean` call :func:`cleaners.core.clean`; nothing in this package
imports Scrapy, so the core can be tested, benchmarked and reused without a crawler.
"""

__version__ = "0.1.0"
