# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= offscreen
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	env -u QT_QPA_PLATFORM $(VENV)/bin/layerforge

test: $(STAMP)
	$(PY) -m ruff check app tests
	$(PY) -m pytest -q tests/unit tests/keras tests/gui tests/slow

lint: $(STAMP)
	$(PY) -m ruff check app tests

bench: $(STAMP)
	$(PY) -m pytest -q tests/benchmarks --benchmark-only --benchmark-columns=min,median,mean,max,rounds

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks
