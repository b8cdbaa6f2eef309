# The two quick-start targets: `make site` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The CPU build of torch; installed first so that the project's torch range is already met.
TORCH  := torch==2.13.0

.PHONY: site test install install-test browser clean

site: install                       ## check notes/ and build the site into site/
	$(BIN)/kb build notes --site-dir site

test: install-test browser          ## run the whole test suite, browser tests included
	$(BIN)/python -m pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e ".[test]"

browser:                            ## the browser tests drive Debian's chromium
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q chromium; \
	  else echo "chromium is needed for the browser tests: sudo apt-get install chromium" >&2; exit 1; fi; }

clean:                              ## also the compiled parser (see setup.py)
	rm -rf $(VENV) site build kb/_built_from.py
	find kb -name '*.so' -delete
