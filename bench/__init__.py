"""presswash's benchmarks (``python -m bench.quality``, ``bench.clutter``, ``bench.throughput``).

The extraction benchmark data itself lives outside the project (``PRESSWASH_BENCH_DIR``, default
``../shared/bench``): nothing in this package ships or copies it.
"""
