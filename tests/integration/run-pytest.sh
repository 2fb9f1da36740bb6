#!/bin/sh
# tests/integration/run-pytest.sh — the integration suite as one automake test:
# runs pytest (Debian's python3-pytest) over tests/integration against the
# freshly built omnirouted and omnirctl. make check sets OMNIROUTED/OMNIRCTL.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${abs_builddir:=$(pwd)}"
: "${OMNIROUTED:=$abs_builddir/omnirouted}"
: "${OMNIRCTL:=$abs_builddir/omnirctl}"
export OMNIROUTED OMNIRCTL
# the source tree may be read-only (make distcheck): no bytecode, no cache
export PYTHONDONTWRITEBYTECODE=1
mkdir -p "$abs_builddir/tests/integration"
py=${PYTHON3:-/usr/bin/python3}
[ -x "$py" ] || py=python3
exec "$py" -m pytest -q -p no:cacheprovider -o junit_family=xunit2 \
	--junitxml="$abs_builddir/tests/integration/pytest-report.xml" \
	"$here" ${PYTEST_ARGS:-}
