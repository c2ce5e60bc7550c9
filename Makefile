# The dev loop. `make help` lists the targets; the README's two commands are `make demo` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help build-dev lint test demo bench doc

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build-dev: ## Build the workspace and install the Python package into .venv (maturin develop)
	. scripts/bootstrap && cargo build --workspace && cd python && maturin develop -q

lint: ## cargo fmt --check, clippy -D warnings, rustdoc -D warnings, ruff, mypy --strict, stubtest
	scripts/lint

test: ## Every test and lint (what CI runs)
	scripts/test

demo: ## The scenario end to end on a local STS emulator
	scripts/demo

bench: ## Benchmarks side by side with the AWS SDKs, report in bench/results/
	bench/run

doc: ## API docs with warnings as errors (the CLI binary is documented by its --help)
	RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace
