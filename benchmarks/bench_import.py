"""Import-and-rate throughput, as a ratio of Python's csv.reader reading the same file.

Generates a deterministic month of CDRs (unicom_cs.demo's realistic mix: about 150 calls,
60 messages and 300 data sessions per line, a few abroad), then measures in one run:

- baseline: `csv.reader` reading the file (the floor any importer pays);
- parse: `usage.parse_cdrs` (validation, numbers, times);
- import: parse + `service.import_usage` into a fresh SQLite store (one transaction);
- rate: composing every line's bill for the month from the store.

Run: python benchmarks/bench_import.py [--lines N] [--quick]. Figures are printed, never
asserted: ratios hold on a noisy machine because the baseline runs in the same process.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from unicom_cs import service
from unicom_cs.demo import demo_usage
from unicom_cs.period import Month
from unicom_cs.store.sqlite import SQLiteStore
from unicom_cs.usage import format_cdrs, parse_cdrs

PLANS = ("4g-56", "4g-76", "4g-106", "3g-a-46", "3g-a-66", "3g-card-80")


def numbers(n: int) -> list[str]:
    return [f"186{i:08d}" for i in range(n)]


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--lines", type=int, default=200, help="lines (about 510 records each)")
    ap.add_argument("--quick", action="store_true", help="a small run for CI: 10 lines")
    args = ap.parse_args()
    n_lines = 10 if args.quick else args.lines
    month = Month(2026, 10)
    msisdns = numbers(n_lines)
    records = [r for m in msisdns for r in demo_usage(m, month)]
    data = format_cdrs(records).encode()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdrs.csv"
        path.write_bytes(data)

        def baseline() -> None:
            with path.open(newline="", encoding="utf-8") as f:
                for _ in csv.reader(f):
                    pass

        def parse() -> None:
            parse_cdrs(path.read_bytes(), str(path))

        stores: list[SQLiteStore] = []

        def fresh_store() -> SQLiteStore:
            store = SQLiteStore(Path(tmp) / f"s{len(stores)}.sqlite3")
            stores.append(store)
            service.init_store(store)
            for i, m in enumerate(msisdns):
                service.add_line(store, m, PLANS[i % len(PLANS)], date(2026, 8, 1))
            return store

        def import_once() -> float:
            store = fresh_store()  # lines and catalog first: only the import is timed
            t0 = time.perf_counter()
            service.import_usage(store, parse_cdrs(path.read_bytes(), str(path)))
            return time.perf_counter() - t0

        repeat = 3
        t_base = best_of(repeat, baseline)
        t_parse = best_of(repeat, parse)
        t_import = min(import_once() for _ in range(repeat))
        store = stores[-1]
        now = month.next().end

        def rate() -> None:
            for m in msisdns:
                service.bill_for(store, m, now, month)

        t_rate = best_of(repeat, rate)
        for s in stores:
            s.close()  # checkpoints the WAL into the file
        size = Path(store.location).stat().st_size

    n = len(records)
    rows = [
        ("csv.reader (baseline)", t_base),
        ("parse_cdrs", t_parse),
        ("parse + import (SQLite)", t_import),
        ("rate: compose every bill", t_rate),
        ("import + rate", t_import + t_rate),
    ]
    print(f"{n:,} records, {n_lines} lines, {len(data) / 2**20:.1f} MiB CSV, best of {repeat}")
    print(f"{'step':<28}{'seconds':>10}{'records/s':>14}{'speed vs csv':>14}")
    for name, t in rows:
        print(f"{name:<28}{t:>10.3f}{n / t:>14,.0f}{t_base / t:>14.3f}")
    print(f"store file: {size / n:.0f} bytes per CDR (SQLite, indexes included, after import)")


if __name__ == "__main__":
    main()
