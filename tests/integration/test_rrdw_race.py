# The RRD writer's settings are race-free: build/tsan/test-rrdw-race (the
# real collector/rrdw.c under ThreadSanitizer) reloads the archive
# lengths on the loop while the writer's work queue creates files with
# them, and reads files whose answers come back on the loop.  The
# settings are copied under the writer's lock on both sides (rrdw_reconf,
# the writer's jobs); an unlocked write makes ThreadSanitizer report a
# data race and the program exit 66.

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import BUILD  # noqa: E402

RACE = os.path.join(BUILD, "tsan", "test-rrdw-race")


class RrdwRace(unittest.TestCase):
    def test_reload_while_writing_is_race_free(self):
        self.assertTrue(os.access(RACE, os.X_OK),
                        "%s missing: make build/tsan/test-rrdw-race" % RACE)
        with tempfile.TemporaryDirectory(prefix="facmon-test-rrdwrace-") \
                as d:
            env = dict(os.environ,
                       TSAN_OPTIONS="halt_on_error=1 exitcode=66")
            p = subprocess.run([RACE, d, "60"], env=env,
                               capture_output=True, text=True, timeout=300)
            self.assertNotIn("ThreadSanitizer", p.stderr, p.stderr[-4000:])
            self.assertEqual(p.returncode, 0, p.stderr[-4000:])
            # Every round's series got its file: the writer did write,
            # every read was answered on the loop with the file's data
            # (its flush wrote it), and the writer's tick wrote the
            # values held for the files not read.
            self.assertEqual(p.stdout.strip(), "60 files, 30 of 30 reads "
                             "found, 0 held before stop")
