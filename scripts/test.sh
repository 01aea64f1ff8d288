#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Node 20, as root:
# installs what it needs, builds, type-checks, runs unit tests, then the lab end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npm run typecheck
npm run build
npm run test:unit
npm run test:e2e
