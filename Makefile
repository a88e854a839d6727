# Two commands for a fresh Debian/Ubuntu machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# pyenv shims answer `command -v` even when the version is not active, so try each candidate.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
# System packages: CJK serif font and HarfBuzz's subsetter for WeasyPrint; Chromium and poppler for the tests.
RUN_DEBS := fonts-noto-cjk libharfbuzz-subset0
TEST_DEBS := $(RUN_DEBS) chromium poppler-utils gettext
export DJANGO_SETTINGS_MODULE := perfeval.settings

# The suite must keep covering at least this share of the application's lines (94% when measured).
COVERAGE := --cov=projects --cov=perfeval --cov-report=term:skip-covered --cov-fail-under=90

# The strictly typed core (see [tool.mypy] in pyproject.toml); the modules it imports are read, not reported.
MYPY_CORE := --follow-imports=silent projects/schema.py projects/validation.py projects/scoring.py \
	projects/checks.py projects/labels.py projects/refusals.py projects/access.py projects/workflow.py

.PHONY: run serve test venv sysdeps-run sysdeps-test lint bench clean worker
PORT ?= 8000

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (apt-get install python3 or pyenv install 3.12)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Please install these system packages (as root: apt-get install$$missing)"; \
		command -v dpkg >/dev/null || true; \
	fi
endef

sysdeps-run:
	$(call install_debs,$(RUN_DEBS))

sysdeps-test:
	$(call install_debs,$(TEST_DEBS))

run: venv sysdeps-run
	@mkdir -p var
	@if (exec 3<>/dev/tcp/127.0.0.1/$(PORT)) 2>/dev/null; then \
		echo "Port $(PORT) is in use (another make run?): stop it, or choose another: make run PORT=8001"; exit 1; fi
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo
	@echo "  perfeval demo: http://127.0.0.1:$(PORT)/"
	@echo "  accounts (password: demo): preparer (填报人), reviewer (审核人), admin (财政管理员)"
	@echo
	DEBUG=1 $(BIN)/python manage.py worker --queue-name '*' >>var/worker.log 2>&1 & \
	trap 'kill $$!' EXIT; DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Production (see docs/deployment.md): settings from the environment, DEBUG off; refuses an unsafe configuration
# (manage.py check --deploy) before it starts gunicorn and the task worker.
serve: venv sysdeps-run
	@mkdir -p var
	@test "$${DEBUG:-0}" = 0 || { echo "make serve runs with DEBUG off: unset DEBUG (make run is the demo)"; exit 1; }
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v 0
	LOG_REQUESTS=1 $(BIN)/python manage.py worker --queue-name '*' & \
	trap 'kill $$!' EXIT; LOG_REQUESTS=1 PORT=$(PORT) $(BIN)/gunicorn -c perfeval/gunicorn.conf.py perfeval.wsgi

test: venv sysdeps-test
	@mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy $(MYPY_CORE)
	DJANGO_SETTINGS_MODULE=perfeval.settings.test $(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/python -m pytest $(COVERAGE) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv sysdeps-run
	$(BIN)/python bench/pdf_bench.py
	$(BIN)/python bench/reports_bench.py
	$(BIN)/python bench/scale_bench.py  # PostgreSQL at 127.0.0.1:5432 (user postgres); --database to change
	$(BIN)/python bench/campaign_bench.py
	$(BIN)/python bench/triage_bench.py
	$(BIN)/python bench/keyboard_bench.py  # Debian's chromium

clean:
	rm -rf $(VENV) var/*.sqlite3

mypy-core: venv
	$(BIN)/mypy $(MYPY_CORE)
