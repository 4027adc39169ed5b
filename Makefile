# Sportello: every target installs what it needs into .venv first, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test browser lint typecheck unit phone token remind bench package console-assets clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

## make run: the whole local system (moto as AWS, the API, the WhatsApp simulator, the event runner).
run: install
	$(BIN)/python -m devtools.local_system

## make test: lint, type-check, then every test.
test: install browser lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadfile

## Debian's Chromium for the browser test of the public page (installed when missing and we may: root).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "chromium is not installed: the browser test will be skipped (apt-get install chromium)"; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

## make phone: chat with the local system as an applicant.
phone: install
	$(BIN)/python -m devtools.phone

## make token: a local officer's ID token, for `make run`'s API (OFFICE=AN|MC..., ROLE=officer|supervisor,
## optional OFFICER_NAME=username, TTL=seconds). Only the token is printed: TOKEN=$$(make -s token ROLE=supervisor).
OFFICE ?= AN
ROLE ?= officer
TTL ?= 3600
token: install
	@$(BIN)/python -m devtools.token --office '$(OFFICE)' --role '$(ROLE)' --ttl '$(TTL)' $(if $(OFFICER_NAME),--user '$(OFFICER_NAME)')

## make remind AS_OF=2026-12-01T09:05: run the reminder sweep on `make run`'s system as if it were that time.
remind: install
	$(BIN)/python -m devtools.ops --local http://127.0.0.1:$${MOTO_PORT:-5000} sweep $(if $(AS_OF),--as-of '$(AS_OF)')

## make bench: benchmarks; figures go in BENCHMARKS.md.
bench: install
	$(BIN)/python -m bench

## make console-assets: rebuild the console's vendored Bootstrap Italia subset and icons (needs Node.js and npm).
console-assets: install
	$(BIN)/python -m devtools.console_assets

package: install
	AWS_DEFAULT_REGION=eu-south-1 $(BIN)/chalice package --merge-template infra/resources.json build/package

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
