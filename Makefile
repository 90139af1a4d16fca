# nbtrack developer commands. `make demo` and `make test` work on a fresh machine:
# they create .venv and install nbtrack with its dev extras on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck check bench dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: track two real runs of notebooks/train.ipynb, smoke-test notebooks/, compare the runs, TensorBoard both ways, a prepare -> train pipeline and its lineage, a four-run sweep, print the nbtrack ui command
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

## test: the whole test suite (SQLite and a real PostgreSQL the tests start themselves)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check nbtrack tests benchmarks
	$(BIN)/ruff format --check nbtrack tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## dist: build the wheel and the sdist into dist/ (install the wheel anywhere: pip install dist/nbtrack-*.whl)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) .nbtrack .pytest_cache .mypy_cache .ruff_cache dist
