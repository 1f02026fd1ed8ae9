# The collector's listeners under attack from loopback, a legitimate agent
# and the wall beside the attack: connections that stall at each stage of
# the agent handshake, descriptor pressure under a lowered RLIMIT_NOFILE,
# keep-alive hogs on the web port, floods of refused handshakes, a
# replayed ClientHello, an agent shut out by a full collector and results
# resent under a new session.  Attackers use addresses of 127.0.0.0/8 of
# their own, so that the per-address limits are what they meet; every
# loop is bounded in count and time.

import os
import socket
import ssl
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import fmtest  # noqa: E402
import wire  # noqa: E402
from fmtest import FacmonTestCase, free_port, http_json, wait_for  # noqa

OPENSSL = "/usr/bin/openssl"


def devices(port):
    return """
{ id = "d1"; class = "other"; group = "g"; address = "127.0.0.1";
  checks = ( { id = "tcp"; type = "tcp"; interval = 1; timeout = 0.5;
               port = %d; } ); }""" % port


def connect(src, port, timeout=3.0):
    """A TCP connection from src to the port, or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    return s


def client_hello():
    """The first flight of a TLS client (no PSK): a ClientHello."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def psk_hex(path):
    with open(path) as f:
        return f.read().strip()


def s_client(port, identity, key_hex, stdin=subprocess.DEVNULL):
    return subprocess.Popen(
        [OPENSSL, "s_client", "-quiet", "-connect", "127.0.0.1:%d" % port,
         "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256",
         "-psk_identity", identity, "-psk", key_hex],
        stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime


def log_lines(proc, *words):
    return [ln for ln in proc.output().splitlines()
            if all(w in ln for w in words)]


class Attack(FacmonTestCase):
    def stats(self):
        return http_json(self.api + "/api/v1/stats")

    def hold(self, socks):
        def close():
            for s in socks:
                s.close()
        self.addCleanup(close)
        return socks

    def start_limited_collector(self, nofile, **kw):
        """The collector under prlimit --nofile=N (keygen too)."""
        wrapper = self.write("collector.sh", "#!/bin/sh\nexec prlimit "
                             "--nofile=%d:%d %s \"$@\"\n" %
                             (nofile, nofile, fmtest.COLLECTOR))
        os.chmod(wrapper, 0o755)
        saved = fmtest.COLLECTOR
        fmtest.COLLECTOR = wrapper
        try:
            return self.start_collector(**kw)
        finally:
            fmtest.COLLECTOR = saved

    # --- item 1: the agent port -------------------------------------------

    def test_stalled_handshakes_do_not_lock_agents_out(self):
        coll = self.start_collector()
        port = self.agent_port
        hello = client_hello()
        socks = self.hold([])
        # 300 connections from 25 addresses at three stages: TCP only, a
        # TLS record header, half a ClientHello.
        for i in range(300):
            s = connect("127.0.7.%d" % (10 + i // 12), port)
            if s is None:
                continue
            try:
                if i % 3 == 1:
                    s.sendall(hello[:5])
                elif i % 3 == 2:
                    s.sendall(hello[:len(hello) // 2])
            except OSError:
                pass
            socks.append(s)
        # A few that finish the handshake with the key and say nothing.
        key = psk_hex(self.psk_files["test"])
        quiet = [s_client(port, "test", key, stdin=subprocess.PIPE)
                 for _ in range(4)]
        for p in quiet:
            self.addCleanup(p.kill)
        self.assertGreaterEqual(len(socks), 250)
        st = self.stats()["ingest"]
        self.assertLessEqual(st["conn_active"], 256)
        # While they are held, a real agent is served.
        agent = self.start_agent(devices(self.http_port))
        wait_for(lambda: self.stats()["ingest"]["hello_ok"] >= 1,
                 timeout=20, what="agent served beside 300 stalled")
        # Past the HELLO deadline every stalled connection is freed,
        # whatever stage it stopped at; only the agent stays.
        wait_for(lambda: self.stats()["ingest"]["conn_active"] == 1,
                 timeout=40, what="stalled connections freed")
        # Dropped now: a new agent connection is served at once.
        for s in socks:
            s.close()
        for p in quiet:
            p.kill()
        agent.stop()
        t0 = time.monotonic()
        self.start_agent(devices(self.http_port), name="agent2")
        wait_for(lambda: self.stats()["ingest"]["hello_ok"] >= 2,
                 timeout=15, interval=0.05,
                 what="agent served after the attack")
        st = self.stats()["ingest"]
        print("agent served %.2f s after the stalled connections were "
              "dropped; hello timeouts %d, evicted %d, refused %d" %
              (time.monotonic() - t0, st["conn_hello_timeout"],
               st["conn_evicted"], st["conn_refused"]))
        self.assertGreater(st["conn_hello_timeout"] + st["conn_evicted"] +
                           st["conn_refused"], 0)
        # A handful of lines for all of it, not one per connection.
        self.assertLess(len(log_lines(coll, "agent connection")), 15,
                        coll.output()[-3000:])

    def test_one_address_cannot_take_the_agent_port(self):
        self.start_collector(extra="handshakes_per_peer = 8;")
        socks = self.hold([])
        for _ in range(40):
            s = connect("127.0.8.1", self.agent_port)
            if s is not None:
                socks.append(s)
        wait_for(lambda: self.stats()["ingest"]["conn_refused_peer"] >= 30,
                 timeout=10, what="per-address refusals")
        self.assertLessEqual(self.stats()["ingest"]["conn_active"], 8)
        self.start_agent(devices(self.http_port))
        wait_for(lambda: self.stats()["ingest"]["hello_ok"] >= 1,
                 timeout=20, what="agent served")

    # --- item 3: descriptors ------------------------------------------------

    def descriptor_pressure(self, nofile, n_http, n_agent):
        coll = self.start_limited_collector(nofile)
        before = len(coll.output().splitlines())
        socks = self.hold([])
        # More idle connections than the process has descriptors, from
        # addresses that stay under the per-address limits.
        for i in range(n_http):
            s = connect("127.9.%d.%d" % (i // 7000, 10 + i // 30 % 200),
                        self.http_port)
            if s is not None:
                socks.append(s)
        for i in range(n_agent):
            s = connect("127.10.%d.%d" % (i // 2000, 10 + i // 12 % 200),
                        self.agent_port)
            if s is not None:
                socks.append(s)
        self.assertGreater(len(socks), nofile)
        # CPU over a few seconds: a sliver of a core, not a spin.
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0 = time.monotonic(), cpu_ticks(coll.pid)
        time.sleep(4)
        t1, c1 = time.monotonic(), cpu_ticks(coll.pid)
        ratio = (c1 - c0) / hz / (t1 - t0)
        print("collector CPU under descriptor pressure: %.3f of a core"
              % ratio)
        self.assertLess(ratio, 0.25)
        # The wall and an agent are served all the same.
        st = wait_for(lambda: self.stats(), timeout=15, what="wall")
        self.assertGreater(st["descriptors"]["budget"], 0)
        self.assertLess(st["descriptors"]["budget"], nofile)
        self.start_agent(devices(self.http_port))
        wait_for(lambda: self.stats()["ingest"]["hello_ok"] >= 1,
                 timeout=20, what="agent served under pressure")
        # A few lines, not one per connection.
        grown = len(coll.output().splitlines()) - before
        self.assertLess(grown, 30, coll.output()[-3000:])

    def test_descriptor_pressure_stays_quiet_and_serves(self):
        # Both listeners share what a small limit leaves.
        self.descriptor_pressure(256, 330, 120)

    def test_1100_idle_connections_under_limit_1024(self):
        # The figures of the field report: LimitNOFILE=1024.
        self.descriptor_pressure(1024, 900, 200)

    def test_accept_rests_when_descriptors_run_out(self):
        coll = self.start_collector()
        # The limit lowered under the running daemon: accept() itself
        # fails with EMFILE, whatever the collector counted at start.
        nfd = len(os.listdir("/proc/%d/fd" % coll.pid))
        subprocess.run(["prlimit", "--pid", str(coll.pid),
                        "--nofile=%d:" % (nfd + 1)], check=True,
                       timeout=10)
        before = len(coll.output().splitlines())
        socks = self.hold([])
        for i in range(80):
            port = self.http_port if i % 2 else self.agent_port
            s = connect("127.0.15.%d" % (10 + i // 10), port)
            if s is not None:
                socks.append(s)
        self.assertGreater(len(socks), 40)
        hz = os.sysconf("SC_CLK_TCK")
        t0, c0 = time.monotonic(), cpu_ticks(coll.pid)
        time.sleep(4)
        t1, c1 = time.monotonic(), cpu_ticks(coll.pid)
        ratio = (c1 - c0) / hz / (t1 - t0)
        print("collector CPU with accept failing: %.3f of a core" % ratio)
        self.assertLess(ratio, 0.25)
        for s in socks:
            s.close()
        subprocess.run(["prlimit", "--pid", str(coll.pid),
                        "--nofile=4096:"], check=True, timeout=10)
        st = wait_for(lambda: self.stats(), timeout=15, what="wall again")
        self.assertGreater(st["descriptors"]["accept_paused"], 0)
        self.assertLessEqual(len(log_lines(coll, "accept")), 2)
        self.assertLess(len(coll.output().splitlines()) - before, 10)

    # --- item 4: the web port ----------------------------------------------

    def test_keepalive_hogs_do_not_lock_out_the_wall(self):
        self.start_collector()
        # Idle connections count from accept, before any request.
        idle = self.hold([connect("127.0.11.1", self.http_port)
                          for _ in range(10)])
        wait_for(lambda: self.stats()["http"]["connections"] >= 10,
                 timeout=10, what="idle connections counted")
        for s in idle:
            s.close()
        # 256 keep-alive clients, 32 per address, each one request.
        req = b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"
        hogs = self.hold([])
        for i in range(256):
            s = connect("127.0.12.%d" % (10 + i // 32), self.http_port)
            if s is None:
                continue
            try:
                s.sendall(req)
                s.recv(65536)
            except OSError:
                pass
            hogs.append(s)
        self.assertGreater(len(hogs), 200)
        # The wall and /metrics-style stats answer for the duty room.
        for _ in range(3):
            st = http_json(self.api + "/api/v1/stats", timeout=5)
            http_json(self.api + "/api/v1/devices", timeout=5)
        self.assertGreater(st["http"]["connections_evicted"] +
                           st["http"]["connections_idle_closed"], 0)
        # One address cannot take every slot.
        one = self.hold([connect("127.0.13.1", self.http_port)
                         for _ in range(45)])
        self.assertTrue(all(s is not None for s in one))
        wait_for(lambda: self.stats()["http"]["connections_refused_peer"]
                 >= 10, timeout=10, what="per-address refusals")

    # --- item 10: log lines, events and handshakes -------------------------

    def test_refused_handshakes_are_rate_limited_and_told_apart(self):
        coll = self.start_collector(agents=("test", "other"))
        wrong = "00" * 32
        procs = [s_client(self.agent_port, "test", wrong) for _ in range(30)]
        for p in procs:
            p.wait(timeout=30)
        wait_for(lambda: self.stats()["ingest"]["tls_bad_key"] >= 30,
                 timeout=20, what="wrong keys counted")
        ev = http_json(self.api + "/api/v1/events")
        refused = [e for e in ev if e["kind"] == "tls-refused"]
        # One event a minute for each kind of refusal, not thirty.
        self.assertEqual(len(refused), 1, refused)
        self.assertLessEqual(len(log_lines(coll, "refused")), 2)
        # A ClientHello with the right key, captured and replayed: the
        # key is fine, the handshake never finishes; not "wrong key".
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        lst.settimeout(10)
        self.addCleanup(lst.close)
        cap = s_client(lst.getsockname()[1], "test",
                       psk_hex(self.psk_files["test"]),
                       stdin=subprocess.PIPE)
        self.addCleanup(cap.kill)
        conn, _ = lst.accept()
        conn.settimeout(10)
        head = wire._read(conn, 5)
        body = wire._read(conn, struct.unpack(">H", head[3:5])[0])
        conn.close()
        cap.kill()
        for _ in range(3):
            s = connect("127.0.14.1", self.agent_port)
            s.sendall(head + body)
            try:
                s.recv(4096)
            except OSError:
                pass
            s.close()
        wait_for(lambda: self.stats()["ingest"]["tls_incomplete"] >= 3,
                 timeout=10, what="replays counted apart")
        self.assertEqual(self.stats()["ingest"]["tls_bad_key"], 30)
        self.assertEqual(len(log_lines(coll, "refused: wrong key")), 1)

    def test_agent_shut_out_by_a_full_collector_does_not_blame_its_key(self):
        self.start_collector(agents=("a1", "a2"),
                             extra="max_connections = 1;")
        self.start_agent(devices(self.http_port), agent_id="a1", name="a1")
        wait_for(lambda: self.stats()["ingest"]["hello_ok"] >= 1,
                 timeout=20, what="a1 served")
        a2 = self.start_agent(devices(self.http_port).replace("d1", "d2"),
                              agent_id="a2", name="a2")
        wait_for(lambda: self.stats()["ingest"]["conn_refused"] >= 2,
                 timeout=30, what="a2 refused")
        wait_for(lambda: "the collector closed the connection" in
                 a2.output() or "reset by peer" in a2.output(), timeout=10,
                 what="a2 logs the refusal")
        self.assertNotIn("wrong key", a2.output())

    def test_results_resent_under_a_new_session_count_once(self):
        self.start_collector(tls=False)
        now = int(time.time() * 1000)
        results = [wire.result("lift-1", "http", wire.CT_HTTP, 0,
                               now - 3000 + i * 1000) for i in range(3)]
        for session in (1, 2):
            sk = socket.create_connection(("127.0.0.1", self.agent_port),
                                          timeout=5)
            self.addCleanup(sk.close)
            sk.sendall(wire.hello("test", session))
            self.assertEqual(wire.read_frame(sk)[0], wire.WELCOME)
            sk.sendall(wire.devices([("lift-1", "lift", "elevator", "g",
                                      "127.0.0.9",
                                      [("http", wire.CT_HTTP, 1000)])]))
            sk.sendall(wire.batch(session, 1, results))
            self.assertEqual(wire.read_frame(sk)[0], wire.ACK)
            sk.close()
        c = wait_for(lambda: self.check("lift-1", "http"), what="check")
        self.assertEqual(c["results"]["total"], 3)
        self.assertEqual(self.stats()["state"]["results_duplicate"], 3)

    # --- configuration and privileges --------------------------------------

    def test_check_mode_checks_every_new_limit(self):
        conf = self.write("bad.conf", """collector: {
  listen = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  handshakes_per_peer = 0;
  http_connections_per_peer = 70000;
  fd_reserve = 4;
  user = "no-such-user-here";
};
""" % (free_port(), os.path.join(self.tmp, "data")))
        r = subprocess.run([fmtest.COLLECTOR, "-n", "-f", conf],
                           capture_output=True, text=True, timeout=30)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        for line, word in ((5, "handshakes_per_peer"),
                           (6, "http_connections_per_peer"),
                           (7, "fd_reserve"), (8, "no-such-user-here")):
            self.assertTrue([ln for ln in out.splitlines()
                             if ln.startswith("%s:%d:" % (conf, line)) and
                             word in ln], (line, word, out))
        good = self.write("good.conf", """collector: {
  listen = [ "127.0.0.1:%d" ];
  data_dir = "%s";
  tls = false;
  handshakes_per_peer = 4; http_connections_per_peer = 8;
  fd_reserve = 100; user = "nobody";
  agents = ( { id = "test"; } );
};
""" % (free_port(), os.path.join(self.tmp, "data")))
        r = subprocess.run([fmtest.COLLECTOR, "-n", "-f", good],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to drop it")
    def test_collector_drops_root_after_binding(self):
        os.chmod(self.tmp, 0o755)
        coll = self.start_collector(extra='user = "nobody";')
        with open("/proc/%d/status" % coll.pid) as f:
            status = dict(ln.split(":", 1) for ln in f.read().splitlines())
        nobody = 65534
        self.assertEqual([int(x) for x in status["Uid"].split()],
                         [nobody] * 4)
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        self.assertEqual(int(status["CapEff"], 16), 0)
        self.assertEqual(os.stat(self.data_dir).st_uid, nobody)
        # It still writes: an agent's results reach the journal and RRD.
        self.start_agent(devices(self.http_port))
        wait_for(lambda: (self.check("d1", "tcp") or {}).get("state") ==
                 "up", timeout=30, what="results applied as nobody")
        wait_for(lambda: self.stats()["rrd"]["files_created"] > 0 and
                 self.stats()["journal"]["records"] > 0, timeout=30,
                 what="journal and RRD written as nobody")
        self.assertEqual(self.stats()["journal"]["write_errors"], 0)
        self.assertEqual(self.stats()["rrd"]["errors"], 0)


if __name__ == "__main__":
    unittest.main()
