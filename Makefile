# dondoc: two commands for a new user — `make run` and `make test`; `make bench` measures performance, `make soak`
# replays a year of chases with faults thrown in (MINUTES=10 by default).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench soak clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

## run: local Prefect server on 127.0.0.1:4200, examples registered, deployments served (Ctrl-C stops)
run: $(STAMP)
	$(PY) -m flows.serve

## test: the whole suite (SQLite, Prefect test server, throwaway PostgreSQL)
test: $(STAMP)
	$(PY) -m pytest

## bench: the performance goals of issue 7, measured on this machine (first run generates ~4 GB of data)
bench: $(STAMP)
	$(PY) -m bench.run

## soak: a simulated year of chases with processes killed, sinks down, runs overlapping; fails on any lost or
## duplicated message (`$(PY) -m soak --help` for the knobs)
MINUTES ?= 10
SOAK_ARGS ?=
soak: $(STAMP)
	$(PY) -m soak --minutes $(MINUTES) $(SOAK_ARGS)

clean:
	rm -rf .state .pytest_cache
