# The task runner. `make report` and `make test` are the two commands a new user needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# Offline by construction: the model ships inside site-packages; nothing is fetched at run time.
export PATH := $(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
export PLOTLY_RENDERER := notebook
export PYTHONHASHSEED := 0

.PHONY: install sample report report-scope test test-fast dag clean-data help browser

help:
	@echo "make report   install, generate the sample when data/raw is empty, run dvc repro, print the report path"
	@echo "make test     install, then the whole test suite (unit, pipeline, notebooks, real data)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $(STAMP)

install: $(STAMP)

# The sample is written only when data/raw holds no data yet: a user's own data is never overwritten.
sample: install
	@if [ -z "$$(find data/raw -type f ! -name '.gitkeep' 2>/dev/null | head -1)" ]; then \
		$(BIN)/voc sample --out data/raw; \
	else echo "data/raw already holds data: not generating the sample"; fi

report: sample
	$(BIN)/dvc repro
	@echo
	@echo "Reports: $(CURDIR)/data/reports/index.html"

# Re-render the reports for one segment and/or period, e.g. make report-scope SEGMENT=region:EU PERIOD=2026-01..2026-06
report-scope: sample
	$(BIN)/dvc exp run -S 'reports.segment=$(SEGMENT)' -S 'reports.period=$(PERIOD)'
	@echo
	@echo "Reports ($(SEGMENT) $(PERIOD)): $(CURDIR)/data/reports/index.html"

test: install browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (never a downloaded browser). Installed when missing and
# possible (root with apt); otherwise tests/browser skips with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
		echo "chromium not installed: tests/browser will skip"

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

dag: install
	$(BIN)/dvc dag

clean-data:
	rm -rf data/interim data/processed data/metrics data/reports data/models data/plots
