#!/usr/bin/env bash
# Prepares a fresh clone for the test suite: installs the npm dev tools (npm ci) and the Debian
# packages that the real-server tests start (listed in DEBIAN_PACKAGES), when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx-light: a real origin server (test/helpers/nginx.ts); tinyproxy: a real forward proxy
# (test/helpers/tinyproxy.ts). The tests start their own instances on free ports with configs in
# temp dirs; a system service the package may start is not used. curl and bsdutils (`script`, a
# pseudo-terminal): the command-line client's download test compares bytes with curl's and
# watches its progress bar on a terminal.
DEBIAN_PACKAGES=(nginx-light tinyproxy curl bsdutils)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  # "install ok installed" only: a removed package whose config files remain is still known to dpkg.
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
echo "setup: ready"
