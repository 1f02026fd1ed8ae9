# A smoke run of make bench with tiny sizes, so the benchmarks do not rot
# (make soak).
# It asserts that they run and report, never how fast anything is.

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import PY, ROOT, FacmonTestCase  # noqa: E402


class BenchSmoke(FacmonTestCase):
    def test_bench_smoke(self):
        # A minute and a half of benchmarks: make soak runs it, to keep
        # make check within its time.
        if not os.environ.get("FACMON_SOAK"):
            self.skipTest("soak only (make soak)")
        if os.geteuid() != 0:
            self.skipTest("the ICMP benchmark needs a raw socket")
        r = subprocess.run([PY, "bench/run.py", "--smoke"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("facmon µs/probe", r.stdout)
        self.assertIn("| 50 |", r.stdout)
        self.assertIn("| 200 |", r.stdout)
        # SNMP polling, 20 simulated devices: the table is there and
        # facmon's row carries its lateness figures (collectd's columns
        # are "–" where collectd is not installed).
        self.assertIn("facmon µs/value", r.stdout)
        self.assertRegex(r.stdout, r"\| 20 \| 2 s \| [\d.]+ ")
        self.assertRegex(r.stdout, r"\| [\d.]+ / [\d.]+ \| \d+ of \d+ \|")
        # Ingest ceiling, 5 devices: every value the feeder sent was
        # written by the collector.
        self.assertIn("rrd_update_r, one value per call", r.stdout)
        self.assertIn("facmon: 400 of 400 values written", r.stdout)
        self.assertRegex(r.stdout, r"\| 20 \| 2 \| 80 \| [\d.]+ \|")
        # End to end, 10 devices over TLS into RRD files.
        self.assertRegex(r.stdout, r"\| 10 \| 2 s \| facmon agent → TLS → "
                         r"collector → journal → RRD \| \d+ \| [\d.]+ ")
