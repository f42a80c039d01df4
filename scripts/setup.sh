#!/bin/sh
# Installs the Debian 12 packages vmreplay needs to build and test, and only
# those that are missing (so it is quick and offline when all are there).
# Run as root, or as a user with sudo.
set -eu
pkgs="build-essential cmake ninja-build pkg-config libelf-dev libzstd-dev zlib1g-dev zstd gnuplot-nox valgrind time parallel chromium"
missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "setup: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet: update only if the install fails.
$SUDO apt-get install -y --no-install-recommends $missing ||
    { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends $missing; }
