"""presswash's crawler: Scrapy spiders, pipelines and the crawl command, built on the ``cleaners`` core.

``cleaners`` never imports Scrapy; everything that knows about Scrapy lives here.
"""

from cleaners.redact import install_log_redaction

# Every process that runs presswash code (the CLI, `scrapy crawl`, scrapyd's crawls) logs without passwords.
install_log_redaction()
