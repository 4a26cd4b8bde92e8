"""Exit statuses of ``presswash clean``, ``presswash health`` and of the CLI itself (a crawl's are in
crawler.runner)."""

EXIT_OK = 0
EXIT_INPUT_FAILED = 1
EXIT_DRIFT = 1  # presswash health --check: a site's newest run drifted from its baseline
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
