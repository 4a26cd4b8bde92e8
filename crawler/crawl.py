"""``python -m crawler.crawl ...`` is ``presswash crawl ...`` without the entry point (docs/crawling.md).

The crawl itself is crawler.runner; the command, crawler.cli.crawl.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from crawler.cli import main as cli_main

    return cli_main(["crawl", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    sys.exit(main())
