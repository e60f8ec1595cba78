# The README's two commands: `make demo` and `make test`. Each does its own set-up.
.PHONY: setup demo test lint bench

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/rollouts-widgets demo

test:
	bash scripts/test.sh

lint: setup
	.venv/bin/ruff check .

bench: setup
	.venv/bin/python -m benchmarks
