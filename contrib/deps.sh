#!/bin/sh
# contrib/deps.sh — install what omniroute needs on Debian 12, as root:
# the build dependencies, and with --test also every program the test suites
# and .ci/run call. Safe to run again.
#
# --test, by who calls what (packages are installed without Recommends, so a
# program that only a Recommends would bring is named here):
#   unit tests            libcmocka-dev
#   integration suite     python3 python3-pytest (sqlite3 and crypt are in
#                         its standard library); openssl (the test CA);
#                         microsocks, danted (dante-server), tinyproxy, squid
#                         (with its basic_ncsa_auth), stunnel4; ss (iproute2,
#                         test_limits.py counts each worker's connections)
#   dashboard tests       chromium, chromium-driver, python3-selenium (real
#                         headless Chromium driven through WebDriver)
#   .ci/run               clang and libclang-rt-14-dev (libFuzzer: clang-14
#                         only recommends it); unshare (util-linux) and mount
#                         (mount) for the run under a stock /etc/hosts
#   by hand, README       curl, sqlite3, pgrep (procps)
# (sh, bash, for test_omnirctl's completion test, and coreutils are Essential.)
# tests/bench/ also wants nginx and wrk; it is not part of any test run and
# says so when they are missing.
set -eu
packages="build-essential autoconf automake pkg-config libevent-dev \
libsqlite3-dev libjson-c-dev libssl-dev libc-ares-dev ca-certificates"
if [ "${1:-}" = "--test" ]; then
	packages="$packages libcmocka-dev python3 python3-pytest \
clang libclang-rt-14-dev \
microsocks dante-server tinyproxy squid stunnel4 openssl iproute2 \
util-linux mount chromium chromium-driver python3-selenium \
curl sqlite3 procps"
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
