# nn-parity: `make report` runs every comparison and writes reports/; `make test` runs what CI checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
REPORT_DIR ?= reports
TEST_REPORT_DIR ?= build/test-reports
WORKERS ?= 2
IMPL ?= scratch
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install report test fuzz lint clean bench mutate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project metadata or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[torch,tensorflow,jax,sklearn,dev]"
	touch $(STAMP)

install: $(STAMP)

# `nn-parity run` is pytest over comparisons/ with a progress bar; after the CSV files it draws
# summary.md and the PNG plots from them (`nn-parity render DIR` redraws them alone).
# IMPL=SPEC checks another implementation than the bundled scratch/ (docs/own-implementation.md).
report: install
	$(BIN)/nn-parity run --full -n $(WORKERS) --report-dir $(REPORT_DIR) --impl '$(IMPL)'

test: install
	$(BIN)/python -m pytest tests comparisons -q -p no:cacheprovider -n $(WORKERS) --report-dir $(TEST_REPORT_DIR)

# Training-step timings of scratch vs torch / TensorFlow / JAX and the harness's own cost (several minutes):
# reports/benchmarks.{csv,md,json}, harness_cost.csv, benchmarks*.png. Never part of `make test`.
bench: install
	$(BIN)/python -m benchmarks --out $(REPORT_DIR)

# Detection power: every catalogued bug planted in its own component case, reports/detection.csv and a
# totals line (benchmarks/detection.py); `make test` runs a quick subset (tests/meta/test_detection_meta.py).
mutate: install
	$(BIN)/python -m benchmarks.detection --all-frameworks --dtypes float32 float64 --out $(REPORT_DIR)

# Randomized architectures, more of them than `make test` runs (200): still derandomized, so repeatable.
FUZZ_EXAMPLES ?= 2000
fuzz: install
	NN_PARITY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/meta/test_random_architectures.py -q \
		-p no:cacheprovider -n $(WORKERS) --report-dir $(TEST_REPORT_DIR)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
