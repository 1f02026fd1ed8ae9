# The MIBs in mibs/: smilint (Debian's smitools) finds nothing wrong in
# FACMON-FACILITY-MIB, and net-snmp resolves every name it defines, to
# its number and back, from mibs/ alone.

import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import ROOT  # noqa: E402

MIBS = os.path.join(ROOT, "mibs")
MODULE = "FACMON-FACILITY-MIB"
DEF = re.compile(r"^([a-z][A-Za-z0-9-]*)\s+(OBJECT-TYPE|NOTIFICATION-TYPE|"
                 r"OBJECT IDENTIFIER|MODULE-IDENTITY|OBJECT-GROUP|"
                 r"NOTIFICATION-GROUP|MODULE-COMPLIANCE)\b", re.M)


def names():
    with open(os.path.join(MIBS, MODULE), encoding="utf-8") as f:
        return [m.group(1) for m in DEF.finditer(f.read())]


class Mibs(unittest.TestCase):
    def test_smilint_clean(self):
        if not shutil.which("smilint"):
            self.skipTest("smilint (smitools) not installed")
        # -c /dev/null: only mibs/, never the system's MIB path.
        env = dict(os.environ, SMIPATH=MIBS)
        p = subprocess.run(["smilint", "-c", "/dev/null", "-l", "4", "-s",
                            os.path.join(MIBS, MODULE)], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout + p.stderr, "")

    def test_every_name_resolves(self):
        ns = names()
        self.assertGreater(len(ns), 60)
        env = dict(os.environ, MIBS="ALL", MIBDIRS=MIBS)
        env.pop("SNMPCONFPATH", None)
        p = subprocess.run(["snmptranslate", "-M", MIBS, "-m", "ALL", "-On"] +
                           ["%s::%s" % (MODULE, n) for n in ns], env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        nums = p.stdout.split()
        self.assertEqual(len(nums), len(ns))
        for n, num in zip(ns, nums):
            self.assertTrue(num.startswith(".1.3.6.1.4.1.32473.1"),
                            "%s -> %s" % (n, num))
        # And back: every number names the object it came from.
        p = subprocess.run(["snmptranslate", "-M", MIBS, "-m", "ALL"] + nums,
                           env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(),
                         ["%s::%s" % (MODULE, n) for n in ns])
        self.assertEqual(len(set(nums)), len(nums))


if __name__ == "__main__":
    unittest.main()
