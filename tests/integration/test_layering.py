# The tree's layering (tools/include-check): a batch walks the collector
# one way, so no module includes a header of a module above it or beside
# it, no two headers include each other, a module's inside header stays
# in its folder, and the agent neither includes
# the collector's headers nor links the availability code.  The checker
# itself is tested on copies of the tree with a violation put in.

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import BUILD, ROOT  # noqa: E402

CHECK = os.path.join(ROOT, "tools", "include-check")


def run(root):
    return subprocess.run([CHECK, root], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=60)


class Layering(unittest.TestCase):
    def test_tree_is_layered(self):
        p = run(ROOT)
        self.assertEqual(p.returncode, 0, p.stdout)

    def copy(self):
        d = tempfile.mkdtemp(prefix="facmon-test-layer-")
        self.addCleanup(shutil.rmtree, d, True)
        for top in ("common", "avail", "collector", "agent", "report"):
            shutil.copytree(os.path.join(ROOT, top), os.path.join(d, top))
        shutil.copytree(os.path.join(ROOT, "tools", "sim"),
                        os.path.join(d, "tools", "sim"))
        return d

    def add_include(self, root, rel, inc):
        path = os.path.join(root, rel)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        # After the file's first include, so that the line is known.
        i = next(n for n, l in enumerate(lines) if l.startswith("#include"))
        lines.insert(i + 1, '#include "%s"' % inc)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        return i + 2

    def test_call_back_up_is_refused(self):
        d = self.copy()
        line = self.add_include(d, "collector/state/state.c",
                                "../alert/alerting.h")
        p = run(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("collector/state/state.c:%d: collector/state/ "
                      "includes collector/alert/alerting.h: "
                      "collector/alert/ is above it" % line, p.stdout)

    def test_sibling_listeners_are_apart(self):
        d = self.copy()
        self.add_include(d, "collector/store/rrdw.c", "../outage/outage.h")
        p = run(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("collector/outage/ is beside it", p.stdout)

    def test_cycle_is_refused(self):
        d = self.copy()
        self.add_include(d, "collector/state/state.h", "state.h")
        p = run(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("include cycle: collector/state/state.h -> "
                      "collector/state/state.h", p.stdout)

    def test_inside_header_stays_inside(self):
        # http.h is the web module's face; api.h is for its own files,
        # even to main(), which may include every module's face.
        d = self.copy()
        line = self.add_include(d, "collector/collector.c",
                                "http/api.h")
        p = run(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("collector/collector.c:%d: includes "
                      "collector/http/api.h, which only collector/http/ "
                      "includes" % line, p.stdout)

    def test_agent_stays_out_of_the_collector(self):
        d = self.copy()
        self.add_include(d, "agent/sched.c", "../collector/core/core.h")
        self.add_include(d, "common/util.c", "../avail/avail.h")
        p = run(d)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("agent/sched.c", p.stdout)
        self.assertIn("common/util.c", p.stdout)

    def test_threads_are_work_queues(self):
        # What may block runs on common/workq.c's queues; no module of
        # the daemons starts a thread or waits on a condition of its own.
        # Two pools are apart, each for a blocking library's concurrency
        # rather than for queued work: the Modbus probe's (libmodbus
        # blocks in select(); the pool grows while jobs wait) and the
        # discover command's (identify many addresses at once).
        pools = {"agent/check_modbus.c", "agent/discover.c"}
        found = []
        for top in ("common", "avail", "collector", "agent", "report"):
            for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
                for name in files:
                    if not name.endswith(".c"):
                        continue
                    path = os.path.join(dirpath, name)
                    rel = os.path.relpath(path, ROOT)
                    if rel == "common/workq.c" or rel in pools:
                        continue
                    with open(path, encoding="utf-8") as f:
                        for n, line in enumerate(f, 1):
                            if ("pthread_create" in line or
                                    "pthread_cond_" in line or
                                    "eventfd(" in line):
                                found.append("%s:%d: %s" %
                                             (rel, n, line.strip()))
        self.assertEqual(found, [], "\n".join(found))

    def test_agent_does_not_link_availability(self):
        nm = subprocess.run(["nm", "--defined-only",
                             os.path.join(BUILD, "facmon-agent")],
                            stdout=subprocess.PIPE, text=True, check=True)
        syms = {l.split()[-1] for l in nm.stdout.splitlines() if l.strip()}
        self.assertIn("fm_put_hello", syms)
        for s in ("aq_init", "av_compute", "oj_type_name", "mw_expand"):
            self.assertNotIn(s, syms)
        nm = subprocess.run(["nm", "--defined-only",
                             os.path.join(BUILD, "facmon-collector")],
                            stdout=subprocess.PIPE, text=True, check=True)
        self.assertIn(" aq_init\n", nm.stdout)


if __name__ == "__main__":
    unittest.main()
