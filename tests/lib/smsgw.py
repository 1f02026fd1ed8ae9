# A local stand-in for the SMS gateways and webhooks that facmon's alerts
# talk to: Aliyun Dysmsapi (RPC, HMAC-SHA1 signature), Tencent Cloud SMS
# (TC3-HMAC-SHA256) and a generic webhook.  Every request's signature is
# verified here, independently of the C signer, from the algorithms in
# the providers' documentation; a request with a wrong signature gets the
# provider's auth error.  Answers can be scripted per path: "ok", "busy"
# (provider rate limit), "http503", "auth" (bad key).  Binds 127.0.0.1
# only.  Standard library only.

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def ali_quote(s):
    return urllib.parse.quote(s, safe="-_.~")


def aliyun_sign(method, params, secret):
    canon = "&".join("%s=%s" % (ali_quote(k), ali_quote(v))
                     for k, v in sorted(params.items()))
    sts = "%s&%s&%s" % (method, ali_quote("/"), ali_quote(canon))
    mac = hmac.new((secret + "&").encode(), sts.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def tc3_sign(secret_key, service, host, content_type, payload, ts):
    date = time.strftime("%Y-%m-%d", time.gmtime(ts))
    creq = "POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s" % (
        content_type, host, hashlib.sha256(payload).hexdigest())
    sts = "TC3-HMAC-SHA256\n%d\n%s/%s/tc3_request\n%s" % (
        ts, date, service, hashlib.sha256(creq.encode()).hexdigest())

    def h(k, m):
        return hmac.new(k, m.encode(), hashlib.sha256).digest()
    k = h(h(h(("TC3" + secret_key).encode(), date), service), "tc3_request")
    return date, hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


class Gateway:
    def __init__(self, aliyun_secret="ali-secret", tencent_secret="tc-secret"):
        self.aliyun_secret = aliyun_secret
        self.tencent_secret = tencent_secret
        self.script = {}        # path -> list of answers, then "ok"
        self.received = []      # (path, dict) of accepted messages
        self.requests = []      # (path, verdict) of every request
        self.lock = threading.Lock()
        gw = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                path = self.path.split("?")[0]
                with gw.lock:
                    q = gw.script.get(path, [])
                    mode = q.pop(0) if q else "ok"
                if path == "/aliyun":
                    code, resp, rec = gw.aliyun(body, mode)
                elif path == "/tencent":
                    code, resp, rec = gw.tencent(self.headers, body, mode)
                else:
                    code, resp, rec = gw.hook(self.headers, body, mode)
                with gw.lock:
                    gw.requests.append((path, mode, code, rec is not None))
                    if rec is not None:
                        gw.received.append((path, rec))
                data = json.dumps(resp).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()

    def aliyun(self, body, mode):
        params = dict(urllib.parse.parse_qsl(body.decode(),
                                             keep_blank_values=True))
        sig = params.pop("Signature", "")
        if mode == "auth":
            return 404, {"Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found."}, None
        if sig != aliyun_sign("POST", params, self.aliyun_secret):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "signature mismatch"}, None
        if mode == "busy":
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL",
                         "Message": "limit"}, None
        if mode == "http503":
            return 503, {"Code": "ServiceUnavailable"}, None
        return 200, {"Code": "OK", "Message": "OK", "BizId": "1"}, params

    def tencent(self, headers, body, mode):
        auth = headers.get("Authorization", "")
        try:
            ts = int(headers.get("X-TC-Timestamp"))
            parts = dict(p.strip().split("=", 1)
                         for p in auth.split(" ", 1)[1].split(","))
            date, sig = tc3_sign(self.tencent_secret, "sms",
                                 headers.get("Host"),
                                 headers.get("Content-Type"), body, ts)
            ok = (parts["Signature"] == sig and
                  parts["Credential"].endswith("/%s/sms/tc3_request" % date)
                  and parts["SignedHeaders"] == "content-type;host")
        except Exception:
            ok = False
        if mode == "auth":
            return 200, {"Response": {"Error": {
                "Code": "AuthFailure.SecretIdNotFound",
                "Message": "key"}}}, None
        if not ok:
            return 200, {"Response": {"Error": {
                "Code": "AuthFailure.SignatureFailure",
                "Message": "signature"}}}, None
        if mode == "busy":
            return 200, {"Response": {"Error": {
                "Code": "RequestLimitExceeded", "Message": "busy"}}}, None
        req = json.loads(body)
        req["_action"] = headers.get("X-TC-Action")
        return 200, {"Response": {"SendStatusSet": [
            {"Code": "Ok", "Message": "send success"}]}}, req

    def hook(self, headers, body, mode):
        if mode == "busy":
            return 429, {"errcode": 45009, "errmsg": "freq"}, None
        if mode == "auth":
            return 403, {"errcode": 93000, "errmsg": "invalid key"}, None
        try:
            rec = json.loads(body)
        except ValueError:
            return 400, {"errcode": 40008, "errmsg": "bad json"}, None
        rec = {"body": rec, "key": headers.get("Idempotency-Key"),
               "raw": body.decode()}
        return 200, {"errcode": 0, "errmsg": "ok"}, rec
