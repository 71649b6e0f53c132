# Mạng Xanh. `make run` serves the platform on its embedded default; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRACT_KEYWORDS := -k _ -k gettext -k ngettext:1,2 -k msgid -k InvalidInput -k Conflict -k NotFound \
	-k InvalidTransition -k RuleProblem -k Forbidden -k PermissionRefused -k FetchError -k HttpStatusError \
	-k RateLimited -k BodyTooLarge -k ImportRefused -k TimeIsUp -k AlreadyFinished -k SmsNotSent

.PHONY: run test lint i18n bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mangxanh db upgrade
	$(BIN)/mangxanh demo load
	$(BIN)/mangxanh run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# Re-extract user-facing strings and merge them into the Vietnamese catalogue.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(EXTRACT_KEYWORDS) --no-location --sort-output --omit-header \
		-o src/mangxanh/locale/messages.pot .
	$(BIN)/pybabel update -i src/mangxanh/locale/messages.pot -d src/mangxanh/locale -l vi --no-fuzzy-matching

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
