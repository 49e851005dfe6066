#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (never `playwright install`).
# As root, install it from Debian's packages; otherwise stop at once with one line saying what to run.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's Chromium for the browser tests (apt-get install chromium)…"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null 2>&1 \
    && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 \
    && [ -x "$CHROMIUM" ]; then
    exit 0
  fi
  echo "make test: Chromium could not be installed; run 'apt-get install -y chromium' and try again." >&2
  exit 1
fi
echo "make test: the browser tests need Chromium at $CHROMIUM; run 'sudo apt-get install -y chromium' first." >&2
exit 1
