#!/usr/bin/python3
#
# Copyright (c) 2026 The facmon authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS.

"""A small HTTP server for the facmon tests, standard library only.

    /usr/bin/python3 tests/lib/httpd.py --port N [--bind 127.0.0.1]
        [--cert FILE --key FILE]

Paths:

    /ok                 200 "facmon-ok"
    /status/<code>      that status, body "status <code>"
    /slow/<ms>          200 "slow" after <ms> milliseconds
    /json/<value>       200 {"status": "<value>"}
    /health             200 {"status": "ok", "db": {"latency_ms": 12}}
    /big/<bytes>        200, a body of that many bytes ("x" repeated)
    /redirect           302 to /ok
    /headers            200, the request headers as a JSON object
    /set?path=/x&status=503&delay_ms=0&body=...&type=text/plain
                        from now on /x answers so (an override wins over
                        the built-in paths); /set?path=/x&clear=1 removes
                        the override.  Answers 200 "set".

HEAD works on every path and sends the headers only.  The server is
threaded, so a slow answer does not hold up the others, and it logs
nothing: the test keeps the process and reads its exit status.  With
--cert and --key it speaks HTTPS.  It prints "ready <port>" on stdout
once it listens, so a test can wait for that line; --port 0 picks a free
port.
"""

import argparse
import socket
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_DELAY_MS = 600000
MAX_BIG = 16 * 1024 * 1024

overrides = {}
overrides_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server_version = "facmon-httpd/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="text/plain", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def route(self):
        url = urlsplit(self.path)
        path = url.path
        parts = path.strip("/").split("/")

        if path == "/set":
            return self.set_override(parse_qs(url.query))

        with overrides_lock:
            ov = overrides.get(path)
        if ov is not None:
            if ov["delay_ms"] > 0:
                time.sleep(ov["delay_ms"] / 1000.0)
            return self.reply(ov["status"], ov["body"], ov["type"])

        if path == "/ok":
            return self.reply(200, "facmon-ok")
        if path == "/health":
            return self.reply(200, json.dumps(
                {"status": "ok", "db": {"latency_ms": 12}}),
                "application/json")
        if path == "/headers":
            return self.reply(200, json.dumps(dict(self.headers.items())),
                              "application/json")
        if path == "/redirect":
            return self.reply(302, "", headers={"Location": "/ok"})
        if len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
            code = int(parts[1])
            if 100 <= code <= 599:
                return self.reply(code, "status %d" % code)
        if len(parts) == 2 and parts[0] == "slow" and parts[1].isdigit():
            time.sleep(min(int(parts[1]), MAX_DELAY_MS) / 1000.0)
            return self.reply(200, "slow")
        if len(parts) == 2 and parts[0] == "json":
            return self.reply(200, json.dumps({"status": parts[1]}),
                              "application/json")
        if len(parts) == 2 and parts[0] == "big" and parts[1].isdigit():
            return self.reply(200, b"x" * min(int(parts[1]), MAX_BIG))
        return self.reply(404, "not found")

    def set_override(self, q):
        def one(key, default):
            v = q.get(key)
            return v[0] if v else default

        path = one("path", "")
        if not path.startswith("/") or path == "/set":
            return self.reply(400, "path must start with / and not be /set")
        if one("clear", "") == "1":
            with overrides_lock:
                overrides.pop(path, None)
            return self.reply(200, "set")
        try:
            status = int(one("status", "200"))
            delay = int(one("delay_ms", "0"))
        except ValueError:
            return self.reply(400, "status and delay_ms are integers")
        if not 100 <= status <= 599 or not 0 <= delay <= MAX_DELAY_MS:
            return self.reply(400, "status or delay_ms out of range")
        with overrides_lock:
            overrides[path] = {
                "status": status,
                "delay_ms": delay,
                "body": one("body", ""),
                "type": one("type", "text/plain"),
            }
        return self.reply(200, "set")

    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Tests start many probes at once; a short queue would drop SYNs.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A probe that hangs up early is normal here, not worth a trace.
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    if ":" in args.bind:
        Server.address_family = socket.AF_INET6
    srv = Server((args.bind, args.port), Handler)
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        # The handshake runs in the request's thread, not in accept().
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
