# Two commands set everything up on a fresh machine with Python 3.11+ and make:
#   make extract   -> virtualenv from the lock, then `zwgk extract corpus/ --out out/`
#   make test      -> virtualenv from the lock, then the test suite (what .ci/run runs)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup extract test train bench score clean chromium audit pkuseg

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

extract: setup
	$(BIN)/zwgk extract corpus/ --out out/

test: setup chromium
	$(BIN)/python -m pytest -q

# The audit report's browser test needs Debian's Chromium; installed when we may (root with apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium not installed: the browser test will be skipped"; }

audit: setup
	$(BIN)/zwgk audit out/

train: setup
	$(BIN)/zwgk train

bench: setup
	$(BIN)/python benchmarks/throughput.py

# Accuracy on the seed gold and on the project's own gold for real documents (needs ../shared).
score: setup
	$(BIN)/zwgk extract ../shared/seeds --out out/seeds --quiet
	$(BIN)/python ../shared/tools/score.py out/seeds ../shared/gold/seeds
	$(BIN)/zwgk extract ../shared/corpus/pingtan --out out/pingtan --quiet
	$(BIN)/python ../shared/tools/score.py out/pingtan corpus/gold/pingtan

clean:
	rm -rf out/ .pytest_cache

pkuseg: setup
	$(BIN)/python tools/fetch_pkuseg.py
