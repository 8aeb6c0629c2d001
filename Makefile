# Two commands do everything on a fresh machine with Python 3.11 and make: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SYNTH  := data/synthetic
DATA   ?=
PARAMS ?= parameters/barnet_2005_2008.yaml
OUT    ?= outputs
JOBS   ?= 2
DATA_DIR := $(if $(DATA),$(DATA),$(SYNTH))

.PHONY: setup run test bench lab clean synth

setup: $(STAMP)

# Re-installs only when pyproject.toml changes (the stamp is older than it).
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The embedded synthetic extract, generated once (deterministic for its seed).
$(SYNTH)/.complete: | $(STAMP)
	$(PY) -m yot synth --out $(SYNTH)
	$(PY) -m yot validate --data $(SYNTH)
	@touch $@

synth: $(SYNTH)/.complete

run: setup $(if $(DATA),,$(SYNTH)/.complete)
	$(PY) -m yot run --params $(PARAMS) --data $(DATA_DIR) --out $(OUT) --jobs $(JOBS)

test: setup
	$(PY) -m pytest -n $(JOBS) --dist loadfile

bench: setup
	$(PY) bench/run_all.py

lab: setup synth
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) data outputs .pytest_cache .hypothesis
