"""`python -m bench [name ...] [--rebuild]`: run every benchmark, or those named."""

import argparse
import importlib
import sys
import time

from bench import BENCHMARKS
from bench.common import setup_django, write_record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all of {BENCHMARKS})"
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="regenerate the data even if it is already there"
    )
    # Benchmark modules import models at the top, so Django is set up (and the bench database
    # created and migrated) first.
    setup_django()
    modules = {name: importlib.import_module(f"bench.{name}") for name in BENCHMARKS}
    for module in modules.values():
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser)
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    for name in args.names or BENCHMARKS:
        started = time.perf_counter()
        print(f"\n## {name}\n", flush=True)
        record = modules[name].run(args)
        path = write_record(name, record)
        print(f"\n{name}: {time.perf_counter() - started:.0f} s; wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
