# A small HTTP client for the web console's tests: keeps the session
# cookie and the CSRF token like a browser would.  Standard library only.

import http.client
import json


class WebClient:
    def __init__(self, port, host="127.0.0.1", ssl_context=None):
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True,
                raw=None, ctype="application/json", timeout=10.0):
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if data is not None and ctype:
            h.setdefault("Content-Type", ctype)
        if self.cookie:
            h.setdefault("Cookie", self.cookie)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if self.ssl_context is not None:
            c = http.client.HTTPSConnection(self.host, self.port,
                                            timeout=timeout,
                                            context=self.ssl_context)
        else:
            c = http.client.HTTPConnection(self.host, self.port,
                                           timeout=timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            payload = r.read()
            return r.status, r.headers, payload
        finally:
            c.close()

    def json(self, method, path, body=None, **kw):
        st, h, payload = self.request(method, path, body, **kw)
        try:
            return st, json.loads(payload.decode("utf-8")) if payload \
                else None
        except ValueError:
            return st, payload

    def login(self, user, password):
        st, h, payload = self.request("POST", "/api/v1/login",
                                      {"user": user, "password": password})
        if st == 200:
            sc = h.get("Set-Cookie", "")
            self.cookie = sc.split(";", 1)[0]
            self.csrf = json.loads(payload)["csrf"]
        return st, h, payload
