"""The dbt side of bench/models-incremental.mjs: `dbt` itself, plus a clock on DuckDB.

    FRESHET_BENCH_DUCKDB_TIME=/tmp/t.json python3 bench/peers/dbt_timed.py build \
        --project-dir P --profiles-dir P

runs exactly what the `dbt` command runs (dbt.cli.main.cli, the console script's entry point),
in this process, after wrapping the few places where dbt-duckdb hands work to DuckDB so that the
time spent inside DuckDB is summed up; at the end it writes that sum as JSON to the file named by
FRESHET_BENCH_DUCKDB_TIME. What is timed, all of it work DuckDB does for dbt:

  execute   every statement dbt sends through dbt-duckdb's cursor (DuckDBCursorWrapper.execute):
            the compiled models, the materializations' temp tables, deletes, inserts, renames and
            drops, BEGIN/COMMIT, and dbt's catalog queries (relation cache, column lookups);
  fetch     reading those statements' results (fetchone/fetchall/fetchmany);
  connect   opening the database file (duckdb.connect) and applying the profile's settings to
            each new cursor;
  close     closing it, which checkpoints the write-ahead log into the file.

Why this and not the alternatives: DuckDB's own profiler (enable_profiling / profiling_output)
writes one file per query and overwrites it with the next, so it cannot sum a whole dbt run; and
run_results.json's `execute` phase of each node covers dbt's materialization macros (Jinja,
relation cache, adapter calls) around the SQL as well, so it overstates DuckDB's share. The
wrapper costs one perf_counter pair per statement (microseconds over a few hundred statements).
It is the same measure as Freshet's `Connection.execMs`: wall time around each call into DuckDB.
"""

import json
import os
import re
import sys
import time

import duckdb
from dbt.adapters.duckdb import environments
from dbt.adapters.duckdb.environments import local

spent = {"execute": 0.0, "fetch": 0.0, "connect": 0.0, "close": 0.0, "statements": 0}
# Statements by kind (the same rule as bench/models-incremental.mjs applies to Freshet's).
kinds = {k: {"ms": 0.0, "n": 0} for k in ("model", "catalog", "transaction")}
CATALOG = re.compile(
    r"information_schema|duckdb_\w+\(|^\s*(describe|show|pragma|create schema)\b", re.I | re.M
)
TRANSACTION = re.compile(r"^\s*(begin|commit|rollback)\b", re.I | re.M)


def kind_of(sql):
    if TRANSACTION.search(sql):
        return "transaction"
    return "catalog" if CATALOG.search(sql) else "model"


def timed(kind, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            ms = (time.perf_counter() - t0) * 1000
            spent[kind] += ms
            if kind == "execute":
                spent["statements"] += 1
                k = kinds[kind_of(str(args[1]))]
                k["ms"] += ms
                k["n"] += 1

    return wrapper


cursor = local.DuckDBCursorWrapper
cursor.execute = timed("execute", cursor.execute)
for name in ("fetchone", "fetchall", "fetchmany"):
    # The wrapper forwards these through __getattr__; give it timed methods of its own.
    setattr(
        cursor,
        name,
        (lambda n: timed("fetch", lambda self, *a, **k: getattr(self._cursor, n)(*a, **k)))(name),
    )
# dbt-duckdb's environments call duckdb.connect(...) through the module attribute, then apply
# the profile's settings to every new cursor (SET statements, outside the cursor wrapper).
duckdb.connect = timed("connect", duckdb.connect)
environments.Environment.initialize_cursor = classmethod(
    timed("connect", environments.Environment.initialize_cursor.__func__)
)
local.LocalEnvironment.close = timed("close", local.LocalEnvironment.close)


def report():
    out = os.environ.get("FRESHET_BENCH_DUCKDB_TIME")
    if out:
        total = spent["execute"] + spent["fetch"] + spent["connect"] + spent["close"]
        with open(out, "w") as f:
            json.dump({**spent, "ms": total, "kinds": kinds}, f)


if __name__ == "__main__":
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import cli

    sys.argv[0] = "dbt"
    try:
        cli()  # click exits with dbt's exit code (SystemExit)
    finally:
        # The database would be closed (and its write-ahead log checkpointed) by dbt-duckdb's own
        # atexit hook; close it here instead, timed, so that this DuckDB work is counted too.
        env = DuckDBConnectionManager._ENV
        if env is not None:
            env.close()
        report()
