#!/bin/sh
# tests/integration/run-pytest.sh — the integration suite as one automake test:
# runs pytest (Debian's python3-pytest) over tests/integration against the
# freshly built omnirouted and omnirctl. make check sets OMNIROUTED/OMNIRCTL.
# The JUnit report is tests/integration/pytest-report.xml in the build tree;
# with JUNIT_NAME=NAME (a run of its own, e.g. .ci/run's under a stock
# /etc/hosts) it is pytest-report-NAME.xml, its suite is called NAME and its
# test class names start with NAME., so tests/summarize.py counts both runs
# and tells their tests apart.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${abs_builddir:=$(pwd)}"
: "${OMNIROUTED:=$abs_builddir/omnirouted}"
: "${OMNIRCTL:=$abs_builddir/omnirctl}"
export OMNIROUTED OMNIRCTL
# the source tree may be read-only (make distcheck): no bytecode, no cache,
# and the dashboard tests' screenshots go to the build tree
export PYTHONDONTWRITEBYTECODE=1
: "${SCREENSHOTS_DIR:=$abs_builddir/tests/integration/screenshots}"
export SCREENSHOTS_DIR
mkdir -p "$abs_builddir/tests/integration"
report="$abs_builddir/tests/integration/pytest-report.xml"
set --
if [ -n "${JUNIT_NAME:-}" ]; then
	report="$abs_builddir/tests/integration/pytest-report-$JUNIT_NAME.xml"
	set -- --junit-prefix="$JUNIT_NAME" -o junit_suite_name="$JUNIT_NAME"
fi
py=${PYTHON3:-/usr/bin/python3}
[ -x "$py" ] || py=python3
exec "$py" -m pytest -q -p no:cacheprovider -o junit_family=xunit2 \
	--junitxml="$report" "$@" \
	"$here" ${PYTEST_ARGS:-}
