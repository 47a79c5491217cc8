# leadbot: `make demo` to see it work, `make test` to check it. Needs only Python 3.11+ and make.

VENV := .venv
BIN := $(VENV)/bin
# python3 when it is 3.11 or newer, else python3.11 (or a newer python3.1x) if installed.
PYTHON := $(shell for candidate in python3 python3.11 python3.12 python3.13 python3.14; do \
	$$candidate -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { echo $$candidate; break; }; done)

.PHONY: demo test lint format bench bench-offline bench-bulk bench-llm bench-backtest bench-delivery bench-serve serve clean python

demo: $(VENV)/.installed
	$(BIN)/leadbot demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every figure the README reports. Not timed tests: they print numbers and say whether each
# target is met.
bench: bench-offline bench-bulk bench-llm bench-backtest bench-delivery bench-serve

bench-offline: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/length_scaling.py
	$(BIN)/python benchmarks/accuracy.py --data benchmarks/data/blind_leads.yaml
	$(BIN)/python benchmarks/accuracy.py --data benchmarks/data/holdout_leads.yaml

# LEADBOT_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test adds PostgreSQL.
bench-bulk: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bulk_storage.py $(if $(LEADBOT_BENCH_POSTGRES_URL),--postgres $(LEADBOT_BENCH_POSTGRES_URL))

bench-llm: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/llm_tokens.py
	$(BIN)/python benchmarks/llm_throughput.py $(if $(LEADBOT_BENCH_POSTGRES_URL),--postgres $(LEADBOT_BENCH_POSTGRES_URL))

bench-backtest: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/backtest_datasets.py

bench-delivery: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/delivery.py burst
	$(BIN)/python benchmarks/delivery.py faults

# `leadbot serve` as a process: acks beside bare Bolt, and drop-to-summary; the CPU of one ack.
bench-serve: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/ack_cpu.py $(if $(LEADBOT_BENCH_POSTGRES_URL),--postgres $(LEADBOT_BENCH_POSTGRES_URL))
	$(BIN)/python benchmarks/ack_latency.py $(if $(LEADBOT_BENCH_POSTGRES_URL),--postgres $(LEADBOT_BENCH_POSTGRES_URL),--no-postgres)
	$(BIN)/python benchmarks/drop_to_summary.py $(if $(LEADBOT_BENCH_POSTGRES_URL),--postgres $(LEADBOT_BENCH_POSTGRES_URL),--no-postgres)

serve: $(VENV)/.installed
	$(BIN)/leadbot serve

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache .ruff_cache

# The interpreter chosen above, for scripts (.ci/run builds and tries the wheel with it).
python:
	@echo $(PYTHON)

$(BIN)/python:
	@test -n "$(PYTHON)" || { \
		echo "leadbot needs Python 3.11 or newer: install python3.11 (or newer) and retry." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed
