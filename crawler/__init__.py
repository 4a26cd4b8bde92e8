"""presswash's crawler: Scrapy spiders, pipelines and the crawl command, built on the ``cleaners`` core.

``cleaners`` never imports Scrapy; everything that knows about Scrapy lives here.
"""
