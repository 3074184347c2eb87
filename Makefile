# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cockpit demo

lint: $(STAMP)
	$(BIN)/ruff check cockpit tests bench
	$(BIN)/ruff format --check cockpit tests bench
	$(BIN)/mypy cockpit

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/store_bench.py
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/ui_bench.py
	$(BIN)/python bench/health_bench.py
	$(BIN)/python bench/policy_bench.py
	$(BIN)/python bench/checkpoint_bench.py
	$(BIN)/python bench/resume_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
