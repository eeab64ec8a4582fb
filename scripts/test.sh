#!/usr/bin/env bash
# The test command: sets up a fresh Debian 12 machine (packages, npm ci, build), then lints,
# typechecks and runs the whole suite. Extra arguments are test files or name patterns.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: lint"
npm run --silent lint
echo "test: run"
node scripts/run-tests.mjs "$@"
