# csmap: two commands do all set-up on a fresh machine.
#   make run   - create .venv, install, build the demo store, start the app on 127.0.0.1
#   make test  - install test extras, run ruff, mypy and the whole pytest suite
#   make bench - run the benchmarks (figures go to benchmarks/RESULTS.md)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
DEMO_DIR := .csmap/demo
DEMO_STORE := $(DEMO_DIR)/store.gpkg
DEMO_STAMP := $(DEMO_DIR)/.built
PORT ?= 8501
VENDOR_STAMP := app/static/vendor/.stamp
NUMBA_STAMP := $(VENV)/.numba-warm

.PHONY: run test lint typecheck pytest bench demo vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check uv

# Re-installs only when the project metadata or the lock file changed. --compile-bytecode writes
# the .pyc files once (as pip does), so no process pays seconds of byte-compiling at start-up.
$(VENV)/.installed: pyproject.toml requirements.lock | $(UV)
	$(UV) pip install -q --compile-bytecode --python $(BIN)/python -c requirements.lock -e '.[test]'
	touch $@

# Leaflet and friends from the npm registry, so maps render with no internet (see app/maps/vendor.py).
$(VENDOR_STAMP): app/vendor_assets.txt | $(VENV)/.installed
	$(BIN)/python -m app.maps.vendor fetch
	touch $@

vendor: $(VENDOR_STAMP)

# HDBSCAN's kernels (fast_hdbscan, numba) compile once per machine, about a minute and a half,
# into numba's on-disk cache (see analysis/hotspots/clustering/weighted_hdbscan.py): done here at set-up, so neither
# the first HDBSCAN map nor the test workers pay it.
$(NUMBA_STAMP): $(VENV)/.installed
	$(BIN)/python -c "import numpy as np; from analysis.hotspots.clustering.weighted_hdbscan import weighted_hdbscan as w; \
	x = np.random.default_rng(0).normal(size=(300, 2)) * 50; c = np.arange(300) % 3 + 1; \
	[w(x, c, min_cluster_size=10, min_samples=5, reproducible=r) for r in (False, True)]"
	touch $@

# Synthetic demo records -> three ingests -> the demo marker and generator parameters, set only
# after every stored row is checked against the generator (csmap app --demo checks it again).
# The stamp is written last, so an interrupted build is redone from scratch next time.
$(DEMO_STAMP): | $(VENV)/.installed
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/csmap demo-data --out $(DEMO_DIR)/csv --seed 20261121
	$(BIN)/csmap ingest concerns $(DEMO_DIR)/csv/concerns.csv --store $(DEMO_STORE) > /dev/null
	$(BIN)/csmap ingest missing_episodes $(DEMO_DIR)/csv/missing_episodes.csv --store $(DEMO_STORE) > /dev/null
	$(BIN)/csmap ingest placements $(DEMO_DIR)/csv/placements.csv --store $(DEMO_STORE) > /dev/null
	$(BIN)/python -m geo.demo.check mark $(DEMO_STORE) --seed 20261121 --scale 1 --area kirklees
	touch $@

demo: $(DEMO_STAMP)

run: $(VENV)/.installed $(VENDOR_STAMP) $(NUMBA_STAMP) $(DEMO_STAMP)
	$(BIN)/csmap app --store $(DEMO_STORE) --port $(PORT) --host 127.0.0.1 --demo

lint: $(VENV)/.installed
	$(BIN)/ruff check geo analysis app tests benchmarks
	$(BIN)/ruff format --check geo analysis app tests benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed $(VENDOR_STAMP) $(NUMBA_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck pytest

bench: $(VENV)/.installed $(VENDOR_STAMP) $(NUMBA_STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .csmap .mypy_cache .ruff_cache .pytest_cache app/static/vendor
