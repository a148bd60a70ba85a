# Two commands for a fresh machine with only python3:
#   make run   creates .venv, installs, builds the county scenario and runs the main job
#   make test  creates .venv if needed and runs ruff, the layer contract and the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/its scenario build county
	$(BIN)/its compare county --variant main-street-closure --seeds 3 --out runs/make-run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/simulation.py

clean:
	rm -rf $(VENV) runs scenarios/*/build
