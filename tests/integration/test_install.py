# What an installation consists of, checked from the source tree:
# every configuration key the parsers accept is documented in its man
# page, every option in the program's page, the pages pass mandoc -T
# lint, the systemd units pass systemd-analyze verify, make install
# lays out the FHS tree under DESTDIR, and no path of the source tree
# is compiled into a program.

import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import BUILD, ROOT, FacmonTestCase  # noqa: E402

# Which sources' key tables each page documents.  The parsers check a
# group's keys against a table named *keys[] (cfg_check_keys), so a key
# added to a table without a line in the page fails here.
KEY_PAGES = {
    "man/facmon-agent.conf.5": ["agent/*.c"],
    "man/facmon-collector.conf.5": ["collector/**/*.c"],
    "man/facmon-report.conf.5": ["avail/availconf.c", "avail/maint.c",
                                 "report/*.c"],
    "man/facmon-sim.1": ["tools/sim/*.c"],
}

# Each program's getopt string and long options, and its page.
PROGRAMS = {
    "agent/agent.c": "man/facmon-agent.8",
    "collector/collector.c": "man/facmon-collector.8",
    "report/main.c": "man/facmon-report.1",
    "tools/sim/sim.c": "man/facmon-sim.1",
}
# A command of a program, in the program's page (no --version of its own).
SUBCOMMANDS = {
    "agent/discover.c": "man/facmon-agent.8",
}

PAGES = sorted(glob.glob(os.path.join(ROOT, "man", "*.[158]")))

KEYS_RE = re.compile(r"(\w*keys)\s*\[\]\s*=\s*\{(.*?)\}", re.S)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def key_tables(patterns):
    """[(file, table, key)] of every *keys[] table in the files."""
    out = []
    for pat in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pat), recursive=True)):
            rel = os.path.relpath(path, ROOT)
            for m in KEYS_RE.finditer(read(rel)):
                for k in re.findall(r'"([^"]*)"', m.group(2)):
                    out.append((rel, m.group(1), k))
    return out


def documented_items(page):
    """Names of the page's list items: .It Ic key / .It Fl x / Cm ..."""
    items = set()
    for line in read(page).splitlines():
        m = re.match(r"\.It\s+(?:Ic|Cm|Va)\s+(\S+)", line)
        if m:
            items.add(m.group(1))
    return items


def options(src):
    """The option letters and long options a program's main() takes."""
    text = read(src)
    opts = set()
    for m in re.finditer(r'getopt(?:_long)?\(argc, argv, "\+?([^"]*)"',
                         text):
        opts.update("-" + c for c in m.group(1) if c != ":")
    for m in re.finditer(r'\{\s*"([a-z-]+)",\s*(?:required|no|optional)_'
                         r'argument', text):
        opts.add("--" + m.group(1))
    for m in re.finditer(r'strcmp\(argv\[\d\], "(--[a-z-]+)"\)', text):
        opts.add(m.group(1))
    return opts


def page_flags(page):
    """Every option the page names with Fl, as -x or --long."""
    flags = set()
    for line in read(page).splitlines():
        if not line.startswith("."):
            continue
        words = line.split()
        for i, w in enumerate(words[:-1]):
            if w == "Fl":
                f = words[i + 1].replace("\\-", "-")
                flags.add("-" + f)
    return flags


