"""Benchmarks at scale (`make bench`): each module here measures one part against generated data
in its own database (`joinedup_bench`), prints a table and writes var/bench/<name>.json."""

# Every benchmark module, in the order `python -m bench` runs them.
BENCHMARKS = ["directory", "events", "stories"]
