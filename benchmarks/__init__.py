"""csmap benchmarks: ``make bench`` runs every ``benchmarks/bench_*.py`` (see benchmarks/run.py)."""