class Install(FacmonTestCase):
    def test_every_config_key_in_its_man_page(self):
        missing = []
        for page, pats in sorted(KEY_PAGES.items()):
            keys = key_tables(pats)
            # A table the pattern no longer finds would pass silently.
            self.assertGreater(len(keys), 5, "%s: no key tables found in %s"
                               % (page, pats))
            items = documented_items(page)
            for src, table, key in keys:
                if key not in items:
                    missing.append("%s: key '%s' (%s, %s[]) is not "
                                   "documented: add '.It Ic %s'"
                                   % (page, key, src, table, key))
        self.assertEqual(missing, [], "\n" + "\n".join(sorted(set(missing))))

    def test_every_option_in_its_man_page(self):
        missing = []
        for src, page in sorted(PROGRAMS.items()) + \
                sorted(SUBCOMMANDS.items()):
            opts = options(src)
            self.assertTrue(src in SUBCOMMANDS or "--version" in opts, src)
            self.assertGreater(len(opts), 1, src)
            flags = page_flags(page)
            for o in sorted(opts):
                if o not in flags:
                    missing.append("%s: option %s (%s) is not documented"
                                   % (page, o, src))
        self.assertEqual(missing, [], "\n" + "\n".join(missing))

    def test_man_pages_pass_mandoc_lint(self):
        if shutil.which("mandoc") is None:
            self.skipTest("no mandoc (apt-get install mandoc)")
        self.assertEqual(len(PAGES), 7, PAGES)
        for p in PAGES:
            r = subprocess.run(["mandoc", "-T", "lint", "-W", "all", p],
                               capture_output=True, text=True, timeout=60)
            # Pages of the other programs are found once installed.
            msgs = [ln for ln in (r.stdout + r.stderr).splitlines()
                    if "referenced manual not found" not in ln]
            self.assertEqual(msgs, [], p)

    def test_units_pass_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("no systemd-analyze")
        # verify wants the ExecStart= programs where the unit says: the
        # units are checked as installed, with the programs' paths
        # pointed into an install tree under the scratch directory.
        root = os.path.join(self.tmp, "root")
        r = subprocess.run(["make", "-s", "install", "DESTDIR=" + root],
                           cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        units = sorted(glob.glob(os.path.join(root, "lib", "systemd",
                                              "system", "*.service")))
        self.assertEqual(len(units), 2, units)
        for unit in units:
            with open(unit, encoding="utf-8") as f:
                text = f.read()
            self.assertIn("ExecStart=/usr/sbin/", text)
            text = text.replace("=/usr/sbin/", "=" + root + "/usr/sbin/")
            check = os.path.join(self.tmp, os.path.basename(unit))
            with open(check, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                                check], capture_output=True, text=True,
                               timeout=120)
            # Messages about the host's own units are not ours.
            ours = [ln for ln in r.stderr.splitlines() if "facmon" in ln]
            self.assertEqual(ours, [], "%s\n%s" % (unit, r.stderr))

    def test_unit_exposure_is_the_documented_one(self):
        # docs/install.md gives each unit's systemd-analyze security
        # exposure; a unit made weaker (or stronger) without the table
        # changing fails here.
        if shutil.which("systemd-analyze") is None:
            self.skipTest("no systemd-analyze")
        table = {}
        for line in read("docs/install.md").splitlines():
            m = re.match(r"\|\s*(facmon-\w+\.service)\s*\|.*\|\s*"
                         r"([0-9.]+) [A-Z]+\s*\|\s*$", line)
            if m:
                table[m.group(1)] = m.group(2)
        self.assertEqual(sorted(table), ["facmon-agent.service",
                                         "facmon-collector.service"])
        for unit, documented in sorted(table.items()):
            r = subprocess.run(["systemd-analyze", "security",
                                "--offline=true",
                                os.path.join(ROOT, "etc", "systemd", unit)],
                               capture_output=True, text=True, timeout=120)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)",
                          r.stdout + r.stderr)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            self.assertEqual(m.group(1), documented, unit)

    def test_make_install_lays_out_fhs(self):
        root = os.path.join(self.tmp, "root")
        r = subprocess.run(["make", "-s", "install", "DESTDIR=" + root],
                           cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        for rel in ("usr/sbin/facmon-agent", "usr/sbin/facmon-collector",
                    "usr/bin/facmon-report", "usr/bin/facmon-sim",
                    "etc/facmon/facmon-agent.conf",
                    "etc/facmon/facmon-collector.conf",
                    "etc/facmon/facmon-report.conf",
                    "usr/share/facmon/web/index.html",
                    "usr/share/facmon/mibs/FACMON-FACILITY-MIB",
                    "usr/share/man/man8/facmon-agent.8",
                    "usr/share/man/man5/facmon-agent.conf.5",
                    "lib/systemd/system/facmon-agent.service",
                    "lib/systemd/system/facmon-collector.service"):
            self.assertTrue(os.path.exists(os.path.join(root, rel)), rel)
        # The Modbus maps sit beside the configuration, which @includes
        # them by a path relative to itself.
        for m in ("crac", "ups", "meter"):
            self.assertTrue(os.path.exists(os.path.join(
                root, "etc/facmon/modbus/%s-example.conf" % m)), m)
        mb = os.path.join(root, "etc/facmon/modbus-test.conf")
        with open(mb, "w", encoding="utf-8") as f:
            f.write('agent: { id = "t"; collector = "127.0.0.1:5640"; '
                    'tls = false; spool_dir = "%s"; };\n'
                    'devices = ( { id = "ups-9"; name = "9号UPS"; '
                    'class = "ups"; group = "facility"; '
                    'address = "127.0.0.1"; checks = ( { id = "modbus"; '
                    'type = "modbus"; registers = (\n'
                    '@include "modbus/ups-example.conf"\n'
                    '); } ); } );\n' % os.path.join(self.tmp, "spool"))
        r = subprocess.run([os.path.join(root, "usr/sbin/facmon-agent"),
                            "-n", "-f", mb], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual((r.returncode, r.stdout.strip()),
                         (0, "configuration OK: 1 devices"), r.stderr)
        # A configuration already there is kept, never overwritten.
        conf = os.path.join(root, "etc/facmon/facmon-agent.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("# edited\n")
        r = subprocess.run(["make", "-s", "install", "DESTDIR=" + root],
                           cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(conf, encoding="utf-8") as f:
            self.assertEqual(f.read(), "# edited\n")
        # The installed programs look for their configuration in
        # /etc/facmon, not in the tree they were built in.
        for prog, conf in (("usr/sbin/facmon-agent", "facmon-agent.conf"),
                           ("usr/sbin/facmon-collector",
                            "facmon-collector.conf")):
            r = subprocess.run([os.path.join(root, prog), "-n"],
                               capture_output=True, text=True, timeout=30,
                               cwd=self.tmp)
            if not os.path.exists("/etc/facmon/" + conf):
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("/etc/facmon/" + conf, r.stdout + r.stderr)

    def test_no_source_path_compiled_in(self):
        # String constants live in .rodata; the debug information names
        # the build directory on purpose and is not looked at.
        if shutil.which("objcopy") is None:
            self.skipTest("no objcopy")
        for prog in ("facmon-agent", "facmon-collector", "facmon-report",
                     "facmon-sim"):
            out = os.path.join(self.tmp, prog + ".rodata")
            subprocess.run(["objcopy", "-O", "binary",
                            "--only-section=.rodata",
                            os.path.join(BUILD, prog), out], check=True,
                           timeout=60)
            with open(out, "rb") as f:
                data = f.read()
            self.assertGreater(len(data), 1000, prog)
            self.assertNotIn(ROOT.encode(), data, prog)
            for rel in (b"state/demo", b"build/facmon"):
                self.assertNotIn(rel, data, "%s: %s" % (prog, rel))

    def test_version_on_every_program(self):
        with open(os.path.join(ROOT, "common", "common.h"),
                  encoding="utf-8") as f:
            v = re.search(r'#define FACMON_VERSION\s+"([^"]+)"',
                          f.read()).group(1)
        for prog in ("facmon-agent", "facmon-collector", "facmon-report",
                     "facmon-sim"):
            r = subprocess.run([os.path.join(BUILD, prog), "--version"],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual((r.returncode, r.stdout), (0, "%s %s\n" %
                                                         (prog, v)))
        # The CHANGELOG's newest entry and the Debian packages' version
        # are this version.
        with open(os.path.join(ROOT, "CHANGELOG"), encoding="utf-8") as f:
            self.assertIn(v, f.read().split("\n\n")[0])
        with open(os.path.join(ROOT, "debian", "changelog"),
                  encoding="utf-8") as f:
            self.assertTrue(f.readline().startswith("facmon (%s)" % v))


if __name__ == "__main__":
    unittest.main()
