#!/usr/bin/env bash
# The HTTP API suite: installs Node.js if missing (scripts/bootstrap node), the exact npm
# dependencies of package-lock.json, then runs every *.test.mjs here with node's test runner
# against the fidele binary named by $FIDELE (default: build/fidele; an absolute path, since the
# suite runs from tests/http).
#   FIDELE=$PWD/build/fidele bash tests/http/run.sh                  # everything
#   FIDELE=$PWD/build/fidele bash tests/http/run.sh tenancy.test.mjs # one file
# FIDELE_HTTP_KEEP=1 keeps the servers' temporary directories for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/../../scripts/bootstrap" node prometheus
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
exec node --test "$@"
