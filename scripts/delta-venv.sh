#!/bin/sh
# The Python side of the S3 test (tests/delta_s3.rs, `make test-s3`): a venv outside the repo with
# an S3 endpoint (moto server) and the two readers the docs name (polars.scan_delta through the
# `deltalake` package, duckdb's delta and httpfs extensions loaded from their PyPI files). Pinned: moto 5.2.5
# answers a second conditional put with 412 (5.2.0 does not); duckdb and its extension go together.
# Prints the venv's python on success; exits non-zero (the test is then skipped) when it cannot be built.
set -eu
VENV="${JIXIAO_DELTA_VENV:-$HOME/.cache/jixiao-delta-venv}"
PINS="moto[server]==5.2.5 deltalake==1.6.6 polars==2.1.0 duckdb==1.5.5 duckdb-extension-delta==1.5.5 duckdb-extension-httpfs==1.5.5 boto3"
if [ ! -f "$VENV/.jixiao-pins" ] || [ "$(cat "$VENV/.jixiao-pins")" != "$PINS" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS >&2
    echo "$PINS" > "$VENV/.jixiao-pins"
fi
echo "$VENV/bin/python"
