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

LOCK   := requirements.lock
LOCK_TOOLS ?= /tmp/yot-lock-tools

.PHONY: setup run test bench lab clean synth lock

setup: $(STAMP)

# Pinned, reproducible: exactly the versions (and file hashes) of requirements.lock, then yot itself
# without touching them. Re-installs only when pyproject.toml or the lock changes.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Refresh requirements.lock from pyproject.toml (Python 3.11, hashes of every file; the current pins are
# kept where they still satisfy pyproject.toml; `make lock UPGRADE=1` moves to the newest allowed).
# uv runs from its own virtualenv under /tmp, never from .venv.
lock:
	@test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet uv)
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --python $(LOCK_TOOLS)/bin/python \
	    --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(LOCK)

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
