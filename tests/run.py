#!/usr/bin/python3
# facmon test runner: the unit tests (cmocka, built with ASan/UBSan) and
# the integration tests (Python unittest modules that start the real
# daemons, snmpd and friends).  Ends with one "N passed, N failed" line.
#
#   tests/run.py                 everything
#   tests/run.py unit            unit tests only
#   tests/run.py integration     integration tests only
#   tests/run.py -k snmp         only tests whose name contains "snmp"

import argparse
import os
import subprocess
import sys
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

counts = {"passed": 0, "failed": 0, "skipped": 0}
failures = []


def report(status, name, detail=""):
    key = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[status]
    counts[key] += 1
    line = "%s %s" % (status, name)
    if detail:
        line += " (%s)" % detail
    print(line, flush=True)
    if status == "FAIL":
        failures.append(name)


def run_unit(pattern):
    bindir = os.path.join(ROOT, "build", "asan", "tests")
    if not os.path.isdir(bindir):
        report("FAIL", "unit: build/asan/tests missing (make unit)")
        return
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP",
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    for b in sorted(os.listdir(bindir)):
        path = os.path.join(bindir, b)
        if not (b.startswith("test_") and os.access(path, os.X_OK)
                and os.path.isfile(path)):
            continue
        if pattern and pattern not in b:
            continue
        p = subprocess.run([path], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300)
        seen = 0
        for line in p.stdout.splitlines():
            if line.startswith("ok "):
                seen += 1
                report("PASS", "unit/%s: %s" % (b, line.split(" - ", 1)[-1]))
            elif line.startswith("not ok "):
                seen += 1
                report("FAIL", "unit/%s: %s" % (b, line.split(" - ", 1)[-1]))
        if p.returncode != 0 or seen == 0:
            report("FAIL", "unit/%s exited %d" % (b, p.returncode))
            sys.stdout.write(p.stdout[-6000:])
        elif "ERROR: AddressSanitizer" in p.stdout or \
                "runtime error:" in p.stdout:
            report("FAIL", "unit/%s: sanitizer report" % b)
            sys.stdout.write(p.stdout[-6000:])


class Result(unittest.TestResult):
    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.monotonic()

    def _name(self, test):
        return "integration/" + test.id().replace("test_", "", 1)

    def addSuccess(self, test):
        report("PASS", self._name(test),
               "%.1fs" % (time.monotonic() - self._t0))

    def addFailure(self, test, err):
        report("FAIL", self._name(test))
        print(self._exc_info_to_string(err, test), flush=True)

    def addError(self, test, err):
        report("FAIL", self._name(test))
        print(self._exc_info_to_string(err, test), flush=True)

    def addSkip(self, test, reason):
        report("SKIP", self._name(test), reason)


def run_integration(pattern):
    loader = unittest.TestLoader()
    if pattern:
        loader.testNamePatterns = ["*%s*" % pattern]
    suite = loader.discover(os.path.join(ROOT, "tests", "integration"),
                            pattern="test_*.py",
                            top_level_dir=os.path.join(ROOT, "tests",
                                                       "integration"))
    suite.run(Result())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all",
                    choices=["all", "unit", "integration"])
    ap.add_argument("-k", dest="pattern", default="")
    a = ap.parse_args()
    t0 = time.monotonic()
    if a.what in ("all", "unit"):
        run_unit(a.pattern)
    if a.what in ("all", "integration"):
        run_integration(a.pattern)
    if failures:
        print("\nfailed:")
        for f in failures:
            print("  " + f)
    print("\ntests took %.0fs" % (time.monotonic() - t0))
    print("%d passed, %d failed, %d skipped" % (
        counts["passed"], counts["failed"], counts["skipped"]))
    sys.exit(1 if counts["failed"] or not counts["passed"] else 0)


if __name__ == "__main__":
    main()
