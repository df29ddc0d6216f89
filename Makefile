# The targets CI runs (.ci/run → make test). Everything builds in the release profile so
# polars is compiled once for the binary, the tests and ../shared/tools/check-samples.
CARGO ?= cargo
BIN = $${CARGO_TARGET_DIR:-target}/release/jixiao

.PHONY: all build run test lint fmt unit bench clean

all: build

build:
	$(CARGO) build --release --locked

# Ingest sample_data/ through pipelines/sample.toml into ./out and show the result.
run: build
	$(BIN) run pipelines/sample.toml; status=$$?; \
	$(BIN) status out; \
	test $$status -le 1

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

unit:
	$(CARGO) test --release --locked

test: lint unit

fmt:
	$(CARGO) fmt

# Full vs incremental ingest on sample_data copied 200 times (ratios, one run).
bench: build
	scripts/bench.sh 200

clean:
	rm -rf out
