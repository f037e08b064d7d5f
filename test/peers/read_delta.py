#!/usr/bin/env python3
"""Reads a Delta table with delta-rs (the Python `deltalake` package) and prints what it sees.

Freshet's interop tests run this to prove that tables Freshet writes are readable by an
independent Delta implementation.

Usage: read_delta.py <table-dir> [--version N] [--app-id ID ...] [--distinct COLUMN ...]

Prints one JSON object:
  {"version": 5, "num_files": 3, "num_rows": 42, "fields": ["id", ...],
   "partition_columns": [...], "files": ["relative/path.parquet", ...]}
`files` are the active files' paths relative to the table root, decoded and sorted. With
--app-id, "txn_versions" maps each id to the latest txn version delta-rs finds (or null). With
--distinct, "distinct" maps each column to its sorted distinct values (as strings; null last).
Exits with status 2 (and a message on stderr) when the table cannot be read.
"""

import argparse
import json
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table_dir")
    parser.add_argument("--version", type=int, default=None)
    parser.add_argument("--app-id", action="append", default=[], dest="app_ids")
    parser.add_argument("--distinct", action="append", default=[], dest="distinct")
    parser.add_argument("--rows", action="store_true", help="also print every row, sorted, values as strings")
    args = parser.parse_args()

    from deltalake import DeltaTable  # imported late so --help works without it

    try:
        table = DeltaTable(args.table_dir, version=args.version)
        root = os.path.abspath(args.table_dir)
        files = sorted(os.path.relpath(uri, root) for uri in table.file_uris())
        result = {
            "version": table.version(),
            "num_files": len(files),
            "num_rows": table.to_pyarrow_dataset().count_rows(),
            "fields": [field.name for field in table.schema().fields],
            "partition_columns": list(table.metadata().partition_columns),
            "files": files,
        }
        if args.distinct:
            data = table.to_pyarrow_table(columns=args.distinct)
            result["distinct"] = {
                column: sorted(
                    {None if v is None else str(v) for v in data.column(column).to_pylist()},
                    key=lambda v: (v is None, v or ""),
                )
                for column in args.distinct
            }
        if args.rows:
            data = table.to_pyarrow_table()
            names = data.column_names
            rows = [
                [None if row[n] is None else str(row[n]) for n in names]
                for row in data.to_pylist()
            ]
            result["rows"] = sorted(rows, key=lambda r: [(v is None, v or "") for v in r])
        if args.app_ids:
            result["txn_versions"] = {a: table.transaction_version(a) for a in args.app_ids}
    except Exception as err:  # report any delta-rs failure as data for the test to show
        print(f"delta-rs could not read {args.table_dir}: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: delta-rs' native thread pools can abort the process while
    # it shuts down ("terminate called without an active exception"), after the answer is out.
    os._exit(code)
