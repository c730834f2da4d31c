# etr: make install | make test | make demo | make bench | make lint
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: install test test-slow test-all demo bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check etr tests benchmarks examples

test: $(STAMP) lint
	$(BIN)/python -m pytest -m "not slow" -n $(WORKERS) -q
	$(BIN)/python -m pytest --doctest-modules etr -n $(WORKERS) -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -n $(WORKERS) -q

test-all: test test-slow

# The main job on the embedded default: simulate the `quick` grid, analyse it, write the report.
# Re-running resumes from the journal and recomputes nothing that is finished; the report is
# derived from the dataset, so it is replaced (--force).
demo: $(STAMP)
	$(BIN)/etr simulate --preset quick --out data/demo.parquet --workers $(WORKERS) --resume
	$(BIN)/etr analyze data/demo.parquet --out reports/demo.html --json reports/demo.json --force
	@echo "open reports/demo.html"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
