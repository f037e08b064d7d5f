#!/usr/bin/env python3
"""Reads an Iceberg table from its metadata file with PyIceberg and prints what it sees.

Freshet's interop tests run this to prove that the Iceberg metadata Freshet writes for a Delta
table is read by an independent Iceberg implementation, over the same Parquet files.

Usage: read_iceberg.py <vN.metadata.json | table folder> [--filter EXPR] [--order-by COLUMN]
                       [--s3-endpoint URL]

A table folder is read through its metadata/version-hint.text. With --s3-endpoint, s3:// locations
are read from that S3-compatible server, with credentials from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY.

Prints one JSON object:
  {"format_version": 2, "snapshot_id": 123, "fields": ["id", ...], "partition_fields": ["region"],
   "planned_files": 3, "num_rows": 42, "rows": [[1, "a", ...], ...]}
`rows` are sorted by --order-by (default: the first column), values made JSON-able: timestamps as
microseconds since the epoch, dates as ISO strings, decimals as strings, bytes as hex. With
--filter (PyIceberg's expression syntax, e.g. "id >= 10"), the scan is filtered, and
`planned_files` counts the files left after PyIceberg's pruning by partition and column bounds.
Exits with status 2 (and a message on stderr) when the table cannot be read.
"""

import argparse
import datetime
import decimal
import json
import os
import sys


def to_json(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metadata")
    parser.add_argument("--filter", default=None)
    parser.add_argument("--order-by", default=None)
    parser.add_argument("--s3-endpoint", default=None)
    args = parser.parse_args()
    properties = {}
    if args.s3_endpoint:
        properties = {
            "s3.endpoint": args.s3_endpoint,
            "s3.access-key-id": os.environ.get("AWS_ACCESS_KEY_ID", ""),
            "s3.secret-access-key": os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            "s3.region": os.environ.get("AWS_REGION", "us-east-1"),
            "s3.force-virtual-addressing": "false",
        }

    from pyiceberg.table import StaticTable  # imported late so --help works without it

    try:
        table = StaticTable.from_metadata(args.metadata, properties=properties)
        scan = table.scan(row_filter=args.filter) if args.filter else table.scan()
        planned = list(scan.plan_files())
        data = scan.to_arrow()
        fields = [f.name for f in table.schema().fields]
        order = args.order_by or fields[0]
        rows = sorted(
            data.to_pylist(),
            key=lambda r: (r[order] is None, r[order] if r[order] is not None else 0),
        )
        result = {
            "format_version": table.metadata.format_version,
            "snapshot_id": table.current_snapshot().snapshot_id,
            "fields": fields,
            "partition_fields": [f.name for f in table.spec().fields],
            "planned_files": len(planned),
            "num_rows": data.num_rows,
            "rows": [[to_json(row[name]) for name in fields] for row in rows],
        }
    except Exception as err:  # report any PyIceberg failure as data for the test to show
        print(f"pyiceberg could not read {args.metadata}: {type(err).__name__}: {err}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
