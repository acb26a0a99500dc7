# Two entry points: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres catalogs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

# The whole suite twice, on SQLite files and on a throwaway PostgreSQL server (.ci/postgres starts it,
# installing Debian's postgresql first if needed), the two runs side by side: most of a test's time is spent
# waiting on sockets and subprocesses, so two runs share two cores well. Each run's output is printed whole
# when it ends. PYTEST_ARGS passes options through: PYTEST_ARGS="-x -k zalo".
test: $(STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@dir=$$(mktemp -d /tmp/tdc-pg.XXXXXX) && url=$$(.ci/postgres start $$dir) || exit 1; \
	echo "PostgreSQL for the tests: $$url"; \
	TDC_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	.ci/postgres stop $$dir; exit $$status

# Re-extract user-facing strings and merge them into the catalogs (docs/operations.md, "Translations").
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o locales/messages.pot --no-location --omit-header --no-wrap .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --omit-header --no-wrap

clean:
	rm -rf $(VENV) var
