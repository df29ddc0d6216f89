# The targets CI runs (.ci/run → make test). Everything builds in the release profile so
# polars is compiled once for the binary, the tests and ../shared/tools/check-samples.
CARGO ?= cargo
BIN = $${CARGO_TARGET_DIR:-target}/release/jixiao

.PHONY: all build run test test-s3 lint fmt unit bench clean fuzz-seed fuzz-smoke

all: build

build:
	$(CARGO) build --release --locked

# Ingest sample_data/ through pipelines/sample.toml into ./out and show the result.
run: build
	$(BIN) run pipelines/sample.toml; status=$$?; \
	$(BIN) status out; \
	test $$status -le 1

# The library also builds without polars (the fuzz crate builds it so): checked here, since
# nothing else in `make test` would notice a polars-only type leaking into a shared module.
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings
	$(CARGO) check --release --locked --lib --no-default-features

unit:
	$(CARGO) test --release --locked

test: lint unit

# Only the S3 test (moto on 127.0.0.1, read back by polars and duckdb). `make test` runs it too;
# it builds its Python venv once under ~/.cache (PyPI) and is skipped, saying why, when it cannot.
test-s3:
	$(CARGO) test --release --locked --test delta_s3 -- --nocapture

fmt:
	$(CARGO) fmt

# Generated corpora of 5,000 and 50,000 files: throughput, peak RSS, floors, threads, re-run,
# the Python baseline (scripts/bench.sh; not part of `make test`). BENCH_RUNS=1 for a quick look.
bench: build
	scripts/bench.sh

clean:
	rm -rf out

# Fuzz targets of the readers (fuzz/, its own workspace, nightly + cargo-fuzz). Seeds come
# from sample_data/; fuzz-smoke runs each target for FUZZ_SECONDS (default 5) seconds.
FUZZ_TARGETS = decode layout_tsv layout_csv layout_markdown layout_fixed layout_html layout_html_fast layout_stream form value
FUZZ_SECONDS ?= 5

fuzz-seed:
	fuzz/seed.sh

fuzz-smoke: fuzz-seed
	for t in $(FUZZ_TARGETS); do \
		$(CARGO) +nightly fuzz run -O $$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 || exit 1; \
	done
