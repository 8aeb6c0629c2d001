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
LAB_ARGS ?=
NOTEBOOKS ?=
# The extract of `make run`: DATA= here, else the suite file's `data:`, else the embedded synthetic one.
DATA_ARG := $(if $(DATA),--data $(DATA))

.PHONY: setup run test bench lab clean synth

setup: $(STAMP)

# Re-installs only when pyproject.toml changes (the stamp is older than it).
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The embedded synthetic extract (deterministic for its seed), made again when the generator or the
# data contract changes.
$(SYNTH)/.complete: yot/synth.py yot/contract.py | $(STAMP)
	$(PY) -m yot synth --out $(SYNTH)
	$(PY) -m yot validate --data $(SYNTH)
	@touch $@

synth: $(SYNTH)/.complete

# The synthetic extract is made (or refreshed) only when it is the extract this run will use.
run: setup
	@used="$$($(PY) -m yot run --params '$(PARAMS)' $(DATA_ARG) --which-data 2>/dev/null)"; \
	if [ "$$used" = "$(abspath $(SYNTH))" ]; then $(MAKE) --no-print-directory synth; fi
	$(PY) -m yot run --params '$(PARAMS)' $(DATA_ARG) --out '$(OUT)' --jobs $(JOBS) $(if $(NOTEBOOKS),--notebooks '$(NOTEBOOKS)')

test: setup synth
	$(PY) -m pytest -n $(JOBS) --dist loadfile

bench: setup
	$(PY) bench/run_all.py

# Extra options for JupyterLab: make lab LAB_ARGS=--allow-root (as root), LAB_ARGS='--port 8890 --no-browser'
lab: setup synth
	$(VENV)/bin/jupyter lab $(LAB_ARGS) notebooks/

clean:
	rm -rf $(VENV) data outputs .pytest_cache .hypothesis
