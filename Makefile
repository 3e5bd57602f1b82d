# ClawBox. `make test` and `make run` set up what they need (idempotently) on Debian 12.
.PHONY: setup run app package test bench fuzz reliability check fmt lint

setup:
	@scripts/setup.sh

# The app (gateway on 127.0.0.1:18789, data in the OS app-data dir; CLAWBOX_DATA_DIR to
# override). Without a display, the same gateway headless.
run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
		cargo run --release --locked -p clawbox; \
	else \
		echo "No display here: running the headless gateway instead (clawbox-gateway serve)."; \
		cargo run --release --locked -p clawbox-cli --bin clawbox-gateway -- serve; \
	fi

# The desktop app, UI embedded (custom-protocol is always on: no dev server involved).
app: setup
	cargo build --release --locked -p clawbox

# Installers (.deb and .rpm here) in target/release/bundle/; see scripts/package.sh and
# docs/operator.md for signing.
package: setup
	@scripts/package.sh

test:
	@scripts/setup.sh --with-sdk
	@scripts/test-all.sh

# Benchmarks (never part of `make test`): the gateway against the upstream directly, nginx and
# LiteLLM's proxy (bench/run.py; tools cached under bench/, results in bench/results/), then the
# store's writer and queries over a 1 M-row log, then the agents engine (cost per event, Send →
# first token with the real agents). `make bench BENCH_ARGS=--quick` for a smoke run.
bench: setup
	@scripts/setup.sh --with-agents
	@bench/setup.sh
	cargo build --release --locked -p clawbox-cli -p clawbox-testkit
	python3 bench/run.py $(BENCH_ARGS)

# The fault suite (never part of `make test`; a few minutes): the release gateway killed -9 and
# stopped under load, its database locked and its disk full, fed a broken provider (cut, garbage,
# hangs, resets, 200 MiB), flooded at the limit, held by slow connections and soaked; a figure
# per line and a PASS/FAIL per target. RELIABILITY_ARGS=--quick shortens the soak to 20 s.
reliability: setup
	cargo build --release --locked -p clawbox-cli -p clawbox-testkit
	python3 bench/reliability.py $(RELIABILITY_ARGS)

# The property tests of every parser that sees outside input (SSE, usage, the guard, request
# bodies, settings and CLAWBOX_*, setup links, the configurators), with many more cases than the
# 256 each gets in `make test`. PROPTEST_CASES=N to choose.
fuzz: setup
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --locked --lib \
		-p clawbox-gateway -p clawbox-connect -p clawbox-provision properties

fmt:
	cargo fmt --all

lint: setup
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	scripts/check-layers.sh

check: lint test
