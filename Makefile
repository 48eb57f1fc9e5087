SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

PYTHON ?= python3
# Python keeps the bytecode of the project's own modules (gitignored __pycache__ folders), as it
# does by default: an environment that asks it not to write any (PYTHONDONTWRITEBYTECODE) would
# have every test worker, CLI run and server compile them again (~0.7 CPU-s a pytest worker).
unexport PYTHONDONTWRITEBYTECODE
# Go's collector relaxed for Terraform and the AWS provider (localdev/src/localdev/terraform.py).
TERRAFORM ?= env GOGC=$${GOGC:-400} terraform
# A filesystem provider mirror (offline machines); real users init from the registry.
TF_PLUGIN_DIR ?= /opt/tf-plugins
TF_INIT_FLAGS := -input=false -backend=false $(if $(wildcard $(TF_PLUGIN_DIR)/registry.terraform.io),-plugin-dir=$(TF_PLUGIN_DIR))

VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
PIP_FLAGS := -q --disable-pip-version-check

PACKAGE := dist/signer.zip
SIGNER_SOURCES := $(sort $(wildcard lambda_src/signed_import/*.py))
EXAMPLES := $(sort $(dir $(wildcard examples/*/main.tf)))

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# The consumer package (client/) is installed editable: its code is used as it is edited, and
# its console script `signed-import` is on the venv's PATH for the demo, tests and benchmarks.
$(VENV)/.installed: pyproject.toml client/pyproject.toml localdev/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) 'pip>=25.1'
	$(VENV)/bin/pip install $(PIP_FLAGS) --group dev --editable ./client --editable ./localdev
	touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/checkov.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the project virtualenv from pyproject.toml

$(PACKAGE): $(SIGNER_SOURCES) tools/build_zip.py
	$(PYTHON) tools/build_zip.py lambda_src $@

.PHONY: package
package: $(PACKAGE) ## Build the Lambda zip (deterministic)

.PHONY: check-package
check-package: ## Prove the committed zip is byte-identical to two fresh builds
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	a=$$($(PYTHON) tools/build_zip.py lambda_src "$$tmp/a.zip" | cut -d' ' -f1); \
	b=$$($(PYTHON) tools/build_zip.py lambda_src "$$tmp/b.zip" | cut -d' ' -f1); \
	c=$$(sha256sum $(PACKAGE) | cut -d' ' -f1); \
	echo "fresh build 1: $$a"; echo "fresh build 2: $$b"; echo "committed:     $$c"; \
	[ "$$a" = "$$b" ] || { echo "zip build is not deterministic" >&2; exit 1; }; \
	[ "$$a" = "$$c" ] || { echo "$(PACKAGE) is stale: run 'make package' and commit it" >&2; exit 1; }

.PHONY: fmt
fmt: $(VENV)/.installed ## Format Terraform and Python sources
	$(TERRAFORM) fmt -recursive
	$(VENV)/bin/ruff format $(PYTHON_TREES)
	$(VENV)/bin/ruff check --fix $(PYTHON_TREES)

.terraform/.initialized: versions.tf
	$(TERRAFORM) init $(TF_INIT_FLAGS) >/dev/null
	touch $@

.PHONY: init
init: .terraform/.initialized ## terraform init (offline from the mirror when present)

# make test validates only the examples nothing else in it plans or applies (a plan validates
# first): checkov-plan plans examples/complete and examples/private, the stack suites apply
# examples/local.
VALIDATE_EXAMPLES ?= $(EXAMPLES)
EXAMPLES_PLANNED_OR_APPLIED_BY_TEST := examples/complete/ examples/private/ examples/local/

.PHONY: validate
validate: init ## terraform validate the module and every example
	$(TERRAFORM) validate
	@for dir in $(VALIDATE_EXAMPLES); do \
	  echo "validate $$dir"; \
	  $(TERRAFORM) -chdir=$$dir init $(TF_INIT_FLAGS) >/dev/null; \
	  $(TERRAFORM) -chdir=$$dir validate; \
	done

# Every Python tree: the signer, the local AWS, tools, tests, benchmarks, the client.
PYTHON_TREES := lambda_src localdev tools tests benchmarks client

.PHONY: lint-python
lint-python: $(VENV)/.installed ## ruff format --check, ruff check and mypy --strict on every Python tree
	$(VENV)/bin/ruff format --check $(PYTHON_TREES)
	$(VENV)/bin/ruff check $(PYTHON_TREES)
	$(VENV)/bin/mypy

