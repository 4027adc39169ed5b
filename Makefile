# Sportello: every target installs what it needs into .venv first, so a fresh clone needs only `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test browser lint typecheck unit phone token remind bench package scan deploy templates console-assets clean

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
test: install browser lint typecheck scan
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/iam
	$(BIN)/python -m pytest tests/iam -p no:cacheprovider -q

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

## make phone: chat with the local system as an applicant (TO=MC: write to that office's WhatsApp number).
phone: install
	$(BIN)/python -m devtools.phone $(if $(TO),--to '$(TO)')

## make token: a local officer's ID token, for `make run`'s API (OFFICE=AN|MC..., ROLE=officer|supervisor,
## optional OFFICER_NAME=username, TTL=seconds). Only the token is printed: TOKEN=$$(make -s token ROLE=supervisor).
OFFICE ?= AN
ROLE ?= officer
TTL ?= 3600
token: install
	@$(BIN)/python -m devtools.token --office '$(OFFICE)' --role '$(ROLE)' --ttl '$(TTL)' $(if $(OFFICER_NAME),--user '$(OFFICER_NAME)')

## make remind AS_OF=2026-12-01T09:05: run the reminder sweep on `make run`'s system as if it were that time
## (its moto on MOTO_PORT, or AWS_ENDPOINT_URL when `make run` used that endpoint).
remind: install
	$(BIN)/python -m devtools.ops --local "$${AWS_ENDPOINT_URL:-http://127.0.0.1:$${MOTO_PORT:-5000}}" sweep \
	  $(if $(AS_OF),--as-of '$(AS_OF)')

## make bench: benchmarks; figures go in BENCHMARKS.md.
bench: install
	$(BIN)/python -m bench

## make console-assets: rebuild the console's vendored Bootstrap Italia subset and icons (needs Node.js and npm).
console-assets: install
	$(BIN)/python -m devtools.console_assets

## make package [STAGE=dev]: the deployable zip and SAM template in build/package (prod unless STAGE says otherwise).
STAGE ?= prod
STACK ?= sportello-$(STAGE)
package: install
	$(BIN)/python -m infra.package --stage $(STAGE) build/package

## make scan: the packaged template checked by cfn-lint and by checkov, the security scanner (in its own virtualenv,
## requirements-scan.txt); any failed check fails it. A check failed on purpose is skipped in the resource's
## Metadata (checkov.skip), with the reason: infra/resources.json, infra/operations.py.
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed

$(SCAN_STAMP): requirements-scan.txt
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-scan.txt
	@touch $(SCAN_STAMP)

scan: package $(SCAN_STAMP)
	$(BIN)/cfn-lint build/package/sam.json
	@out=$$(CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(SCAN_VENV)/bin/checkov --file build/package/sam.json \
	  --framework cloudformation --skip-download --quiet --compact 2>&1) || { echo "$$out"; exit 1; }

## make templates UPLOAD_PAGE_URL=https://.../u/: the WhatsApp templates to submit, one JSON per name and language.
templates: install
	@test -n "$(UPLOAD_PAGE_URL)" || { echo "make templates needs UPLOAD_PAGE_URL=<the stack's UploadPageUrl>"; exit 2; }
	$(BIN)/python -m devtools.templates --upload-page-url '$(UPLOAD_PAGE_URL)' build/templates

## make deploy STAGE=prod DEPLOY_BUCKET=<bucket for code> PARAMS="UploadPageUrl=... ConsoleUrl=... AuthDomainPrefix=..."
## (needs the AWS CLI and credentials; README, "Deploying to AWS").
deploy: package
	@test -n "$(DEPLOY_BUCKET)" || { echo "make deploy needs DEPLOY_BUCKET=<an S3 bucket for the code>"; exit 2; }
	aws cloudformation package --template-file build/package/sam.json --s3-bucket $(DEPLOY_BUCKET) \
	  --output-template-file build/package/packaged.yaml
	aws cloudformation deploy --template-file build/package/packaged.yaml --stack-name $(STACK) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --tags sportello:stage=$(STAGE) $(if $(PARAMS),--parameter-overrides $(PARAMS))

clean:
	rm -rf $(VENV) $(SCAN_VENV) build .pytest_cache .mypy_cache .ruff_cache
