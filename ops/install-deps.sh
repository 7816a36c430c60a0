#!/usr/bin/env bash
# Installs every system package salonq needs on Debian 12. Idempotent: a second run only checks.
#   ops/install-deps.sh [extra-package...]   (ops/kafka/install.sh passes the broker's packages)
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang-format-14 clang-tidy-19
  librdkafka-dev librocksdb-dev libboost1.81-dev libsimdjson-dev libfmt-dev
  doctest-dev libcli11-dev libssl-dev libjwt-dev libqrencode-dev libhowardhinnant-date-dev liburing-dev libjemalloc-dev tzdata
  python3 python3-jsonschema python3-yaml python3-venv kcat
  prometheus wrk curl
)
[ $# -gt 0 ] && packages=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "ops/install-deps: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
