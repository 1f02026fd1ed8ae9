# Helpers for facmon's integration tests: free ports, processes stopped by
# PID, polling with a bound, config files, the daemons, snmpd and network
# namespaces.  Standard library only (Debian's /usr/bin/python3).

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
AGENT = os.path.join(BUILD, "facmon-agent")
COLLECTOR = os.path.join(BUILD, "facmon-collector")
SIM = os.path.join(BUILD, "facmon-sim")
PY = "/usr/bin/python3"


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            continue
        t.close()
        u.close()
        return port
    raise RuntimeError("no free port")


def wait_for(fn, timeout=30.0, interval=0.2, what="condition"):
    """Poll fn() until it returns something true; bounded in time."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class Proc:
    """A process started by a test and stopped by it, by PID."""

    def __init__(self, argv, log, env=None, netns=None):
        if netns:
            argv = ["ip", "netns", "exec", netns] + argv
        self.argv = argv
        self.log = log
        self.logf = open(log, "ab")
        self.p = subprocess.Popen(argv, stdout=self.logf,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=env,
                                  start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL; returns the exit status."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
        self.logf.close()
        return self.p.returncode

    def kill(self):
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.p.wait(5)

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")


def http_json(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def http_status(url, method="GET", data=None, timeout=5.0):
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class Mailbox:
    """An aiosmtpd handler that keeps every message: msgs the raw
    contents, rcpts the envelope recipients of each.  It can play a hard
    server: refuse every recipient, defer the next `tempfail` ones (451),
    or hold the next `stall` MAIL commands for 4 s."""

    def __init__(self, tempfail=0):
        self.msgs = []
        self.rcpts = []
        self.refuse = False
        self.tempfail = tempfail
        self.stall = 0

    async def handle_MAIL(self, server, session, envelope, address, opts):
        if self.stall > 0:
            import asyncio
            self.stall -= 1
            await asyncio.sleep(4)
        envelope.mail_from = address
        envelope.mail_options.extend(opts)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, opts):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.rcpts.append(list(envelope.rcpt_tos))
        self.msgs.append(envelope.content)
        return "250 OK"


class FacmonTestCase(unittest.TestCase):
    """Each test gets a scratch directory and its processes stopped."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="facmon-test-")
        self.procs = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for p in reversed(self.procs):
            p.stop()
        if os.environ.get("FACMON_KEEP_TMP"):
            print("kept", self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def dump_logs(self):
        for p in self.procs:
            print("---- %s (pid %d) ----" % (" ".join(p.argv[:3]), p.pid))
            print(p.output()[-4000:])

    def start(self, argv, name, env=None, netns=None):
        p = Proc(argv, os.path.join(self.tmp, name + ".log"), env=env,
                 netns=netns)
        self.procs.append(p)
        return p

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def start_smtp(self, box=None):
        """Debian's aiosmtpd on a free port of 127.0.0.1 with box (a new
        Mailbox by default); returns (box, port).  Skips the test when
        python3-aiosmtpd is missing (make deps installs it)."""
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            self.skipTest("python3-aiosmtpd not installed")
        box = box or Mailbox()
        port = free_port()
        ctl = Controller(box, hostname="127.0.0.1", port=port)
        ctl.start()
        self.addCleanup(ctl.stop)
        return box, port

    def start_httpd(self):
        """tests/lib/httpd.py on a free port, answering; returns (port,
        base URL)."""
        port = free_port()
        self.start([PY, os.path.join(ROOT, "tests/lib/httpd.py"), "--port",
                    str(port)], "httpd")
        base = "http://127.0.0.1:%d" % port
        wait_for(lambda: urllib.request.urlopen(base + "/ok",
                                                timeout=2).status == 200,
                 what="httpd")
        return port, base

    def start_demo_centre(self, net, interval=5, extra_devices="",
                          extra="", root_extra="", timeout=None,
                          agent_extra=""):
        """facmon-sim playing the demo centre (etc/demo/scenario.conf)
        on ports and a /16 of loopback (net, "127.N") of the test's own,
        so that a running demo or a parallel test does not hold the same
        address and port, without its timed faults, plus extra_devices
        (scenario text); the collector with the demo's availability
        group and root_extra; the agent probing every `interval` s
        (with `timeout` s and no retries, if given; agent_extra in its
        agent group).
        Returns the agent's device ids; self.sim_ctl is the simulator's
        control socket."""
        import re
        with open(os.path.join(ROOT, "etc/demo/scenario.conf"),
                  encoding="utf-8") as f:
            text = f.read()
        self.sim_ctl = os.path.join(self.tmp, "sim.sock")
        text = re.sub(r"(?s)^sim: \{.*?\n\};", """sim: {
  snmp_port = %d; http_port = %d; modbus_port = %d; community = "public";
  control = "%s"; truth_log = "%s"; seed = 2021;
};""" % (free_port(), free_port(), free_port(), self.sim_ctl,
         os.path.join(self.tmp, "truth.log")), text, count=1, flags=re.M)
        text = re.sub(r"(?s)\nfaults = \(.*?\n\);", "\n", text)
        text = text.replace('address = "127.0.', 'address = "%s.' % net)
        if extra_devices:
            text = text.replace("\n);", ",\n%s\n);" % extra_devices, 1)
        scen = self.write("scenario.conf", text)
        self.start([SIM, "-d", "-f", scen], "sim")
        wait_for(lambda: subprocess.run(
            [SIM, "ctl", "-s", self.sim_ctl, "ping"], capture_output=True,
            text=True, timeout=10).stdout == "pong\n", timeout=20,
            what="facmon-sim")
        # The Modbus maps, relative to the agent's file in self.tmp.
        mapdir = os.path.relpath(os.path.join(ROOT, "etc", "modbus"),
                                 self.tmp)
        devs = subprocess.run([SIM, "agent-config", "-M", mapdir, "-f",
                               scen],
                              capture_output=True, text=True, timeout=30,
                              check=True).stdout
        devs = devs[devs.index("devices = (") + len("devices = ("):
                    devs.rindex(");")]
        devs = re.sub(r"interval = \d+;", "interval = %d;" % interval, devs)
        if timeout is not None:
            devs = re.sub(r"timeout = [\d.]+;", "timeout = %g;" % timeout,
                          devs)
            devs = re.sub(r"retries = \d+;", "retries = 0;", devs)
        with open(os.path.join(ROOT, "etc/demo/collector.conf"),
                  encoding="utf-8") as f:
            demo = f.read()
        avail = demo[demo.index("availability: {"):demo.index("\n};",
                     demo.index("availability: {")) + 3]
        self.start_collector(agents=("test",), extra=extra,
                             root_extra=avail + "\n" + root_extra)
        self.start_agent(devs, extra=agent_extra)
        return re.findall(r'^    id = "([^"]+)";', devs, flags=re.M)

    def sim(self, *args):
        """facmon-sim ctl ARGS on the centre's control socket."""
        p = subprocess.run([SIM, "ctl", "-s", self.sim_ctl] + list(args),
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError(p.stderr)
        return p.stdout

    # --- the daemons -------------------------------------------------------

    def start_collector(self, agents=("test",), extra="", data_dir=None,
                        tls=True, keygen=True, root_extra="",
                        rrd="full_resolution_days = 1; write_interval = 0;",
                        http_port=None):
        """The collector; with TLS (the default) every agent listed gets
        a fresh key through the real keygen command, its agent-side copy
        in self.psk_files[agent].  tls=False configures plain TCP, for
        the tests that drive the protocol from Python."""
        self.tls = tls
        self.psk_files = getattr(self, "psk_files", {})
        self.agent_port = free_port()
        # Given when the configuration must name it (alerts' base_url).
        self.http_port = http_port or free_port()
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        conf = self.write("collector.conf", """
collector: {
  listen = [ "127.0.0.1:%d" ];
  http = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  web_dir = "%s";
  unknown_after = 3;
  rrd: { %s };
  agents = ( %s );
  %s
  %s
};
%s
""" % (self.agent_port, self.http_port, self.data_dir,
       os.path.join(ROOT, "web"), rrd,
       ", ".join('{ id = "%s"; }' % a for a in agents),
       "" if tls else "tls = false;", extra, root_extra))
        if tls and keygen:
            for a in agents:
                self.keygen(conf, a)
        p = self.start([COLLECTOR, "-d", "-f", conf], "collector")
        self.api = "http://127.0.0.1:%d" % self.http_port
        wait_for(lambda: http_json(self.api + "/api/v1/devices") is not None,
                 timeout=15, what="collector HTTP")
        return p

    def keygen(self, conf, agent_id):
        """facmon-collector keygen: the collector's key and the agent's."""
        path = os.path.join(self.tmp, "psk-" + agent_id)
        subprocess.run([COLLECTOR, "-f", conf, "keygen", agent_id, path],
                       check=True, capture_output=True)
        self.psk_files[agent_id] = path
        return path

    def tls_lines(self, agent_id):
        if not getattr(self, "tls", True):
            return "tls = false;"
        return 'tls_psk_file = "%s";' % self.psk_files.get(
            agent_id, os.path.join(self.tmp, "psk-" + agent_id))

    def start_agent(self, devices, agent_id="test", extra="", netns=None,
                    name="agent", env=None, collector=None, mibdirs=None,
                    top=""):
        """top: settings beside agent and devices (a defaults block)."""
        conf = self.write(name + ".conf", """
agent: {
  id = "%s";
  collector = %s;
  %s
  batch_interval = "200ms";
  mibdirs = "%s";
  templates = "%s";
  spool_dir = "%s";
  %s
};
devices = (
%s
);
%s
""" % (agent_id, collector or '"127.0.0.1:%d"' % self.agent_port,
       self.tls_lines(agent_id),
       os.path.join(ROOT, "mibs") if mibdirs is None else mibdirs,
       os.path.join(ROOT, "etc", "templates"),
       os.path.join(self.tmp, "spool-" + name), extra, devices, top))
        self.agent_conf = conf
        return self.start([AGENT, "-d", "-v", "-f", conf], name, netns=netns,
                          env=env)

    def device(self, dev_id):
        try:
            return http_json(self.api + "/api/v1/devices/" + dev_id)
        except urllib.error.HTTPError:
            return None

    def check(self, dev_id, check_id):
        d = self.device(dev_id)
        if not d:
            return None
        for c in d["checks"]:
            if c["id"] == check_id:
                return c
        return None

    def wait_check(self, dev_id, check_id, state, timeout=30.0, pred=None):
        def ok():
            c = self.check(dev_id, check_id)
            if c and c["state"] == state and (pred is None or pred(c)):
                return c
            return None
        try:
            return wait_for(ok, timeout=timeout,
                            what="%s/%s %s" % (dev_id, check_id, state))
        except AssertionError:
            print("last:", self.check(dev_id, check_id))
            self.dump_logs()
            raise

    # --- snmpd -------------------------------------------------------------

    def start_snmpd(self, port=None, extra=""):
        """Debian's real snmpd on 127.0.0.1, with a config of the test's."""
        if not shutil.which("snmpd") and not os.path.exists(
                "/usr/sbin/snmpd"):
            self.skipTest("snmpd not installed")
        self.snmp_port = port or free_port()
        d = os.path.join(self.tmp, "snmpd")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "snmpd.conf")
        with open(conf, "w") as f:
            # The address is on the command line only: naming it in
            # the file as well makes snmpd bind it twice and fail.
            f.write("rocommunity public 127.0.0.1\n"
                    "sysLocation facmon test\n"
                    "sysContact test@localhost\n%s" % extra)
        env = dict(os.environ, SNMP_PERSISTENT_DIR=d, MIBS="")
        p = self.start(["/usr/sbin/snmpd", "-f", "-C", "-c", conf, "-Lf",
                        os.path.join(d, "snmpd.out"), "-p",
                        os.path.join(d, "snmpd.pid"),
                        "udp:127.0.0.1:%d" % self.snmp_port],
                       "snmpd", env=env)
        wait_for(lambda: subprocess.run(
            ["snmpget", "-v2c", "-c", "public", "-t", "0.5", "-r", "0",
             "127.0.0.1:%d" % self.snmp_port, "1.3.6.1.2.1.1.3.0"],
            capture_output=True).returncode == 0, timeout=15,
            what="snmpd answering")
        return p


    # --- snmpsim -----------------------------------------------------------

    def start_snmpsim(self, recordings, port=None, extra=()):
        """snmpsim (snmpsimd) serving .snmprec files; each file's name
        without .snmprec is its community (and SNMPv3 context).
        recordings maps a community to a recording's path; extra are
        more options (the SNMPv3 engine and user), which snmpsim wants
        before the endpoint."""
        exe = shutil.which("snmpsimd") or shutil.which("snmpsimd.py")
        if exe is None:
            self.skipTest("snmpsim not installed")
        self.snmpsim_port = port or getattr(self, "snmpsim_port",
                                            None) or free_port()
        d = os.path.join(self.tmp, "snmpsim")
        data = os.path.join(d, "data")
        os.makedirs(data, exist_ok=True)
        # A fresh cache each start: snmpsim indexes a recording once.
        cache = tempfile.mkdtemp(prefix="cache-", dir=d)
        for f in os.listdir(data):
            os.unlink(os.path.join(data, f))
        for comm, path in recordings.items():
            shutil.copy(path, os.path.join(data, comm + ".snmprec"))
        argv = [exe, "--data-dir=" + data, "--cache-dir=" + cache] + \
            list(extra) + [
                "--agent-udpv4-endpoint=127.0.0.1:%d" % self.snmpsim_port,
                "--logging-method=stderr"]
        if os.geteuid() == 0:
            # snmpsim refuses to run as root: it reads as nobody.
            argv += ["--process-user=nobody", "--process-group=nogroup"]
            os.chmod(self.tmp, 0o711)
            for p in (d, data):
                os.chmod(p, 0o755)
            os.chmod(cache, 0o777)
            for f in os.listdir(data):
                os.chmod(os.path.join(data, f), 0o644)
        p = self.start(argv, "snmpsim")
        comm = sorted(recordings)[0]
        wait_for(lambda: subprocess.run(
            ["snmpget", "-v2c", "-c", comm, "-t", "1", "-r", "0",
             "127.0.0.1:%d" % self.snmpsim_port, "1.3.6.1.2.1.1.5.0"],
            capture_output=True).returncode == 0, timeout=60,
            what="snmpsim answering")
        return p

    def snmpwalk(self, community, oid, version="2c"):
        """What net-snmp's snmpwalk reads from the simulator: a dict of
        numeric OID (no leading dot) to its value as printed with -Oq."""
        p = subprocess.run(
            ["snmpwalk", "-v" + version, "-c", community, "-On", "-Oq",
             "-Ot", "-Oe", "-t", "2", "-r", "1",
             "127.0.0.1:%d" % self.snmpsim_port, oid],
            capture_output=True, text=True, timeout=120,
            env=dict(os.environ, MIBS=""))
        out = {}
        for line in p.stdout.splitlines():
            if not line.startswith("."):
                continue
            k, _, v = line.partition(" ")
            if v.startswith("No more variables") or \
                    v.startswith("No Such"):
                continue
            out[k[1:]] = v
        return out


class ServiceTestCase(FacmonTestCase):
    """A test with tests/lib/httpd.py serving /svc, switched by set():
    the service whose outages the test makes, and timestamps, itself."""

    def setUp(self):
        super().setUp()
        self.hport, self.base = self.start_httpd()
        self.set(200)

    def set(self, status):
        """Serve /svc with this status from now on; returns the time."""
        urllib.request.urlopen(self.base + "/set?path=/svc&status=%d&body=x"
                               % status, timeout=2).read()
        return int(time.time() * 1000)


def rrd_fetch(path, start, end="now"):
    """rrdtool fetch as [(ts, value or None)]."""
    out = subprocess.run(["rrdtool", "fetch", path, "AVERAGE", "-s",
                          str(start), "-e", str(end)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        if ":" not in line:
            continue
        ts, v = line.split(":", 1)
        v = v.strip()
        try:
            val = float(v)
            if val != val:
                val = None
        except ValueError:
            continue
        rows.append((int(ts), val))
    return rows


class NetNS:
    """A network namespace with a veth pair to the host: a test 'device'.

    The addresses come from 198.18.0.0/15, the range set aside for
    benchmarking network devices: traffic to them never leaves this
    machine's namespaces.
    """

    count = 0

    def __init__(self, host_addr, ns_addr, prefix=30):
        NetNS.count += 1
        tag = "%d%d" % (os.getpid() % 10000, NetNS.count)
        self.name = "fmt%s" % tag
        self.host_if = "fmh%s" % tag
        self.ns_if = "fmn%s" % tag
        self.host_addr = host_addr
        self.ns_addr = ns_addr
        sh = lambda *a: subprocess.run(a, check=True, capture_output=True)
        sh("ip", "netns", "add", self.name)
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name",
           self.ns_if)
        sh("ip", "link", "set", self.ns_if, "netns", self.name)
        sh("ip", "addr", "add", "%s/%d" % (host_addr, prefix), "dev",
           self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        self.ns("ip", "addr", "add", "%s/%d" % (ns_addr, prefix), "dev",
                self.ns_if)
        self.ns("ip", "link", "set", self.ns_if, "up")
        self.ns("ip", "link", "set", "lo", "up")

    def ns(self, *argv):
        return subprocess.run(["ip", "netns", "exec", self.name] + list(argv),
                              check=True, capture_output=True)

    def link(self, up):
        self.ns("ip", "link", "set", self.ns_if, "up" if up else "down")

    def close(self):
        subprocess.run(["ip", "link", "del", self.host_if],
                       capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def can_netns():
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["ip", "netns", "add", "fmprobe%d" % os.getpid()],
                       capture_output=True)
    if r.returncode != 0:
        return False
    subprocess.run(["ip", "netns", "del", "fmprobe%d" % os.getpid()],
                   capture_output=True)
    return True
