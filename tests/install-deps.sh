#!/bin/sh
# Installs what building and testing fetchall needs, if it is missing:
# a C compiler, make, pkg-config, libcurl, libxml2, zlib, cmocka and hiredis
# headers, openssl (the TLS test's throwaway server and certificate) and
# redis-server (the distributed crawl's tests start their own).
# Debian/Ubuntu (apt-get); needs root or sudo only when something is missing.
set -eu
pkgs="gcc make pkg-config libcurl4-openssl-dev libxml2-dev zlib1g-dev libcmocka-dev libhiredis-dev openssl redis-server"
[ "${WITH_CLANG:-0}" = 1 ] && pkgs="$pkgs clang"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
