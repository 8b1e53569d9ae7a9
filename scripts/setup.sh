#!/usr/bin/env bash
# Prepares a fresh clone for the test suite: the npm dev tools first (npm ci), then the Debian
# packages the real-server tests start (nginx-light, tinyproxy, curl, bsdutils), installed with
# apt-get when missing. On a system without apt-get the npm part is still done, and a note names
# the tests that need the missing programs. `npm start` and `npm test` run the same steps
# themselves (scripts/ensure-setup.mjs, as prestart/pretest); this script is for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/ensure-setup.mjs --system
echo "setup: ready"