.PHONY: lint
lint: $(VENV)/.installed $(CHECKOV_VENV)/.installed validate lint-python ## fmt check, validate, ruff, mypy, checkov
	$(TERRAFORM) fmt -check -recursive
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework terraform -d . \
	  --skip-path .terraform --skip-path examples/.*/.terraform

# The unit suites are CPU-bound: one pytest worker a core (pytest-xdist), a file to a worker
# (test_properties.py checks, after its property tests, that they ran every example).
PYTEST_WORKERS ?= 2

.PHONY: test-python
test-python: $(VENV)/.installed ## pytest: signer, docs, local gateway and client unit tests (PYTEST_WORKERS)
	$(VENV)/bin/pytest -p no:schemathesis -p no:anyio -n $(PYTEST_WORKERS) --dist loadfile \
	  tests/unit tests/docs tests/repo tests/localdev client/tests

# The signer runs on whatever botocore the Lambda runtime ships: its unit suite also runs on the
# oldest botocore it accepts (the project venv has the newest pinned one), all but two modules:
# the property tests, whose generated inputs exercise the handler's own validation (every S3 call
# they make, the example-based modules make too), and the zip build, which needs no botocore.
BOTOCORE_INDEPENDENT := tests/unit/test_properties.py tests/unit/test_build_zip.py
OLDEST_BOTOCORE_VENV := .venv-botocore-oldest

$(OLDEST_BOTOCORE_VENV)/.installed: requirements/botocore-oldest.txt
	$(PYTHON) -m venv $(OLDEST_BOTOCORE_VENV)
	$(OLDEST_BOTOCORE_VENV)/bin/pip install $(PIP_FLAGS) --no-deps -r requirements/botocore-oldest.txt
	$(OLDEST_BOTOCORE_VENV)/bin/pip check $(PIP_FLAGS)
	touch $@

.PHONY: test-botocore-oldest
test-botocore-oldest: $(OLDEST_BOTOCORE_VENV)/.installed ## The signer's unit suite (but for the property tests) on the oldest botocore it accepts (1.36.0)
	$(OLDEST_BOTOCORE_VENV)/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -p no:cacheprovider \
	  $(addprefix --ignore=,$(BOTOCORE_INDEPENDENT)) tests/unit

.PHONY: test-terraform
test-terraform: init ## terraform test with a mocked AWS provider (offline)
	$(TERRAFORM) test

# The browser example's tests: Debian's chromium (never a browser download) and the page's
# pinned npm packages.
CHROMIUM ?= /usr/bin/chromium
BROWSER_EXAMPLE := examples/browser
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "$(CHROMIUM) is missing: install Debian's chromium package" >&2; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null

$(BROWSER_EXAMPLE)/node_modules/.package-lock.json: $(BROWSER_EXAMPLE)/package-lock.json
	cd $(BROWSER_EXAMPLE) && npm ci --no-audit --no-fund --loglevel=error

.PHONY: browser-deps
browser-deps: $(CHROMIUM) $(BROWSER_EXAMPLE)/node_modules/.package-lock.json ## Debian's chromium and the browser example's npm packages

# Test modules on the local stack run side by side, a module to a pytest-xdist worker: they
# spend most of their time waiting on Terraform (the provider's S3 lifecycle wait alone is ~55 s
# an apply), so every module gets a worker and the longest one sets the pace. Those that need
# examples/local as it is share one stack (localdev.shared_stacks applies it in the background
# while the command runs, then destroys and checks it); those that change a stack or apply
# another configuration apply their own. The load test runs afterwards, without another test
# module beside it: it measures deadlines and 50 concurrent consumers.
E2E_ALONE := tests/e2e/test_load_and_faults.py
E2E_MODULES = $(filter-out $(E2E_ALONE),$(wildcard tests/e2e/test_*.py))
E2E_WORKERS ?= $(words $(E2E_MODULES))
ADVERSARIAL_MODULES = $(wildcard tests/adversarial/test_*.py)
SHARED_STACKS := $(PY) -m localdev.shared_stacks --
# Every pytest process (each xdist worker too) loads the venv's pytest plugins and collects every
# module it is given: the end-to-end modules run apart from the adversarial ones (the only users
# of schemathesis and hypothesis), without those plugins, ~4 CPU-s less a worker.
WITHOUT_FUZZING_PLUGINS := -p no:schemathesis -p no:hypothesispytest -p no:anyio

