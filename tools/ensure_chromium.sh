#!/usr/bin/env bash
# The browser tests drive Debian's Chromium at /usr/bin/chromium (never `playwright install`); the committee
# report's PDF needs Pango (WeasyPrint loads libpangoft2). As root, install what is missing from Debian's
# packages; otherwise stop at once with one line saying what to run.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
PACKAGES="chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0"
has_pango() { ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; }
if [ -x "$CHROMIUM" ] && has_pango; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's Chromium and Pango for the browser and PDF tests (apt-get install $PACKAGES)…"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  if apt-get update -qq >/dev/null 2>&1 \
    && apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null 2>&1 \
    && [ -x "$CHROMIUM" ] && has_pango; then
    exit 0
  fi
  echo "make test: Chromium or Pango could not be installed; run 'apt-get install -y $PACKAGES' and try again." >&2
  exit 1
fi
echo "make test: the browser and PDF tests need Chromium at $CHROMIUM and Pango; run 'sudo apt-get install -y $PACKAGES' first." >&2
exit 1
