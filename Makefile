# Every target does its own set-up: a fresh machine needs only Python 3.11, make and npm.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: demo test lint setup static clean lighthouse

PORT ?= 8000

demo: $(STAMP) $(NODE_STAMP)  ## the main job: the demo pipeline's report, then the web service on demo data
	@test -n "$$THRESHOLD_DEMO_PASSWORD" || { echo "Set THRESHOLD_DEMO_PASSWORD (12+ characters): the demo users' password." >&2; exit 2; }
	$(BIN)/threshold demo --out demo-output
	$(BIN)/threshold web seed-demo
	@echo "Sign in at http://127.0.0.1:$(PORT)/accounts/sign-in/ as any user above with THRESHOLD_DEMO_PASSWORD. DSLs need no second factor; for the others add the key printed above to an authenticator app, or run '$(BIN)/threshold web demo-code USER' for the current code."
	$(BIN)/threshold web serve --port $(PORT)

test: $(STAMP) $(NODE_STAMP)  ## the whole test suite, with lint and the import contracts
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[test]'
	touch $(STAMP)

# GOV.UK Frontend (served as static files) and axe-core (accessibility checks), exactly as
# pinned in package-lock.json; never copied into the repository.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

static: $(STAMP) $(NODE_STAMP)  ## collect static files into staticfiles/ (production settings)
	DJANGO_SETTINGS_MODULE=threshold.web.config.settings.production $(BIN)/python manage.py collectstatic --no-input

lighthouse: $(STAMP) $(NODE_STAMP)  ## Lighthouse's performance and accessibility scores of the sign-in page and the dashboards
	$(BIN)/python benchmarks/lighthouse.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache .import_linter_cache node_modules staticfiles
