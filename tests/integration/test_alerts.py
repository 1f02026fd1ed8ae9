# Alert delivery end to end: build/test-alertd (the real collector/alert*.c
# and outbox.c on an event loop) against Debian's aiosmtpd as the mail
# server and tests/lib/smsgw.py as the SMS gateways and webhook, which
# verify every request signature.  Everything listens on 127.0.0.1.
# No wall-clock assertion: only bounded waits for outcomes.

import email
import email.policy
import json
import os
import subprocess
import time

from fmtest import BUILD, FacmonTestCase, Mailbox, free_port, wait_for
import smsgw

ALERTD = os.path.join(BUILD, "test-alertd")

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
except ImportError:        # make deps installs python3-aiosmtpd
    Controller = None

EVIL = "电梯\r\nBcc: victim@example.org\r\n<script>alert(1)</script> ${key}"


class AlertTest(FacmonTestCase):

    def setUp(self):
        super().setUp()
        if Controller is None:
            self.skipTest("python3-aiosmtpd not installed")
        self.gw = smsgw.Gateway()
        self.addCleanup(self.gw.close)
        self.smtp_port = free_port()
        self.mail = Mailbox()
        self.ctl = None
        self.data = os.path.join(self.tmp, "data")
        self.spool = os.path.join(self.tmp, "gammu-outbox")
        os.makedirs(self.spool)

    def start_smtp(self, **kw):
        self.ctl = Controller(self.mail, hostname="127.0.0.1",
                              port=self.smtp_port, **kw)
        self.ctl.start()
        self.addCleanup(self.stop_smtp)

    def stop_smtp(self):
        if self.ctl is not None:
            self.ctl.stop()
            self.ctl = None

    def conf(self, deliver, smtp_extra='tls = "none";', ali_secret=None):
        return self.write("alerts.conf", """
alerts: {
  retry: { first = "200ms"; max = "500ms"; give_up_after = "1h"; };
  channels = (
    { name = "mail"; type = "smtp"; host = "127.0.0.1"; port = %d;
      from = "facmon@example.org"; timeout = "1500ms"; %s },
    { name = "gsm"; type = "gammu"; spool_dir = "%s"; },
    { name = "aliyun"; type = "aliyun"; url = "%s";
      access_key_id = "ali-id"; access_key_secret = "%s";
      sign_name = "facmon"; template = "SMS_1";
      variables = [ "name", "check", "duration", "cause" ]; timeout = "2s"; },
    { name = "tencent"; type = "tencent"; url = "%s";
      secret_id = "tc-id"; secret_key = "tc-secret"; app_id = "1400000000";
      sign_name = "facmon"; template = "100"; timeout = "2s";
      variables = [ "name", "check", "duration" ]; },
    { name = "hook"; type = "webhook"; url = "%s"; timeout = "2s"; }
  );
  recipients = ( { name = "duty"; email = "duty@example.org";
                   phone = "+8613800000000"; } );
  deliver = ( %s );
};
""" % (self.smtp_port, smtp_extra, self.spool, self.gw.url("/aliyun"),
            ali_secret or "ali-secret", self.gw.url("/tencent"),
            self.gw.url("/hook"), deliver))

    def alerts(self, *items):
        out = []
        for i, (key, name) in enumerate(items):
            out.append({"key": key, "kind": "down", "device_id": "ups%d" % i,
                        "device_name": name, "check": "ping",
                        "cause": "探测超时 see http://192.168.7.7/x",
                        "since_ms": 1700000000000, "duration_ms": 300000,
                        "link": "http://127.0.0.1:8080/#/device/ups%d" % i})
        return self.write("alerts.json", json.dumps(out))

    def run_alertd(self, conf, alerts, name="alertd"):
        self.status = os.path.join(self.tmp, "status.json")
        return self.start([ALERTD, "-f", conf, "-D", self.data, "-s", alerts,
                           "-o", self.status], name)

    def outbox(self):
        with open(self.status) as f:
            return json.load(f)

    def wait_state(self, did, state, timeout=20):
        def ok():
            for d in self.outbox()["deliveries"]:
                if d["id"] == did and d["state"] == state:
                    return d
            return None
        try:
            return wait_for(ok, timeout=timeout, what="%s %s" % (did, state))
        except AssertionError:
            self.dump_logs()
            raise

    # ------------------------------------------------------------------

    def test_mail_content_and_injection(self):
        self.start_smtp()
        p = self.run_alertd(self.conf('["mail"]'),
                            self.alerts(("k1", "一楼" + EVIL)))
        self.wait_state("k1.duty.0", "sent")
        self.assertEqual(len(self.mail.msgs), 1)
        m = email.message_from_bytes(self.mail.msgs[0],
                                     policy=email.policy.default)
        subj = str(m["Subject"])
        self.assertIn("故障", subj)
        self.assertIn("一楼电梯", subj)
        self.assertNotIn("\n", subj)
        self.assertIsNone(m["Bcc"])
        self.assertIn("k1.duty.0@", m["Message-ID"])
        self.assertEqual(m["X-Facmon-Key"], "k1")
        self.assertEqual(m.get_content_type(), "multipart/alternative")
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        self.assertIn("探测超时", text)
        self.assertIn("5分钟", text)
        self.assertIn("http://127.0.0.1:8080/#/device/ups0", text)
        self.assertNotIn("<script>", html)
        self.assertIn("&lt;script&gt;", html)
        self.assertIn('href="http://127.0.0.1:8080/#/device/ups0"', html)
        raw_headers = self.mail.msgs[0].split(b"\r\n\r\n", 1)[0]
        self.assertNotIn(b"victim", raw_headers)
        p.stop()

    def test_mail_tempfail_and_stall_retried_once(self):
        self.mail.tempfail = 2
        self.mail.stall = 1
        self.start_smtp()
        self.run_alertd(self.conf('["mail"]'), self.alerts(("k2", "UPS-2")))
        d = self.wait_state("k2.duty.0", "sent", timeout=40)
        self.assertGreaterEqual(d["total_attempts"], 4)
        time.sleep(1)
        self.assertEqual(len(self.mail.msgs), 1)

    def test_mail_refused_escalates_and_health(self):
        self.mail.refuse = True
        self.start_smtp()
        self.run_alertd(self.conf('["mail", "hook"]'),
                        self.alerts(("k3", "HVAC <1>")))
        d = self.wait_state("k3.duty.0", "sent")
        self.assertEqual(d["sent_by"], "hook")
        self.assertIn("mail: smtp 550", d["history"])
        # The health alert about the mail channel went out by the hook.
        wait_for(lambda: any(r["body"]["text"]["content"].find("mail") >= 0
                             and "系统告警" in r["body"]["text"]["content"]
                             for p, r in self.gw.received if p == "/hook"),
                 timeout=20, what="health alert by webhook")
        keys = [r["key"] for p, r in self.gw.received if p == "/hook"]
        self.assertIn("k3.duty.0", keys)
        for p, r in self.gw.received:
            self.assertNotIn("<", r["raw"])     # JSON-escaped
        self.assertEqual(len(self.mail.msgs), 0)

    def test_sms_gateways_busy_auth_failover(self):
        self.gw.script["/aliyun"] = ["busy", "http503"]
        p = self.run_alertd(self.conf('["aliyun"]'),
                            self.alerts(("k4", "电梯 http://evil.example/a "
                                                "10.1.2.3 ${code}")))
        d = self.wait_state("k4.duty.0", "sent")
        self.assertEqual(d["total_attempts"], 3)
        ali = [r for path, r in self.gw.received if path == "/aliyun"]
        self.assertEqual(len(ali), 1)
        self.assertEqual(ali[0]["OutId"], "k4.duty.0")
        self.assertEqual(ali[0]["PhoneNumbers"], "13800000000")
        tp = json.loads(ali[0]["TemplateParam"])
        for v in tp.values():
            self.assertNotRegex(v, r"https?:|evil|\d+\.\d+\.\d+\.\d+|[${}]")
            self.assertLessEqual(len(v), 20)
        self.assertIn("电梯", tp["name"])
        p.stop()

        # Auth failure: no retry, next channel, whose TC3 signature the
        # gateway checks; a health alert goes by another channel.
        self.gw.received.clear()
        self.gw.script["/aliyun"] = ["auth"]
        self.run_alertd(self.conf('["aliyun", "tencent", "gsm"]'),
                        self.alerts(("k5", "UPS 192.168.1.2")), name="b")
        d = self.wait_state("k5.duty.0", "sent")
        self.assertEqual(d["sent_by"], "tencent")
        self.assertIn("InvalidAccessKeyId", d["history"])
        tc = [r for path, r in self.gw.received if path == "/tencent"]
        self.assertEqual(tc[0]["SessionContext"], "k5.duty.0")
        self.assertEqual(tc[0]["PhoneNumberSet"], ["+8613800000000"])
        self.assertNotIn("192", json.dumps(tc[0]["TemplateParamSet"]))
        wait_for(lambda: any(r.get("SessionContext", "").startswith(
            "health.aliyun.") for path, r in self.gw.received
            if path == "/tencent"), timeout=20, what="health alert")
        n = len([1 for path, mode, code, ok in self.gw.requests
                 if path == "/aliyun" and mode == "auth"])
        self.assertEqual(n, 1)      # permanent: tried once

    def test_bad_signature_is_refused(self):
        # A wrong secret: the gateway's own verifier refuses it.
        self.run_alertd(self.conf('["aliyun", "hook"]', ali_secret="wrong"),
                        self.alerts(("k6", "UPS")))
        d = self.wait_state("k6.duty.0", "sent")
        self.assertEqual(d["sent_by"], "hook")
        self.assertIn("SignatureDoesNotMatch", d["history"])

    def test_gammu_spool_file(self):
        self.run_alertd(self.conf('["gsm"]'),
                        self.alerts(("k7", "一楼大厅东侧电梯一号机控制柜通信"
                                           "模块与楼宇自控系统之间的连接\n中断")))
        self.wait_state("k7.duty.0", "sent")
        names = [n for n in os.listdir(self.spool) if not n.startswith(".")]
        self.assertEqual(len(names), 1, names)
        self.assertRegex(names[0], r"^OUTA\d{8}_\d{6}_00_\+8613800000000_"
                                   r"[A-Za-z0-9-]+\.txt$")
        with open(os.path.join(self.spool, names[0]), "rb") as f:
            raw = f.read()
        self.assertEqual(raw[:2], b"\xfe\xff")
        text = raw[2:].decode("utf-16-be")
        # No signature configured: none, never a made-up one.
        self.assertTrue(text.startswith("[严重] 故障："), text)
        self.assertLessEqual(len(text), 70)
        self.assertNotIn("\n", text)

    def test_digest_and_sms_rate_limit(self):
        """Alerts for one recipient inside the digest window go as one
        message; over the channel's hourly limit they are held (counted,
        visible), never dropped -- also across a restart."""
        conf = self.write("digest.conf", """
alerts: {
  digest = "3s";
  retry: { first = "200ms"; max = "500ms"; give_up_after = "1h"; };
  channels = ( { name = "gsm"; type = "gammu"; spool_dir = "%s";
                 per_hour = 1; } );
  recipients = ( { name = "duty"; phone = "+8613800000000"; } );
  deliver = ( [ "gsm" ] );
};
""" % self.spool)
        p = self.run_alertd(conf, self.alerts(
            ("d1", "一号电梯"), ("d2", "二号电梯"), ("d3", EVIL),
            ("d4", "四号电梯")))
        for k in ("d1", "d2", "d3", "d4"):
            self.wait_state(k + ".duty.0", "sent")
        names = [n for n in os.listdir(self.spool) if not n.startswith(".")]
        self.assertEqual(len(names), 1, names)
        with open(os.path.join(self.spool, names[0]), "rb") as f:
            text = f.read()[2:].decode("utf-16-be")
        self.assertIn("4条告警", text)
        self.assertNotIn("\n", text)
        self.assertLessEqual(len(text), 70)
        self.assertEqual(self.outbox()["digested"], 3)
        p.stop()
        # Within the hour: the next ones wait for the limit, in view.
        self.run_alertd(conf, self.alerts(("e1", "五号电梯"),
                                          ("e2", "六号电梯")), name="again")

        def held():
            o = self.outbox()
            ds = [d for d in o["deliveries"] if d["key"] in ("e1", "e2")]
            if len(ds) == 2 and all(d["state"] == "pending" and
                                    d["last_error"].startswith("held")
                                    for d in ds):
                return o
            return None
        o = wait_for(held, timeout=20, what="held by the rate limit")
        self.assertGreaterEqual(o["rate_held"], 1)
        time.sleep(1)
        names = [n for n in os.listdir(self.spool) if not n.startswith(".")]
        self.assertEqual(len(names), 1, names)

    def test_digest_keeps_sms_variables_and_webhooks_clean(self):
        """A digest is built from device text: its SMS variables carry no
        link, address or template syntax, its webhook body no CR/LF and
        no second expansion of ${...}."""
        with open(self.conf('["aliyun"], ["hook"]')) as f:
            conf = self.write("digest.conf", f.read().replace(
                "alerts: {", 'alerts: {\n  digest = "3s";', 1))
        self.run_alertd(conf, self.alerts(
            ("g1", EVIL), ("g2", "UPS http://evil.example/a 10.1.2.3 ${code}"),
            ("g3", "三号电梯")))
        for k in ("g1", "g2", "g3"):
            self.wait_state(k + ".duty.0", "sent")
            self.wait_state(k + ".duty.1", "sent")
        ali = [r for path, r in self.gw.received if path == "/aliyun"]
        self.assertEqual(len(ali), 1)
        for v in json.loads(ali[0]["TemplateParam"]).values():
            self.assertNotRegex(v, r"https?:|evil|\d+\.\d+\.\d+\.\d+|[${}\r\n]")
            self.assertLessEqual(len(v), 20)
        hook = [r for path, r in self.gw.received if path == "/hook"]
        self.assertEqual(len(hook), 1)
        text = json.dumps(hook[0]["body"], ensure_ascii=False)
        self.assertNotIn("\\n", text)
        self.assertNotIn("\\r", text)
        self.assertIn("3条告警", text)
        self.assertNotRegex(hook[0]["raw"], r"\\[rn]|[\r\n]")

    def test_restart_after_kill9(self):
        # The mail server is down: deliveries wait in the outbox.
        p = self.run_alertd(self.conf('["mail"]'),
                            self.alerts(("k8", "UPS-8"), ("k9", "UPS-9")))
        wait_for(lambda: len(os.listdir(os.path.join(
            self.data, "alerts", "outbox"))) == 2 and
            all(d["total_attempts"] >= 1
                for d in self.outbox()["deliveries"]),
            timeout=20, what="two deliveries retrying")
        p.kill()
        self.start_smtp()
        # Restart, and the collector submits the same alerts again: the
        # keys make the second submission a no-op.
        self.run_alertd(self.conf('["mail"]'), self.status and
                        os.path.join(self.tmp, "alerts.json"), name="again")
        self.wait_state("k8.duty.0", "sent")
        self.wait_state("k9.duty.0", "sent")
        time.sleep(1)
        ids = sorted(str(email.message_from_bytes(m)["Message-ID"])
                     for m in self.mail.msgs)
        self.assertEqual(len(ids), 2, ids)
        self.assertEqual(len(set(ids)), 2)
        self.assertEqual(os.listdir(os.path.join(self.data, "alerts",
                                                 "outbox")), [])

    def test_starttls_login_and_alert_test_mode(self):
        import ssl
        cert = os.path.join(self.tmp, "cert.pem")
        key = os.path.join(self.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                        "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        logins = []

        def auth(server, session, envelope, mechanism, data):
            ok = data.login == b"facmon" and data.password == b"s3cret"
            logins.append(ok)
            return AuthResult(success=ok)
        self.start_smtp(tls_context=ctx, require_starttls=True,
                        authenticator=auth, auth_require_tls=True)
        conf = self.conf('["mail", "gsm"]', smtp_extra=(
            'tls = "starttls"; ca_file = "%s"; username = "facmon"; '
            'password = "s3cret";' % cert))
        r = subprocess.run([ALERTD, "-f", conf, "-t", "duty"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"mail\s+OK")
        self.assertRegex(r.stdout, r"gsm\s+OK")
        self.assertEqual(logins, [True])
        self.assertEqual(len(self.mail.msgs), 1)
        m = email.message_from_bytes(self.mail.msgs[0],
                                     policy=email.policy.default)
        self.assertIn("测试", str(m["Subject"]))
        # A wrong password: reported as a failure, exit status 1 (libcurl
        # maps a 535 to a permanent failure; with aiosmtpd the refused
        # login may also end in a timeout, so only failure is asserted).
        conf = self.conf('["mail"]', smtp_extra=(
            'tls = "starttls"; ca_file = "%s"; username = "facmon"; '
            'password = "wrong";' % cert))
        r = subprocess.run([ALERTD, "-f", conf, "-t", "duty"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("FAILURE", r.stdout)
