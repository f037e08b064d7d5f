#!/usr/bin/env python3
"""Prints the model, seed and SQL fixtures of dbt's own adapter test suite (dbt-tests-adapter) as JSON.

test/dbt-compat builds its incremental fixture projects from these strings at test time, so the
scenarios are exactly dbt's and none of dbt's text is copied into this repository.

Usage: dbt_fixtures.py

Prints one JSON object:
  {"versions": {"dbt-core": "1.10.23", "dbt-duckdb": "1.9.6", "dbt-tests-adapter": "1.15.1",
                "duckdb": "1.5.6"},
   "modules": {"incremental.fixtures": {"_MODELS__A": "...", ...},
               "incremental.test_incremental_unique_id": {"seeds__seed_csv": "...", ...}, ...}}
Every module-level string of each module is included, keyed by its Python name.
Exits with status 2 (and a message on stderr) when dbt-tests-adapter cannot be imported.
"""

import importlib
import json
import sys
from importlib import metadata

MODULES = [
    "incremental.fixtures",
    "incremental.test_incremental_on_schema_change",
    "incremental.test_incremental_merge_exclude_columns",
    "incremental.test_incremental_predicates",
    "incremental.test_incremental_unique_id",
    "basic.files",
]

DISTRIBUTIONS = ["dbt-core", "dbt-duckdb", "dbt-tests-adapter", "duckdb"]


def main() -> int:
    out = {"versions": {}, "modules": {}}
    for dist in DISTRIBUTIONS:
        try:
            out["versions"][dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out["versions"][dist] = None
    for name in MODULES:
        try:
            module = importlib.import_module(f"dbt.tests.adapter.{name}")
        except ImportError as err:
            print(f"dbt_fixtures.py: cannot import dbt.tests.adapter.{name}: {err}", file=sys.stderr)
            return 2
        out["modules"][name] = {
            key: value
            for key, value in vars(module).items()
            if isinstance(value, str) and not key.startswith("__")
        }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
