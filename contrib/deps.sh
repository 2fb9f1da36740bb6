#!/bin/sh
# contrib/deps.sh — install what omniroute needs on Debian 12, as root:
# the build dependencies, and with --test also what the test suites use
# (cmocka, pytest, clang for the fuzzers, and the proxy servers the
# integration tests run). Safe to run again.
set -eu
packages="build-essential autoconf automake pkg-config libevent-dev \
libsqlite3-dev libjson-c-dev libssl-dev libc-ares-dev ca-certificates"
if [ "${1:-}" = "--test" ]; then
	packages="$packages libcmocka-dev python3 python3-pytest clang \
microsocks dante-server tinyproxy squid stunnel4 \
curl openssl sqlite3 procps"
fi
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
