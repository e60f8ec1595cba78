#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: Python venv with the package (editable) and its
# extras, the front-end bundle, and (with --browser) Debian's Chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do [[ $arg == --browser ]] && want_browser=1; done

if (( want_browser )) && [[ ! -x /usr/bin/chromium ]]; then
  echo "setup: installing Debian's chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [[ ! -f $stamp ]]; then
  echo "setup: installing Python packages"
  # pip warns about this machine's optional local indexes; keep the log readable.
  .venv/bin/pip install -q -e '.[dev,demo]' 2> >(grep -v 'is ignored: it is neither' >&2)
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [[ -f frontend/package.json ]]; then
  if [[ ! -d frontend/node_modules || frontend/package-lock.json -nt frontend/node_modules ]]; then
    echo "setup: installing npm packages"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  fi
  echo "setup: building the front-end bundle"
  (cd frontend && npm run --silent build)
fi
