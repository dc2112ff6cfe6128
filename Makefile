# Two commands: `make run` and `make test`. Both set everything up from nothing.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSPKG := tesseract-ocr tesseract-ocr-fra wfrench wamerican antiword
TESTPKG := postgresql nginx-light
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-packages test-system-packages lint typecheck unit bench index clean

run: setup
	$(BIN)/vetpharma run

test: setup test-system-packages lint typecheck unit

setup: system-packages $(STAMP)

# System packages: tesseract and its French data, for OCR of scanned uploads; French and English word lists,
# to ask again in French a free-text answer the (French) request letter would quote in English;
# antiword, to read legacy Word (.doc) uploads.
system-packages:
	@if command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx fra \
	  && [ -f /usr/share/dict/french ] && [ -f /usr/share/dict/american-english ] \
	  && command -v antiword >/dev/null 2>&1; then :; else \
	  echo "Installing system packages: $(SYSPKG)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSPKG); \
	fi

# For the tests only: a PostgreSQL server, which the store's tests start on a private port (same code as SQLite),
# and nginx, the balancer in front of several Telegram webhook processes in the scale test.
test-system-packages:
	@if { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } && \
	  { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; then :; else \
	  echo "Installing test system packages: $(TESTPKG)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(TESTPKG); \
	fi

$(STAMP): pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/code_limits.py

typecheck:
	$(BIN)/mypy

unit:
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/index.py

index: setup
	$(BIN)/vetpharma index build

clean:
	rm -rf $(VENV) var build *.egg-info
