#!/usr/bin/env python3
"""tests/summarize.py — add up the results of every test run in the given build
directories (cmocka unit test logs and pytest's JUnit XML: the suite's
tests/integration/pytest-report.xml, which must be there, and any
pytest-report-NAME.xml of a run of its own, such as .ci/run's under a stock
/etc/hosts, whose test names start with NAME.) and print one line:
"N passed, N failed, N skipped", after a "FAILED build: test" line for each
failed integration test. Exits 1 when anything failed or nothing ran."""

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
    integration = os.path.join(build, "tests", "integration")
    main_report = os.path.join(integration, "pytest-report.xml")
    if not os.path.exists(main_report):
        print("FAILED %s: no %s" % (build, os.path.relpath(main_report, build)))
        failed += 1
    reports = sorted(glob.glob(os.path.join(integration, "pytest-report*.xml")))
    for report in reports:
        try:
            root = ET.parse(report).getroot()
        except ET.ParseError as e:
            print("FAILED %s: %s: %s" % (build, os.path.basename(report), e))
            failed += 1
            continue
        suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
        for s in suites:
            total = int(s.get("tests", 0))
            f = int(s.get("failures", 0)) + int(s.get("errors", 0))
            sk = int(s.get("skipped", 0))
            passed += total - f - sk
            failed += f
            skipped += sk
            for case in s.iter("testcase"):
                if case.find("failure") is not None or case.find("error") is not None:
                    print("FAILED %s: %s::%s" % (build, case.get("classname"),
                                                 case.get("name")))
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or passed == 0 else 0)
