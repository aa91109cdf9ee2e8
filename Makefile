# Sealtrace: `make run` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint fmt bench loadtest install compile clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The risk rules compiled with mypyc (traceability/compiled.py); a no-op when up to date,
# plain Python where it cannot compile. CI passes COMPILE=--strict: a failed build fails.
COMPILE ?=
compile: $(STAMP)
	$(BIN)/sealtrace compile $(COMPILE)

run: compile
	$(BIN)/sealtrace serve

# pytest exits 5 when no test ran: that is a failure here, as it is in CI.
test: compile
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: compile
	$(BIN)/python -m benchmarks

loadtest: compile
	$(BIN)/python -m loadtests.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
