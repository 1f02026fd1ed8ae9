# The work queue (common/workq.c) is race-free: its unit test, built
# under ThreadSanitizer as build/tsan/test-workq, submits, kicks, times
# and resubmits jobs from the loop and from the queue's own thread, and
# stops queues both ways.  A data race makes ThreadSanitizer report and
# the program exit 66.

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import BUILD  # noqa: E402

PROG = os.path.join(BUILD, "tsan", "test-workq")


class WorkqRace(unittest.TestCase):
    def test_queue_is_race_free(self):
        self.assertTrue(os.access(PROG, os.X_OK),
                        "%s missing: make build/tsan/test-workq" % PROG)
        env = dict(os.environ, TSAN_OPTIONS="halt_on_error=1 exitcode=66")
        for _ in range(3):
            p = subprocess.run([PROG], env=env, capture_output=True,
                               text=True, timeout=120)
            out = p.stdout + p.stderr
            self.assertNotIn("ThreadSanitizer", out, out[-4000:])
            self.assertEqual(p.returncode, 0, out[-4000:])
            self.assertIn("PASSED  ] 6 test(s)", out)


if __name__ == "__main__":
    unittest.main()
