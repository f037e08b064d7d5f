#!/usr/bin/env python3
"""Runs `dbt ls` once per selection in one Python process (dbt's programmatic dbtRunner) and
writes what each listed, as JSON.

test/dbt-compat compares `freshet models ls` with this; one process instead of one `dbt` start
per selection keeps the test fast.

Usage: dbt_ls.py <project-dir> <profiles-dir> <out.json> '<JSON list of argument lists>'
  e.g. dbt_ls.py . . out.json '[["-s", "+customers"], ["--resource-type", "seed"]]'

Writes one JSON list to out.json, one entry per selection, in order:
  [{"args": ["-s", "+customers"], "success": true, "nodes": ["jaffle_shop.customers", ...],
    "error": null}, ...]
Exits with status 2 (and a message on stderr) when dbt cannot be imported.
"""

import json
import sys


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    project_dir, profiles_dir, out_path, selections = sys.argv[1:]
    try:
        from dbt.cli.main import dbtRunner
    except ImportError as err:
        print(f"dbt_ls.py: cannot import dbt: {err}", file=sys.stderr)
        return 2
    runner = dbtRunner()
    out = []
    for args in json.loads(selections):
        res = runner.invoke(
            ["ls", "-q", "--project-dir", project_dir, "--profiles-dir", profiles_dir, *args]
        )
        out.append(
            {
                "args": args,
                "success": bool(res.success),
                "nodes": [str(n) for n in (res.result or [])] if res.success else [],
                "error": None if res.exception is None else str(res.exception),
            }
        )
    with open(out_path, "w", encoding="utf8") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
