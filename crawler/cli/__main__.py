"""``python -m crawler.cli ...``: the ``presswash`` command (the scheduler starts its crawls this way)."""

import sys

from crawler.cli import main

sys.exit(main())
