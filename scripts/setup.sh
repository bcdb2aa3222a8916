#!/usr/bin/env bash
# Installs the system libraries fairaudit links (libhdf5, zlib, OpenBLAS,
# LAPACKE) when they are missing. Debian/Ubuntu; needs root or sudo.
set -euo pipefail
need=()
for pkg in libhdf5-dev zlib1g-dev libopenblas-dev liblapacke-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
