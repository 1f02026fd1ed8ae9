# ICMP and TCP probes against a "device" in a network namespace that the
# test creates (a veth pair with addresses from 198.18.0.0/15).  Taking
# the namespace's link down makes the device disappear; bringing it up
# brings it back.

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (PY, ROOT, FacmonTestCase, NetNS, can_netns,  # noqa
                    wait_for)

HOST, DEV = "198.18.7.1", "198.18.7.2"


@unittest.skipUnless(can_netns(), "needs root and network namespaces")
class NetnsProbes(FacmonTestCase):
    def setUp(self):
        super().setUp()
        self.ns = NetNS(HOST, DEV)
        self.addCleanup(self.ns.close)

    def test_icmp_and_tcp_up_down_up(self):
        self.start([PY, os.path.join(ROOT, "tests/lib/tcpd.py"), "--port",
                    "7000", "--bind", DEV, "--banner", "HELLO facmon\\r\\n"],
                   "tcpd", netns=self.ns.name)
        self.start_collector()
        self.start_agent("""
{ id = "term"; name = "评价器 01"; class = "evaluation-terminal";
  group = "terminals"; address = "%s";
  checks = (
    { id = "ping"; type = "icmp"; interval = 1; timeout = 0.9; count = 3;
      spacing = "100ms"; },
    { id = "svc"; type = "tcp"; interval = 1; timeout = 0.9; port = 7000;
      expect = "HELLO"; },
    { id = "closed"; type = "tcp"; interval = 1; timeout = 0.9; port = 7001;
      critical = false; }
  ); }
""" % DEV)
        ping = self.wait_check("term", "ping", "up")
        self.assertEqual(ping["values"]["received"]["value"], 3)
        self.assertEqual(ping["values"]["loss_pct"]["value"], 0)
        self.assertGreater(ping["values"]["rtt_ms"]["value"], 0)
        svc = self.wait_check("term", "svc", "up")
        self.assertIn("connect_ms", svc["values"])
        closed = self.wait_check("term", "closed", "down")
        self.assertEqual(closed["outcome"], "refused")
        self.assertEqual(self.device("term")["state"], "degraded")

        # The device disappears.
        last_up = self.check("term", "ping")["last_ms"]
        t_down = int(time.time() * 1000)
        self.ns.link(False)
        ping = self.wait_check("term", "ping", "down", timeout=20)
        self.assertIn(ping["outcome"], ("timeout", "unreachable"))
        self.assertGreater(ping["since_ms"], last_up)
        self.assertLessEqual(ping["since_ms"], t_down + 1100)
        svc = self.wait_check("term", "svc", "down", timeout=20)
        self.assertIn(svc["outcome"], ("timeout", "unreachable"))
        self.assertEqual(self.device("term")["state"], "down")

        # And comes back.
        self.ns.link(True)
        self.wait_check("term", "ping", "up", timeout=20)
        self.wait_check("term", "svc", "up", timeout=20)

    def test_icmp_loss_is_measured(self):
        # Drop every other echo request inside the namespace with tc? The
        # kernel's netem is not always there; use the simpler rule that
        # a device answering nothing shows 100 % loss and a timeout.
        self.ns.ns("sysctl", "-w", "net.ipv4.icmp_echo_ignore_all=1")
        self.start_collector()
        self.start_agent("""
{ id = "mute"; class = "touch-screen"; group = "terminals"; address = "%s";
  checks = ( { id = "ping"; type = "icmp"; interval = 1; timeout = 0.5;
               count = 2; } ); }
""" % DEV)
        c = self.wait_check("mute", "ping", "down")
        self.assertEqual(c["outcome"], "timeout")
        self.assertEqual(c["values"]["loss_pct"]["value"], 100)
        self.assertEqual(c["values"]["sent"]["value"], 2)
        self.assertNotIn("rtt_ms", c["values"])
        self.ns.ns("sysctl", "-w", "net.ipv4.icmp_echo_ignore_all=0")
        self.wait_check("mute", "ping", "up")

    def test_arp_and_passive_presence(self):
        self.start_collector()
        agent = self.start_agent("""
{ id = "screen"; name = "触摸屏 01"; class = "touch-screen";
  group = "terminals"; address = "%s";
  checks = (
    { id = "arp"; type = "arp"; interface = "%s"; interval = 1;
      timeout = 0.9; count = 2; spacing = "200ms"; },
    { id = "seen"; type = "presence"; interface = "%s"; interval = 1;
      timeout = 0.5; window = "3s"; critical = false; }
  ); }
""" % (DEV, self.ns.host_if, self.ns.host_if))
        mac = self.ns.ns("cat", "/sys/class/net/%s/address" %
                         self.ns.ns_if).stdout.decode().strip()
        c = self.wait_check("screen", "arp", "up")
        self.assertEqual(c["values"]["mac"]["value"], mac)
        self.assertGreater(c["values"]["rtt_ms"]["value"], 0)
        # The replies to the ARP check are traffic: the device is present.
        self.wait_check("screen", "seen", "up")

        # Another device takes the address: reported, still up.
        self.ns.ns("ip", "link", "set", "dev", self.ns.ns_if, "address",
                   "02:00:5e:00:53:99")
        self.wait_check("screen", "arp", "up", pred=lambda c:
                        c["values"]["mac"]["value"] == "02:00:5e:00:53:99")
        wait_for(lambda: "MAC address changed from %s to 02:00:5e:00:53:99"
                 % mac in agent.output(), what="MAC change logged")

        # Gone: ARP fails at once, presence after its window.
        self.ns.link(False)
        c = self.wait_check("screen", "arp", "down", timeout=20)
        self.assertEqual(c["outcome"], "timeout")
        c = self.wait_check("screen", "seen", "down", timeout=20)
        self.assertEqual(c["outcome"], "timeout")
        self.ns.link(True)
        self.wait_check("screen", "arp", "up", timeout=20)
        self.wait_check("screen", "seen", "up", timeout=20)

    def test_traffic_counts_known_pings(self):
        # Known traffic: N echo requests of SIZE bytes from this side to
        # the device and its N replies, each an Ethernet frame of
        # 14 + 20 + 8 + SIZE bytes.  By the device's address, in is what
        # it was sent and out what it sent; nothing else speaks IPv4 to
        # it here.  The interface's own counts include the ARP as well.
        n, size = 12, 1000
        frame = 14 + 20 + 8 + size
        self.start_collector()
        self.start_agent("""
{ id = "line"; name = "专线 (no SNMP)"; class = "line"; group = "lines";
  address = "%s";
  checks = (
    { id = "traffic"; type = "traffic"; interface = "%s"; interval = 1; },
    { id = "nic"; type = "traffic"; interface = "%s"; of = "interface";
      interval = 1; critical = false; }
  ); }
""" % (DEV, self.ns.host_if, self.ns.host_if))
        self.wait_check("line", "traffic", "up")
        self.wait_check("line", "nic", "up")
        subprocess.run(["ping", "-q", "-n", "-c", str(n), "-i", "0.2", "-s",
                        str(size), "-W", "2", DEV], check=True,
                       capture_output=True, timeout=60)

        c = self.wait_check("line", "traffic", "up", pred=lambda c:
                            c["values"]["out_packets"]["raw"] == n)
        self.assertEqual(c["values"]["in_packets"]["raw"], n)
        self.assertEqual(c["values"]["in_octets"]["raw"], n * frame)
        self.assertEqual(c["values"]["out_octets"]["raw"], n * frame)
        self.assertEqual(c["values"]["in_octets"]["kind"], "counter")
        nic = self.wait_check("line", "nic", "up", pred=lambda c:
                              c["values"]["in_packets"]["raw"] >= n)
        self.assertGreaterEqual(nic["values"]["out_octets"]["raw"],
                                n * frame)
        self.assertGreaterEqual(nic["values"]["in_octets"]["raw"], n * frame)
        # The rate is stored in RRD like an SNMP counter's.
        for name in ("in_octets", "out_octets", "in_packets",
                     "out_packets"):
            rrd = os.path.join(self.data_dir, "rrd", "line", "traffic",
                               name + ".rrd")
            wait_for(lambda: os.path.exists(rrd), timeout=30,
                     what="the RRD of " + name)

    def test_privilege_drop_keeps_icmp_and_arp(self):
        # Started as root with user = "nobody": after start-up the agent
        # runs as nobody with CAP_NET_RAW alone, and its raw-socket and
        # pcap checks still work.  The scratch directory must be
        # traversable by nobody for the spool inside it.
        import pwd
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.tmp, 0o711)
        self.start_collector()
        agent = self.start_agent("""
{ id = "term"; class = "evaluation-terminal"; group = "terminals";
  address = "%s";
  checks = (
    { id = "ping"; type = "icmp"; interval = 1; timeout = 0.9; },
    { id = "arp"; type = "arp"; interface = "%s"; interval = 1;
      timeout = 0.9; }
  ); }
""" % (DEV, self.ns.host_if), extra='user = "nobody";')
        wait_for(lambda: "running as user nobody" in agent.output(),
                 timeout=30, what="the privilege drop")
        with open("/proc/%d/status" % agent.pid) as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f
                          if ":\t" in line)
        self.assertEqual(status["Uid"].split(), [str(nobody.pw_uid)] * 4)
        self.assertEqual(status["Gid"].split(), [str(nobody.pw_gid)] * 4)
        cap_net_raw = 1 << 13
        self.assertEqual(int(status["CapEff"], 16), cap_net_raw)
        self.assertEqual(int(status["CapPrm"], 16), cap_net_raw)
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        # Every thread, the spool's too.
        for tid in os.listdir("/proc/%d/task" % agent.pid):
            with open("/proc/%d/task/%s/status" % (agent.pid, tid)) as f:
                caps = [line.split()[1] for line in f
                        if line.startswith(("CapEff", "CapPrm"))]
            self.assertEqual([int(c, 16) for c in caps], [cap_net_raw] * 2)
        self.wait_check("term", "ping", "up")
        self.wait_check("term", "arp", "up")
        # The spool is written as nobody: results reach the collector.
        ping = self.check("term", "ping")
        self.wait_check("term", "ping", "up", pred=lambda c:
                        c["last_ms"] > ping["last_ms"] + 2000)
        spool = os.path.join(self.tmp, "spool-agent")
        self.assertEqual(os.stat(spool).st_uid, nobody.pw_uid)
        # Gone and back: the checks are live, not stale.
        self.ns.link(False)
        self.wait_check("term", "arp", "down", timeout=20)
        self.ns.link(True)
        self.wait_check("term", "arp", "up", timeout=20)
