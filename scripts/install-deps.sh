#!/usr/bin/env bash
# Installs the Debian packages that lbsim needs and that are missing.
# Usage: scripts/install-deps.sh [--real]   (--real adds what lbd needs)
# Runs apt-get non-interactively, through sudo when not root. Does nothing
# when every package is present already.
set -euo pipefail

packages=(build-essential cmake pkg-config libgsl-dev libcsv-dev
          libcmocka-dev libyaml-dev zlib1g-dev gnuplot-nox)
if [[ "${1:-}" == "--real" ]]; then
    packages+=(libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev nginx
               curl)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
            grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
