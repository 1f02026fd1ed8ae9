# The web console's API against a real collector and agent: login,
# sessions, CSRF, the failed-login limit, outage acknowledgement, class
# and notes (written to the outage journal), maintenance windows made,
# edited, cancelled and kept across a restart, the status wall, RRD
# series, /metrics, the audit log, and bad input of every kind.

import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from fmtest import (COLLECTOR, ROOT, FacmonTestCase, free_port,  # noqa
                    wait_for)
from webclient import WebClient  # noqa

PASSWORD = "correct horse battery"
_hash = None


def pw_hash():
    global _hash
    if _hash is None:
        r = subprocess.run([COLLECTOR, "hashpw"], input=PASSWORD + "\n",
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        _hash = r.stdout.strip()
    return _hash


def web_group(public=True, failures=5):
    return """
web: {
  public_wall = %s;
  users = ( { name = "op"; password_hash = "%s"; },
            { name = "boss"; password_hash = "%s"; } );
  max_failures = %d;
  failure_window = "10m";
};
""" % ("true" if public else "false", pw_hash(), pw_hash(), failures)


class WebAPI(FacmonTestCase):
    def setUp(self):
        super().setUp()
        self.hport, self.base = self.start_httpd()
        self.set(200)

    def set(self, status):
        urllib.request.urlopen(self.base + "/set?path=/svc&status=%d&body=x"
                               % status, timeout=2).read()

    def up(self, public=True, failures=5, agent=True):
        self.coll = self.start_collector(
            extra="confirm = 2;", root_extra=web_group(public, failures))
        if agent:
            self.start_agent("""
{ id = "web"; name = "12345 热线平台"; class = "web-system";
  group = "systems"; address = "127.0.0.1";
  checks = ( { id = "http"; type = "http"; interval = 1; timeout = 0.5;
               url = "http://127.0.0.1:%d/svc"; } ); }
""" % self.hport)
        self.c = WebClient(self.http_port)

    def audit(self):
        path = os.path.join(self.data_dir, "audit.log")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return [json.loads(x) for x in f]

    def open_outage(self):
        def find():
            st, o = self.c.json("GET", "/api/v1/outages?open=1&device=web")
            return o["outages"][0] if st == 200 and o["outages"] else None
        return wait_for(find, timeout=40, what="an open outage of web")

    # --- login and sessions ---------------------------------------------

    def test_login_session_logout(self):
        self.up(agent=False)
        st, o = self.c.json("GET", "/api/v1/session")
        self.assertEqual(st, 200)
        self.assertIsNone(o["user"])
        self.assertTrue(o["public_wall"])
        self.assertEqual(o["timezone"], "Asia/Shanghai")
        st, h, _ = self.c.login("op", "wrong password")
        self.assertEqual(st, 401)
        self.assertIsNone(h.get("Set-Cookie"))
        st, h, body = self.c.login("op", PASSWORD)
        self.assertEqual(st, 200, body)
        cookie = h["Set-Cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertIn("Path=/", cookie)
        self.assertNotIn("Secure", cookie)
        st, o = self.c.json("GET", "/api/v1/session")
        self.assertEqual((o["user"], o["csrf"]), ("op", self.c.csrf))
        # Logging out needs the token too, then the session is gone.
        st, o = self.c.json("POST", "/api/v1/logout", {}, csrf=False)
        self.assertEqual(st, 403)
        st, o = self.c.json("POST", "/api/v1/logout", {})
        self.assertEqual(st, 200)
        st, o = self.c.json("GET", "/api/v1/session")
        self.assertIsNone(o["user"])
        st, o = self.c.json("POST", "/api/v1/logout", {})
        self.assertEqual(st, 401)
        acts = [a["action"] for a in self.audit()]
        self.assertEqual(acts, ["login", "logout"])
        # Login takes only POST with a JSON body.
        st, o = self.c.json("GET", "/api/v1/login")
        self.assertEqual(st, 405)
        st, h, _ = self.c.request("POST", "/api/v1/login",
                                  raw=b"user=op&password=x",
                                  ctype="application/x-www-form-urlencoded")
        self.assertEqual(st, 415)
        st, o = self.c.json("POST", "/api/v1/login", {"user": "op"})
        self.assertEqual(st, 400)
        self.assertIn("password", o["error"])
        st, o = self.c.json("POST", "/api/v1/login",
                            {"user": 5, "password": "x"})
        self.assertEqual(st, 400)

    def test_failed_logins_limited_and_logged(self):
        self.up(agent=False, failures=3)
        for i in range(3):
            st, _, _ = self.c.login("op", "nope %d" % i)
            self.assertEqual(st, 401)
        # Now even the right password waits.
        st, h, body = self.c.login("op", PASSWORD)
        self.assertEqual(st, 429, body)
        self.assertGreater(int(h["Retry-After"]), 0)
        self.assertIn("error", json.loads(body))
        log = self.coll.output()
        self.assertIn("failed login for 'op' from 127.0.0.1", log)
        self.assertIn("refused: 3 failures", log)
        # Unknown names count the same as wrong passwords.
        st, _, _ = self.c.login("nobody", "x")
        self.assertEqual(st, 429)

    def test_abandoned_logins(self):
        self.up(agent=False)
        # A client that leaves before its password is checked: the
        # answer has nowhere to go, and the collector carries on.
        other = WebClient(self.http_port)
        body = json.dumps({"user": "op", "password": PASSWORD}).encode()
        for i in range(5):
            sk = socket.create_connection(("127.0.0.1", self.http_port))
            sk.sendall(b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/json\r\n"
                       b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            sk.close()
        wait_for(lambda: "logged in from" in self.coll.output(),
                 timeout=15, what="the abandoned logins checked")
        st, _, _ = other.login("op", PASSWORD)
        self.assertEqual(st, 200)
        self.assertTrue(self.coll.alive())

    def test_changes_need_session_and_csrf(self):
        self.up(agent=False)
        body = {"start_ms": int(time.time() * 1000), "duration_ms": 60000,
                "reason": "x", "devices": ["web"]}
        st, o = self.c.json("POST", "/api/v1/maintenance", body)
        self.assertEqual(st, 401)
        self.assertIn("log in", o["error"])
        self.c.login("op", PASSWORD)
        st, o = self.c.json("POST", "/api/v1/maintenance", body, csrf=False)
        self.assertEqual(st, 403)
        st, o = self.c.json("POST", "/api/v1/maintenance", body,
                            headers={"X-CSRF-Token": "0" * 64})
        self.assertEqual(st, 403)
        # Another session's token is no good either.
        other = WebClient(self.http_port)
        other.login("boss", PASSWORD)
        st, o = self.c.json("POST", "/api/v1/maintenance", body,
                            headers={"X-CSRF-Token": other.csrf})
        self.assertEqual(st, 403)
        st, o = self.c.json("POST", "/api/v1/maintenance", body)
        self.assertEqual(st, 201, o)
        self.assertIn("without a valid CSRF token",
                      self.coll.output())
        # A made-up cookie is no session.
        fake = WebClient(self.http_port)
        fake.cookie = "facmon_session=" + "a" * 64
        fake.csrf = "a" * 64
        st, o = fake.json("POST", "/api/v1/maintenance", body)
        self.assertEqual(st, 401)

    def test_private_wall(self):
        # A reload turns the public wall private.
        self.up(agent=False)
        conf = os.path.join(self.tmp, "collector.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace("public_wall = true", "public_wall = false"))
        self.coll.signal(signal.SIGHUP)
        wait_for(lambda: self.c.json("GET", "/api/v1/devices")[0] == 401,
                 timeout=15, what="the wall private after the reload")
        for path in ("/api/v1/devices", "/api/v1/wall", "/api/v1/outages",
                     "/metrics", "/api/v1/availability?month=2026-11"):
            st, o = self.c.json("GET", path)
            self.assertEqual(st, 401, path)
            self.assertIn("error", o)
        # The page itself loads, to show the login form.
        st, h, body = self.c.request("GET", "/")
        self.assertEqual(st, 200)
        # So does an alert's acknowledgement link: its token is checked
        # (a forged one: 403, as a page) before the login it asks for.
        st, h, body = self.c.request("GET", "/ack?t=web~~1~2~duty~" +
                                     "0" * 32)
        self.assertEqual(st, 403)
        self.assertIn("链接无效", body.decode() if isinstance(body, bytes)
                      else body)
        st, o = self.c.json("GET", "/api/v1/session")
        self.assertFalse(o["public_wall"])
        self.c.login("op", PASSWORD)
        st, o = self.c.json("GET", "/api/v1/devices")
        self.assertEqual(st, 200)
        boss = WebClient(self.http_port)
        boss.login("boss", PASSWORD)
        # A reload that removes a user ends that user's session only.
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text.replace('{ name = "boss";', '{ name = "boss2";'))
        self.coll.signal(signal.SIGHUP)
        wait_for(lambda: boss.json("GET", "/api/v1/devices")[0] == 401,
                 timeout=15, what="boss logged out by the reload")
        st, o = self.c.json("GET", "/api/v1/devices")
        self.assertEqual(st, 200)

    # --- outages ------------------------------------------------------------

    def test_cause_text(self):
        """Why a device fails, in the sentence the alerts say, on the
        outage, the device's check and the wall tile; the agent's raw
        message stays beside it for engineers."""
        self.up()
        self.wait_check("web", "http", "up")
        st, d = self.c.json("GET", "/api/v1/devices/web")
        self.assertIsNone(d["checks"][0]["cause_text"])
        self.set(503)
        o = self.open_outage()
        self.assertIn("503", o["cause"])
        self.assertEqual(o["cause_text"], "返回异常状态码 503")

        def wall_web():
            st, wall = self.c.json("GET", "/api/v1/wall")
            w = [x for x in wall["devices"] if x["id"] == "web"]
            return w[0] if w and w[0]["state"] == "down" else None
        w = wait_for(wall_web, timeout=20, what="web down on the wall")
        self.assertEqual(w["cause_text"], "返回异常状态码 503")
        self.assertIn("503", w["message"])
        self.assertEqual([i["cause_text"] for i in
                          self.c.json("GET", "/api/v1/wall")[1]["incidents"]
                          if i["device"] == "web"], ["返回异常状态码 503"])
        st, d = self.c.json("GET", "/api/v1/devices/web")
        c = d["checks"][0]
        self.assertEqual(c["cause_text"], "返回异常状态码 503")
        self.assertNotEqual(c["message"], c["cause_text"])

    def test_ack_classify_note(self):
        self.up()
        self.wait_check("web", "http", "up")
        self.set(503)
        o = self.open_outage()
        self.assertIsNone(o["acked_ms"])
        self.assertEqual(o["class"], "unplanned")
        self.assertEqual(o["name"], "12345 热线平台")
        key = {"device": "web", "check": "", "start_ms": o["start_ms"]}
        st, r = self.c.json("POST", "/api/v1/outages/ack",
                            dict(key, comment="正在处理"))
        self.assertEqual(st, 401)
        self.c.login("op", PASSWORD)
        st, r = self.c.json("POST", "/api/v1/outages/ack",
                            dict(key, comment="正在处理"))
        self.assertEqual(st, 200, r)
        self.assertEqual(r["acked_by"], "op")
        self.assertIsNotNone(r["acked_ms"])
        st, r = self.c.json("POST", "/api/v1/outages/classify",
                            dict(key, **{"class": "external",
                                         "reason": "运营商线路中断"}))
        self.assertEqual(st, 200, r)
        self.assertEqual((r["class"], r["classified_by"]),
                         ("external", "op"))
        st, r = self.c.json("POST", "/api/v1/outages/note",
                            dict(key, note="更换了光模块"))
        self.assertEqual(st, 200, r)
        self.assertEqual(r["note"], "更换了光模块")
        # Bad input: every one a JSON error with its status.
        ok = dict(key, **{"class": "planned", "reason": "x"})
        for body, code in (
                (dict(ok, **{"class": "nobody's"}), 400),
                (dict(key, **{"class": "planned"}), 400),
                (dict(ok, start_ms=1), 404),
                (dict(ok, device="nope"), 404),
                (dict(ok, device="../etc"), 400),
                (dict(ok, start_ms="yesterday"), 400),
                ({"check": ""}, 400)):
            st, r = self.c.json("POST", "/api/v1/outages/classify", body)
            self.assertEqual(st, code, (body, r))
            self.assertIn("error", r)
        st, r = self.c.json("POST", "/api/v1/outages/note",
                            dict(key, note=""))
        self.assertEqual(st, 400)
        st, r = self.c.json("POST", "/api/v1/outages/ack",
                            dict(key, comment="x" * 300))
        self.assertEqual(st, 400)
        st, r = self.c.json("POST", "/api/v1/outages/delete", key)
        self.assertEqual(st, 404)
        # The listing shows the annotations, and the journal keeps them:
        # the availability API reads the outage as external.
        st, lst = self.c.json("GET", "/api/v1/outages?device=web")
        self.assertEqual(lst["outages"][0]["class"], "external")
        self.assertEqual(lst["outages"][0]["acked_by"], "op")
        acts = [a["action"] for a in self.audit()]
        self.assertEqual(acts, ["login", "ack", "classify", "note"])
        self.assertEqual(self.audit()[2]["detail"]["class"], "external")
        self.set(200)
        self.wait_check("web", "http", "up")
        st, lst = self.c.json("GET", "/api/v1/outages?open=0&device=web")
        self.assertFalse(lst["outages"][0]["open"])
        st, lst = self.c.json("GET", "/api/v1/outages?open=1")
        self.assertEqual(lst["outages"], [])
        month = time.strftime("%Y-%m", time.gmtime(time.time() + 8 * 3600))
        st, av = self.c.json("GET", "/api/v1/availability?month=%s"
                             "&devices=1" % month)
        self.assertEqual(st, 200)
        web = [d for d in av["devices"] if d["id"] == "web"][0]
        self.assertGreater(web["external_ms"], 0)
        # Filters that make no sense.
        for q in ("open=2", "limit=0", "limit=x", "from=x", "from=10&to=5",
                  "device=a/b", "group=%00"):
            st, r = self.c.json("GET", "/api/v1/outages?" + q)
            self.assertEqual(st, 400, q)
            self.assertIn("error", r)

    # --- maintenance ----------------------------------------------------

    def test_maintenance_windows(self):
        self.up()
        self.wait_check("web", "http", "up")
        self.c.login("op", PASSWORD)
        now = int(time.time() * 1000)
        st, w = self.c.json("POST", "/api/v1/maintenance", {
            "start_ms": now - 1000, "duration_ms": 3600000,
            "reason": "更换UPS电池", "devices": ["web"]})
        self.assertEqual(st, 201, w)
        wid = w["id"]
        self.assertEqual((w["created_by"], w["source"]), ("op", "api"))
        st, lst = self.c.json("GET", "/api/v1/maintenance")
        mine = [x for x in lst["windows"] if x["id"] == wid][0]
        self.assertTrue(mine["active"])

        def in_maint():
            st, wall = self.c.json("GET", "/api/v1/wall")
            d = [x for x in wall["devices"] if x["id"] == "web"]
            return d and d[0]["maintenance"]
        wait_for(in_maint, timeout=10, what="web in maintenance on the wall")
        # Edit: later and shorter; then cancel.
        st, w = self.c.json("PUT", "/api/v1/maintenance/" + wid, {
            "start_ms": now + 86400000, "duration_ms": 600000})
        self.assertEqual(st, 200, w)
        self.assertEqual(w["end_ms"] - w["start_ms"], 600000)
        self.assertEqual(w["changed_by"], "op")
        self.assertEqual(w["reason"], "更换UPS电池")
        st, wall = self.c.json("GET", "/api/v1/wall")
        self.assertFalse([x for x in wall["devices"]
                          if x["id"] == "web"][0]["maintenance"])
        # Bad windows.
        for body in ({"start_ms": now, "reason": "x", "devices": ["web"]},
                     {"start_ms": now, "duration_ms": 1000, "reason": "x"},
                     {"start_ms": now, "end_ms": now - 1, "reason": "x",
                      "devices": ["web"]},
                     {"start_ms": now, "duration_ms": 1000, "reason": "x",
                      "devices": ["a b"]},
                     {"start_ms": now, "duration_ms": 1000, "reason": 7,
                      "devices": ["web"]},
                     {"start_ms": -5, "duration_ms": 1000, "reason": "x",
                      "devices": ["web"]}):
            st, r = self.c.json("POST", "/api/v1/maintenance", body)
            self.assertEqual(st, 400, (body, r))
            self.assertIn("error", r)
        st, r = self.c.json("PUT", "/api/v1/maintenance/nope", {})
        self.assertEqual(st, 404)
        st, r = self.c.json("PATCH", "/api/v1/maintenance/" + wid, {})
        self.assertEqual(st, 405)
        st, w = self.c.json("DELETE", "/api/v1/maintenance/" + wid, {})
        self.assertEqual(st, 200)
        self.assertTrue(w["cancelled"])
        acts = [a["action"] for a in self.audit()]
        self.assertEqual(acts, ["login", "maintenance-create",
                                "maintenance-edit", "maintenance-cancel"])
        # Kept in the data directory, written whole, across a restart.
        path = os.path.join(self.data_dir, "maintenance.json")
        with open(path, encoding="utf-8") as f:
            saved = json.load(f)
        self.assertEqual(saved["windows"][0]["id"], wid)
        self.assertFalse(os.path.exists(path + ".tmp"))
        self.coll.stop()
        conf = os.path.join(self.tmp, "collector.conf")
        self.coll = self.start([COLLECTOR, "-d", "-f", conf], "collector2")
        wait_for(lambda: self.c.json("GET", "/api/v1/maintenance")[0] == 200,
                 timeout=15, what="collector back")
        st, lst = self.c.json("GET", "/api/v1/maintenance")
        mine = [x for x in lst["windows"] if x["id"] == wid][0]
        self.assertTrue(mine["cancelled"])
        # The new collector does not know the old session.
        st, r = self.c.json("POST", "/api/v1/maintenance", {})
        self.assertEqual(st, 401)
        # A recurring window: every Sunday at 02:00 for two hours.
        import datetime
        import zoneinfo
        self.c.login("op", PASSWORD)
        st, w = self.c.json("POST", "/api/v1/maintenance", {
            "repeat": "weekly", "at": "Sun 02:00", "duration_ms": 7200000,
            "reason": "周日例行维护", "devices": ["web"]})
        self.assertEqual(st, 201, w)
        self.assertEqual((w["repeat"], w["at"], w["duration_ms"]),
                         ("weekly", "Sun 02:00", 7200000))
        st, lst = self.c.json("GET", "/api/v1/maintenance")
        mine = [x for x in lst["windows"] if x["id"] == w["id"]][0]
        nxt = datetime.datetime.fromtimestamp(
            mine["next_start_ms"] / 1000, zoneinfo.ZoneInfo("Asia/Shanghai"))
        self.assertEqual((nxt.weekday(), nxt.hour, nxt.minute), (6, 2, 0))
        self.assertEqual(mine["next_end_ms"] - mine["next_start_ms"],
                         7200000)
        # The calendar's question: the occurrences in a range, every
        # Sunday 02:00 of four weeks; the cancelled one has none.
        frm = mine["next_start_ms"] - 3600000
        st, lst = self.c.json("GET", "/api/v1/maintenance?from=%d&to=%d" %
                              (frm, frm + 28 * 86400000))
        self.assertEqual(st, 200)
        occ = [x for x in lst["windows"] if x["id"] == w["id"]][0][
            "occurrences"]
        self.assertEqual([b - a for a, b in occ], [7200000] * 4)
        self.assertEqual([a - occ[0][0] for a, b in occ],
                         [k * 7 * 86400000 for k in range(4)])
        self.assertEqual([x for x in lst["windows"] if x["id"] == wid][0][
            "occurrences"], [])
        for q in ("from=5", "from=10&to=5", "from=0&to=%d" % (94 * 86400000),
                  "from=x&to=9"):
            self.assertEqual(self.c.json("GET", "/api/v1/maintenance?" +
                                         q)[0], 400, q)
        for rep, at, dur in (("hourly", "x", 600000),
                             ("weekly", "Funday 02:00", 600000),
                             ("cron", "61 * * * *", 600000),
                             ("monthly", "1 09:00", 1000),
                             ("weekly", None, 600000)):
            st, r = self.c.json("POST", "/api/v1/maintenance", {
                "repeat": rep, "at": at, "duration_ms": dur,
                "reason": "x", "devices": ["web"]})
            self.assertEqual(st, 400, (rep, at, r))

    # --- read-only endpoints -----------------------------------------------

    def test_wall_series_rrd_metrics(self):
        self.up()
        self.wait_check("web", "http", "up")
        st, wall = self.c.json("GET", "/api/v1/wall")
        self.assertEqual(st, 200)
        d = [x for x in wall["devices"] if x["id"] == "web"][0]
        self.assertEqual((d["state"], d["group"], d["name"]),
                         ("up", "systems", "12345 热线平台"))
        self.assertEqual(wall["timezone"], "Asia/Shanghai")
        self.assertIn("groups", wall["availability"])

        def series():
            st, s = self.c.json("GET", "/api/v1/series/web")
            return st == 200 and "up" in s["series"].get("http", [])
        wait_for(series, timeout=30, what="the up series on disk")

        def points():
            st, r = self.c.json("GET", "/api/v1/rrd?device=web&check=http"
                                "&series=up&period=hour")
            self.assertEqual(st, 200, r)
            return [p for p in r["points"] if p[1] is not None]
        pts = wait_for(points, timeout=40, what="RRD points")
        self.assertEqual(pts[-1][1], 1.0)
        st, r = self.c.json("GET", "/api/v1/rrd?device=web&check=http"
                            "&series=up&period=week")
        self.assertEqual((st, r["period"]), (200, "week"))
        for q in ("device=web&check=http&series=up&period=fortnight",
                  "device=web&check=http&series=../x",
                  "device=web&check=http", "device=../x&check=a&series=up"):
            st, r = self.c.json("GET", "/api/v1/rrd?" + q)
            self.assertEqual(st, 400, q)
        st, r = self.c.json("GET", "/api/v1/rrd?device=web&check=http"
                            "&series=nothing")
        self.assertEqual(st, 404)
        st, r = self.c.json("GET", "/api/v1/series/nope")
        self.assertEqual(st, 404)
        st, h, body = self.c.request("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertTrue(h["Content-Type"].startswith("text/plain; "
                                                     "version=0.0.4"))
        text = body.decode()
        self.assertIn('probe_success{device="web",check="http",'
                      'group="systems",class="web-system"} 1', text)
        self.assertIn("# TYPE probe_duration_seconds gauge", text)
        self.assertIn('facmon_device_up{device="web"', text)

    def test_bad_requests(self):
        self.up(agent=False)
        self.c.login("op", PASSWORD)
        # Over the body limit: refused before any handler runs.
        st, h, _ = self.c.request("POST", "/api/v1/maintenance",
                                  raw=b"{" + b" " * (70 * 1024) + b"}")
        self.assertEqual(st, 413)
        st, h, _ = self.c.request("GET", "/api/v1/devices",
                                  headers={"X-Big": "x" * (9 * 1024)})
        self.assertIn(st, (400, 413, 431))
        st, o = self.c.json("POST", "/api/v1/maintenance", raw=b"{nope",
                            body=None)
        self.assertEqual(st, 400)
        self.assertIn("JSON", o["error"])
        st, o = self.c.json("POST", "/api/v1/maintenance", raw=b"[1]")
        self.assertEqual(st, 400)
        st, o = self.c.json("POST", "/api/v1/nothing", {})
        self.assertEqual(st, 405)
        st, o = self.c.json("GET", "/api/v1/nothing")
        self.assertEqual(st, 404)
        self.assertIn("error", o)
        st, h, _ = self.c.request("GET", "/")
        self.assertEqual(h["X-Content-Type-Options"], "nosniff")
        csp = h["Content-Security-Policy"]
        self.assertIn("default-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        for p in ("/../etc/passwd", "/%2e%2e/etc/passwd", "/.hidden",
                  "/static/../../etc/passwd"):
            st, h, _ = self.c.request("GET", p)
            self.assertIn(st, (400, 404), p)

    def test_config_errors_and_hashpw(self):
        bad = self.write("bad.conf", """
collector: { listen = [ "127.0.0.1:1" ]; data_dir = "%s"; agents = ();
             tls = false; };
web: {
  public_wall = "yes";
  users = ( { name = "a b"; password_hash = "%s"; },
            { name = "md5"; password_hash = "$1$abc$def"; } );
  users_file = "%s/none";
  colour = 1;
};
""" % (self.tmp, pw_hash(), self.tmp))
        r = subprocess.run([COLLECTOR, "-n", "-f", bad], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        for what in ("bad user name 'a b'", "yescrypt", "users_file",
                     "colour", "public_wall"):
            self.assertIn(what, r.stderr)
        self.assertRegex(r.stderr, r"bad\.conf:\d+: ")
        users = self.write("users", "# operators\nop:%s\nbroken line\n"
                           % pw_hash())
        os.chmod(users, 0o600)   # the collector refuses it readable
        good = self.write("good.conf", """
collector: { listen = [ "127.0.0.1:1" ]; data_dir = "%s"; agents = ();
             tls = false; };
web: { users_file = "%s"; };
""" % (self.tmp, users))
        r = subprocess.run([COLLECTOR, "-n", "-f", good], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("users:3: expected name:hash", r.stderr)
        r = subprocess.run([COLLECTOR, "hashpw"], input="short\n",
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        h1, h2 = pw_hash(), subprocess.run(
            [COLLECTOR, "hashpw"], input=PASSWORD + "\n",
            capture_output=True, text=True, timeout=60).stdout.strip()
        self.assertTrue(h1.startswith("$y$") and h2.startswith("$y$"))
        self.assertNotEqual(h1, h2)     # salted

    def test_openapi_lists_every_endpoint(self):
        """Every path of docs/openapi.yaml is served, and every endpoint
        the collector serves is in it."""
        with open(os.path.join(ROOT, "docs/openapi.yaml"),
                  encoding="utf-8") as f:
            doc = f.read()
        paths = re.findall(r"^  (/\S+):$", doc, flags=re.M)
        self.up()
        self.wait_check("web", "http", "up")
        for p in paths:
            url = p.replace("{id}", "web")
            st, h, body = self.c.request("GET", url)
            if st == 404 and b"no such API endpoint" in body:
                # POST-only: without a session, a 401 says it exists.
                st, h, body = self.c.request("POST", url, {})
            self.assertNotIn(b"no such API endpoint", body, p)
            self.assertNotEqual(st, 404, p)
        # Every route is a row of the one table (collector/http/routes.c).
        with open(os.path.join(ROOT, "collector/http/routes.c"),
                  encoding="utf-8") as f:
            src = f.read()
        served = set(re.findall(r'"(/api/v1/[a-z/]+|/metrics)"', src))
        served |= {"/api/v1/devices", "/api/v1/stats", "/api/v1/events",
                   "/api/v1/availability"}
        for s in served:
            s = s.rstrip("/")
            self.assertTrue(any(p == s or p.startswith(s + "/")
                                for p in paths), s)


class WebHTTPS(FacmonTestCase):
    def test_https_when_a_certificate_is_configured(self):
        cert = os.path.join(self.tmp, "web.pem")
        key = os.path.join(self.tmp, "web.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True,
                       capture_output=True, timeout=60)
        grp = web_group().replace("web: {", 'web: {\n  tls_cert = "%s"; '
                                  'tls_key = "%s";' % (cert, key))
        self.agent_port = free_port()
        self.http_port = free_port()
        self.data_dir = os.path.join(self.tmp, "data")
        conf = self.write("collector.conf", """
collector: { listen = [ "127.0.0.1:%d" ]; http = [ "127.0.0.1:%d" ];
             data_dir = "%s"; web_dir = "%s"; agents = (); tls = false; };
%s
""" % (self.agent_port, self.http_port, self.data_dir,
       os.path.join(ROOT, "web"), grp))
        coll = self.start([COLLECTOR, "-d", "-f", conf], "collector")
        ctx = ssl.create_default_context(cafile=cert)
        c = WebClient(self.http_port, ssl_context=ctx)
        wait_for(lambda: c.json("GET", "/api/v1/session")[0] == 200,
                 timeout=15, what="HTTPS")
        st, h, body = c.login("op", PASSWORD)
        self.assertEqual(st, 200)
        self.assertIn("; Secure", h["Set-Cookie"])
        st, h, body = c.request("GET", "/")
        self.assertEqual(st, 200)
        self.assertIn(b"facmon", body)
        self.assertEqual(h["Strict-Transport-Security"], "max-age=31536000")
        # Plain HTTP on the same port gets no answer.
        plain = WebClient(self.http_port)
        try:
            st, _, _ = plain.request("GET", "/api/v1/session", timeout=5)
        except Exception:
            st = None
        self.assertIsNone(st)
        self.assertIn("HTTPS with", coll.output())
        # A key that does not exist is a config error, file:line.
        bad = self.write("bad.conf", open(conf).read().replace(key,
                                                               key + ".no"))
        r = subprocess.run([COLLECTOR, "-n", "-f", bad], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"bad\.conf:\d+: web: tls_key")


class WebConnections(FacmonTestCase):
    """http_connections bounds the web connections open at once, idle
    keep-alive ones included: at the limit the one idle the longest is
    closed to make room, so a new client is served at once."""

    def test_connection_limit(self):
        import http.client
        self.start_collector(extra="http_connections = 2;")
        port = int(self.api.rsplit(":", 1)[1])
        held = []
        for _ in range(2):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/api/v1/stats")
            r = c.getresponse()
            self.assertEqual(r.status, 200)
            r.read()                    # kept alive: still counted
            held.append(c)
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:80])
        body = json.loads(data.split(b"\r\n\r\n", 1)[1])
        self.assertGreaterEqual(body["http"]["connections_full"], 1)
        self.assertGreaterEqual(body["http"]["connections_evicted"], 1)
        # The oldest idle one was closed under its client.
        held[0].sock.settimeout(5)
        self.assertEqual(held[0].sock.recv(1), b"")
        for c in held:
            c.close()