.PHONY: test-e2e
test-e2e: $(VENV)/.installed $(PACKAGE) browser-deps ## End-to-end: Terraform on moto, signatures on LocalStack, the browser example in Chromium (E2E_WORKERS)
	$(SHARED_STACKS) $(MAKE) --no-print-directory e2e-side-by-side e2e-alone

# make test's form of test-e2e and test-adversarial: their modules side by side, then the load test.
.PHONY: test-stacks
test-stacks: $(VENV)/.installed $(PACKAGE) browser-deps ## test-e2e and test-adversarial side by side, then the load test (E2E_WORKERS)
	$(SHARED_STACKS) $(MAKE) --no-print-directory stacks-side-by-side e2e-alone

.PHONY: e2e-side-by-side adversarial-side-by-side stacks-side-by-side e2e-alone
e2e-side-by-side:
	CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest $(WITHOUT_FUZZING_PLUGINS) -n $(E2E_WORKERS) --dist loadfile $(E2E_MODULES)

adversarial-side-by-side:
	$(VENV)/bin/pytest -n $(words $(ADVERSARIAL_MODULES)) --dist loadfile $(ADVERSARIAL_MODULES)

stacks-side-by-side:
	$(MAKE) --no-print-directory -j2 --output-sync=target e2e-side-by-side adversarial-side-by-side

e2e-alone:
	$(VENV)/bin/pytest $(WITHOUT_FUZZING_PLUGINS) $(E2E_ALONE)

# The end-to-end tests build it on first use too; make test builds it before its clock starts.
.PHONY: localstack-venv
localstack-venv: $(VENV)/.installed ## LocalStack's pinned virtualenv (.venv-localstack, rebuilt when requirements/localstack.txt changes)
	$(PY) -c 'from localdev.localstack import ensure_venv; ensure_venv()'

.PHONY: test-adversarial
test-adversarial: $(VENV)/.installed $(PACKAGE) ## Hostile corpus and contract fuzzing (short) against examples/local on moto
	$(VENV)/bin/pytest tests/adversarial

PLAN_JSON := build/plan/complete.json
PRIVATE_PLAN_JSON := build/plan/private.json

