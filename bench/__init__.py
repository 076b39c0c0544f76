"""Load benchmarks of a live Strongroom server; run ``python bench/run.py`` (see README.md)."""
