#!/usr/bin/env python3
"""tests/summarize.py — add up the results of every test run in the given build
directories (cmocka unit test logs and pytest's JUnit XML) and print one line:
"N passed, N failed". Exits 1 when anything failed or nothing ran."""

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for build in sys.argv[1:]:
    for log in glob.glob(os.path.join(build, "tests", "unit", "*.log")):
        text = open(log, errors="replace").read()
        m = re.search(r"\[  PASSED  \] (\d+) test", text)
        passed += int(m.group(1)) if m else 0
        m = re.search(r"\[  FAILED  \] (\d+) test", text)
        failed += int(m.group(1)) if m else 0
        if not re.search(r"\[==========\] \d+ test\(s\) run\.", text):
            failed += 1  # the binary crashed before its summary
    report = os.path.join(build, "tests", "integration", "pytest-report.xml")
    if os.path.exists(report):
        root = ET.parse(report).getroot()
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            total = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += total - f - sk
            failed += f
            skipped += sk
    else:
        failed += 1
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 else 0)
