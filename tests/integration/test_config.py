# The -n config check of both daemons, on the shipped examples and on
# broken files: every error, file:line, non-zero exit.

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import AGENT, COLLECTOR, ROOT, FacmonTestCase  # noqa: E402


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                          timeout=30)


class ConfigCheck(FacmonTestCase):
    def test_examples_are_valid(self):
        for argv in ([AGENT, "-n", "-f", "etc/facmon-agent.conf.example"],
                     [AGENT, "-n", "-f", "etc/demo/agent.conf"],
                     [COLLECTOR, "-n", "-f",
                      "etc/facmon-collector.conf.example"],
                     [COLLECTOR, "-n", "-f", "etc/demo/collector.conf"]):
            r = run(argv)
            self.assertEqual(r.returncode, 0, "%s: %s" % (argv, r.stderr))
            self.assertIn("OK", r.stdout)

    def test_agent_reports_all_errors(self):
        path = "tests/data/agent-conf/bad-many.conf"
        r = run([AGENT, "-n", "-f", path])
        self.assertNotEqual(r.returncode, 0)
        with open(os.path.join(ROOT, "tests/data/agent-conf/bad-many.expect"),
                  encoding="utf-8") as f:
            expect = f.read().splitlines()
        lines = r.stderr.splitlines()
        for e in expect:
            self.assertIn(e, lines)
        self.assertIn("%s: %d errors" % (path, len(expect)), lines)

    def test_agent_syntax_error_has_line(self):
        r = run([AGENT, "-n", "-f", "tests/data/agent-conf/bad-syntax.conf"])
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr,
                         r"tests/data/agent-conf/bad-syntax.conf:4: ")

    def test_collector_reports_errors(self):
        conf = self.write("c.conf", 'collector: {\n  listen = [ "nope" ];\n'
                          '  bogus = 1;\n  agents = ( { id = "a/b"; } );\n};\n')
        r = run([COLLECTOR, "-n", "-f", conf])
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, conf + r":2: ")
        self.assertRegex(r.stderr, conf + r":3: .*bogus")
        self.assertRegex(r.stderr, conf + r":4: ")

    def test_unknown_option_usage(self):
        r = run([AGENT, "-x"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage", r.stderr)
