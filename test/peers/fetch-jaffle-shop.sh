#!/usr/bin/env bash
# Fetches dbt's public example project, the jaffle shop, for test/dbt-compat. It is not kept in
# this repository: it ships inside the source distribution of the PyPI package dagster-dbt, which
# pip downloads (no install, no dependencies); the project is extracted to .tmp/peers/jaffle_shop.
#   test/peers/fetch-jaffle-shop.sh        # called by `scripts/services install`
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=0.29.27
DEST=.tmp/peers/jaffle_shop
DL=.tmp/peers/dl
INNER="dagster_dbt-$VERSION/dagster_dbt_tests/dbt_projects/jaffle_shop"

if [ -f "$DEST/dbt_project.yml" ]; then exit 0; fi
echo "services: fetching the jaffle shop dbt project (sdist of dagster-dbt==$VERSION)…"
mkdir -p "$DL"
SDIST="$DL/dagster_dbt-$VERSION.tar.gz"
if [ ! -f "$SDIST" ]; then
  python3 -m pip download --quiet --no-deps --no-binary :all: "dagster-dbt==$VERSION" -d "$DL"
fi
TMP=$(mktemp -d "$DL/extract.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
tar -xzf "$SDIST" -C "$TMP" "$INNER"
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$TMP/$INNER" "$DEST"
# A fresh copy: no build output of whoever packaged it.
rm -rf "$DEST/target" "$DEST/logs" "$DEST/dbt_packages"
echo "services: jaffle shop at $DEST"
