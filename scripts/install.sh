#!/usr/bin/env bash
# Installs eksa-temporal into ./.venv. With --test also the test extras and the Debian
# packages the tests drive (kubectl, Go + govmomi sources for vcsim, OpenSSH, Chromium).
# Debian packages are installed only when missing and when running as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
test_extras=0
[ "${1:-}" = "--test" ] && test_extras=1

packages=(kubectl)
[ "$test_extras" = 1 ] && packages+=(golang-go golang-github-vmware-govmomi-dev openssh-server chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
if [ "$test_extras" = 1 ]; then .venv/bin/pip install -q -e '.[test]'; else .venv/bin/pip install -q -e .; fi
echo "installed: $(.venv/bin/eksa-temporal --version)"
