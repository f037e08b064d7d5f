"""The delta-rs side of bench/lake-write.mjs: one measurement per process, one JSON line out.

    python3 bench/peers/deltalake_write.py append --input events.parquet --table /lake/t
    python3 bench/peers/deltalake_write.py merge --input merge.parquet --table /lake/t [--streamed-exec false]
    python3 bench/peers/deltalake_write.py verify --table /lake/a --table /lake/b

Timing runs from reading the input Parquet (pyarrow) to the commit, imports excluded. Peak memory
is this process's RSS high-water mark (ru_maxrss, kilobytes on Linux), delta-rs' Rust threads
included. `--streamed-exec false` lets delta-rs' merge prune target files by the source's key
range (with the default, true, it scans the whole table): much faster when the keys fall in a few
files, a little slower when they are spread over all of them. bench/lake-write.mjs picks the
faster one for its data.
"""

import argparse
import json
import resource
import time

import deltalake
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def append(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    data = pq.read_table(args.input)
    write_deltalake(args.table, data, mode="append")
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "version": deltalake.__version__}


def merge(args: argparse.Namespace) -> dict:
    t0 = time.perf_counter()
    table = DeltaTable(args.table)
    source = pq.read_table(args.input)
    metrics = (
        table.merge(
            source=source,
            predicate="t.event_id = s.event_id",
            source_alias="s",
            target_alias="t",
            streamed_exec=args.streamed_exec == "true",
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "filesRemoved": metrics.get("num_target_files_removed"),
        "filesAdded": metrics.get("num_target_files_added"),
        "streamedExec": args.streamed_exec,
        "metrics": metrics,
    }


def verify(args: argparse.Namespace) -> dict:
    """Row count, event_id sum and price_paise sum of each table, read by delta-rs."""
    out = {}
    for path in args.table:
        rows = key_sum = price_sum = 0
        dataset = DeltaTable(path).to_pyarrow_dataset()
        for batch in dataset.to_batches(columns=["event_id", "price_paise"]):
            rows += batch.num_rows
            key_sum += pc.sum(batch.column("event_id")).as_py() or 0
            price_sum += pc.sum(batch.column("price_paise")).as_py() or 0
        out[path] = {"rows": str(rows), "keySum": str(key_sum), "priceSum": str(price_sum)}
    return {"tables": out}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["append", "merge", "verify"])
    parser.add_argument("--input")
    parser.add_argument("--table", action="append", required=True)
    parser.add_argument("--streamed-exec", choices=["true", "false"], default="true")
    args = parser.parse_args()
    if args.command != "verify":
        args.table = args.table[0]
    result = {"append": append, "merge": merge, "verify": verify}[args.command](args)
    result["peakMB"] = peak_mb()
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
