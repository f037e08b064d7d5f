#!/usr/bin/env python3
"""Prints the model, seed and SQL fixtures of dbt's own adapter test suite (dbt-tests-adapter) as JSON.

test/dbt-compat builds its incremental fixture projects from these strings at test time, so the
scenarios are exactly dbt's and none of dbt's text is copied into this repository.

Usage: dbt_fixtures.py [--utils]

Prints one JSON object:
  {"versions": {"dbt-core": "1.10.23", "dbt-duckdb": "1.9.6", "dbt-tests-adapter": "1.15.1",
                "duckdb": "1.5.6"},
   "modules": {"incremental.fixtures": {"_MODELS__A": "...", ...},
               "incremental.test_incremental_unique_id": {"seeds__seed_csv": "...", ...}, ...}}
Every module-level string of each module is included, keyed by its Python name.

With --utils, it prints instead the cross-database macro tests (dbt.tests.adapter.utils): their
shared macros and, for every Test* class, what its pytest fixtures give:
  {"versions": {...}, "macros": {"equals.sql": "..."},
   "classes": [{"module": "test_dateadd", "class": "TestDateAdd",
                "models": {"test_dateadd.sql": "...", "test_dateadd.yml": "..."},
                "seeds": {"data_dateadd.csv": "..."}, "project_config_update": {...} | null}]}
Exits with status 2 (and a message on stderr) when dbt-tests-adapter cannot be imported.
"""

import importlib
import inspect
import json
import pkgutil
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


def versions() -> dict:
    out = {}
    for dist in DISTRIBUTIONS:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def class_fixture(instance, name):
    """The value of a class-scoped pytest fixture that takes only `self`, or None."""
    fixture = getattr(type(instance), name, None)
    unwrap = getattr(fixture, "_get_wrapped_function", None)
    fn = unwrap() if unwrap else getattr(fixture, "__wrapped__", None)
    if fn is None or list(inspect.signature(fn).parameters) != ["self"]:
        return None
    return fn(instance)


def utils() -> dict:
    import dbt.tests.adapter.utils as package
    from dbt.tests.adapter.utils import base_utils

    base = base_utils.BaseUtils()
    out = {"versions": versions(), "macros": class_fixture(base, "macros"), "classes": []}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"dbt.tests.adapter.utils.{info.name}")
        for cls_name, cls in vars(module).items():
            if not (inspect.isclass(cls) and cls_name.startswith("Test")):
                continue
            if cls.__module__ != module.__name__:
                continue
            instance = cls()
            out["classes"].append(
                {
                    "module": info.name,
                    "class": cls_name,
                    "models": class_fixture(instance, "models") or {},
                    "seeds": class_fixture(instance, "seeds") or {},
                    "project_config_update": class_fixture(instance, "project_config_update"),
                }
            )
    return out


def main() -> int:
    if sys.argv[1:] == ["--utils"]:
        try:
            json.dump(utils(), sys.stdout)
        except ImportError as err:
            print(f"dbt_fixtures.py: cannot import dbt.tests.adapter.utils: {err}", file=sys.stderr)
            return 2
        return 0
    out = {"versions": versions(), "modules": {}}
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