.PHONY: checkov-plan
# The examples are planned with their optional custom domains, so that checkov sees those resources too.
checkov-plan: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(PACKAGE) ## checkov on the plan JSON of examples/complete and examples/private, custom domains set (planned against moto_server)
	$(PY) tools/plan_json.py examples/complete $(PLAN_JSON) --apply-first aws_kms_key.imports \
	  --var domain_name=uploads.example.com --var route53_zone_id=Z0123456789ABCDEFGHIJ
	$(PY) tools/plan_json.py examples/private $(PRIVATE_PLAN_JSON) --apply-first aws_kms_key.logs \
	  --var domain_name=uploads.internal.example.com \
	  --var certificate_arn=arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789
	$(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework terraform_plan \
	  -f $(PLAN_JSON) -f $(PRIVATE_PLAN_JSON) --repo-root-for-plan-enrichment .

# Two jobs side by side: the stack suites, then the load test (test-stacks), and the checks and
# unit suites (test-checks, three at a time) at a low CPU priority (localdev.yielding), so that they
# use mostly what the stack suites leave: the tests that measure time get the cores they would
# have alone, and no core idles while the stack suites wait on Terraform. Each target's output
# is printed whole when it ends.
TEST_PREREQUISITES := $(VENV)/.installed $(CHECKOV_VENV)/.installed $(OLDEST_BOTOCORE_VENV)/.installed \
  $(PACKAGE) browser-deps localstack-venv init

.PHONY: test-prerequisites
test-prerequisites: $(TEST_PREREQUISITES) ## Everything make test installs or builds before it starts (virtualenvs, chromium, npm packages, terraform init)

.PHONY: test
test: $(TEST_PREREQUISITES) ## Run every check and test
	$(MAKE) --no-print-directory -j2 --output-sync=target test-stacks test-checks-yielding

.PHONY: test-checks test-checks-yielding
# In this order: those that keep both cores busy (pytest -n 2) last, for the end, when the stack
# suites are done and leave the cores to them.
test-checks: test-terraform lint checkov-plan check-package test-botocore-oldest test-python

# localdev.yielding: niced, and in a session of its own whose autogroup is niced too. Linux
# shares the CPU between sessions (autogroups) first, and the stack suites' emulators, Terraform
# runs and browsers each run in their own: `nice` alone yielded only to the pytest processes.
test-checks-yielding:
	$(PY) -m localdev.yielding -- $(MAKE) --no-print-directory -j3 --output-sync=target test-checks \
	  VALIDATE_EXAMPLES="$(filter-out $(EXAMPLES_PLANNED_OR_APPLIED_BY_TEST),$(EXAMPLES))"

# The long forms of the adversarial suite: property examples times FUZZ_SCALE, contract fuzzing
# with FUZZ_EXAMPLES cases per operation, both with fresh randomness on every run.
FUZZ_SCALE ?= 20
FUZZ_EXAMPLES ?= 200

.PHONY: fuzz
fuzz: $(VENV)/.installed $(PACKAGE) ## Longer property tests and contract fuzzing (FUZZ_SCALE, FUZZ_EXAMPLES)
	PROPERTY_EXAMPLES_SCALE=$(FUZZ_SCALE) $(VENV)/bin/pytest tests/unit/test_properties.py
	CONTRACT_EXAMPLES=$(FUZZ_EXAMPLES) CONTRACT_SEED=random $(VENV)/bin/pytest tests/adversarial

# Options of the signer benchmark, e.g. BENCH_FLAGS="--calls 5000 --cold-runs 21" or "--check".
BENCH_FLAGS ?=

# Options of the client benchmark, e.g. BENCH_CLIENT_FLAGS="--size 4GiB --rounds 3".
BENCH_CLIENT_FLAGS ?=

.PHONY: bench
bench: bench-signer bench-client ## Every benchmark: the signer's, then the client's

.PHONY: bench-signer
bench-signer: $(VENV)/.installed $(PACKAGE) ## The signer zip against the classic handler, warm and cold (build/bench.md)
	$(PY) benchmarks/bench_handler.py $(BENCH_FLAGS)

PEERS_VENV := .venv-peers

$(PEERS_VENV)/.installed: requirements/peers.txt
	$(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/pip install $(PIP_FLAGS) -r requirements/peers.txt
	touch $@

.PHONY: bench-client
bench-client: $(VENV)/.installed $(PACKAGE) $(PEERS_VENV)/.installed ## The signed-import CLI against boto3, aws s3 cp --recursive and s5cmd: throughput, API latency, many files, memory (build/bench-client.md)
	$(PY) benchmarks/bench_client.py $(BENCH_CLIENT_FLAGS)

.PHONY: test-aws
test-aws: $(VENV)/.installed $(PACKAGE) ## Opt-in acceptance in a sandbox AWS account: apply examples/complete, upload, curl, destroy (SIGNED_IMPORT_AWS_ACCEPTANCE=yes)
	$(PY) -m acceptance.aws

# Options of the load run, e.g. LOAD_FLAGS="--consumers 100 --imports 50".
LOAD_FLAGS ?=

.PHONY: load
load: $(VENV)/.installed $(PACKAGE) ## Load on the local stack: 50 consumers x 20 imports, throughput and p50/p99 per route, zero errors expected (build/load.md)
	$(PY) benchmarks/load.py $(LOAD_FLAGS)

.PHONY: demo
demo: $(VENV)/.installed $(PACKAGE) ## Apply the module on a local emulator, upload a file, verify, destroy
	$(PY) -m localdev.demo

# Web page origins allowed to use the local API, e.g. CORS_ORIGINS=http://127.0.0.1:8080
# (space-separated; examples/browser's page URL is printed for each loopback origin).
CORS_ORIGINS ?=
# Consumers given an API key on a usage plan, which every route then requires, e.g. API_CONSUMERS=page
API_CONSUMERS ?=

.PHONY: local-api
local-api: $(VENV)/.installed $(PACKAGE) ## Keep the local stack and API running for curl, the CLI or a page (CORS_ORIGINS=..., API_CONSUMERS=...; Ctrl-C stops)
	$(PY) -m localdev.demo --serve $(foreach origin,$(CORS_ORIGINS),--cors-origin $(origin)) \
	  $(foreach consumer,$(API_CONSUMERS),--api-consumer $(consumer))

.PHONY: clean
clean: ## Remove virtualenvs, caches and Terraform working files
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .terraform build $(BROWSER_EXAMPLE)/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find examples -name .terraform -type d -prune -exec rm -rf {} +

.PHONY: docs
docs: $(VENV)/.installed ## Regenerate the README inputs/outputs tables
	$(PY) tools/render_docs.py
