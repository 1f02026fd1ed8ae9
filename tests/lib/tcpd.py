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

"""A TCP server for the facmon tests, standard library only.

    /usr/bin/python3 tests/lib/tcpd.py --port N [--bind 127.0.0.1]
        [--banner TEXT] [--delay-ms MS] [--close]

Each connection gets TEXT (Python escapes such as \\r\\n are decoded)
after MS milliseconds, then everything it sends is echoed back until it
hangs up.  With --close the server hangs up right after the banner.  It
prints "ready <port>" on stdout once it listens; --port 0 picks a free
port.  Threaded and silent.
"""

import argparse
import socket
import codecs
import socketserver
import sys
import time


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        opts = self.server.opts
        try:
            if opts.delay_ms > 0:
                time.sleep(opts.delay_ms / 1000.0)
            if opts.banner:
                self.request.sendall(opts.banner)
            if opts.close:
                return
            while True:
                data = self.request.recv(4096)
                if not data:
                    return
                self.request.sendall(data)
        except OSError:
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--banner", default="")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--close", action="store_true")
    args = ap.parse_args()
    args.banner = codecs.decode(args.banner, "unicode_escape").encode(
        "latin-1")

    if ":" in args.bind:
        Server.address_family = socket.AF_INET6
    srv = Server((args.bind, args.port), Handler)
    srv.opts = args
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
