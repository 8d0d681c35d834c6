# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export QT_QPA_PLATFORM ?= offscreen
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install run test test-all lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,onnx,job]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	env -u QT_QPA_PLATFORM $(VENV)/bin/layerforge

# Two worker processes (pytest-xdist), each test file whole on one worker: 9.7 min instead of 20.6 on
# two cores. Test files share no state across processes (each test makes its own files and home).
test: lint
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not full_corpus" tests/unit tests/keras tests/gui tests/slow

# Everything in make test plus the corpus test's other 34 keras.applications (about 8 minutes more with two workers).
test-all: lint
	$(PY) -m pytest -q -n 2 --dist loadfile tests/unit tests/keras tests/gui tests/slow

# The architecture's rules (docs/ARCHITECTURE.md): style, the import contracts in pyproject.toml
# (layer order, no Qt/Keras in core and data, independent gui subpackages) and the types of the
# Qt-free layers.
lint: $(STAMP)
	$(PY) -m ruff check app tests
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

bench: $(STAMP)
	$(PY) -m pytest -q tests/benchmarks --benchmark-only --benchmark-columns=min,median,mean,max,rounds

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .benchmarks
