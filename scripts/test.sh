#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, lint, front-end tests, Python tests
# (unit, sandbox, engine, widgets protocol, notebooks under nbval, browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser

echo "== ruff"
.venv/bin/ruff check .

if [[ -f frontend/package.json ]]; then
  echo "== front-end tests"
  (cd frontend && npm test --silent)
fi

echo "== pytest"
.venv/bin/python -m pytest -p no:cacheprovider "$@"

echo "== notebooks (nbval: every cell runs; cells marked NBVAL_CHECK_OUTPUT match)"
.venv/bin/python -m pytest -p no:cacheprovider --nbval-lax notebooks
