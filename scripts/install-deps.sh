#!/usr/bin/env bash
# Installs the Debian packages populus needs to build and test.
# A no-op when everything is already present; works as root without sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev libcli11-dev libfast-float-dev libsimdjson-dev
  libtomlplusplus-dev nlohmann-json3-dev libxxhash-dev
  libssl-dev libsqlite3-dev coinor-libclp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format-14
  python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "populus: installing missing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "populus: packages ${missing[*]} are missing and this user is not root (no sudo either)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
