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

"""Modbus TCP servers for the facmon tests.

    /usr/bin/python3 tests/lib/mbserver.py --port N --spec FILE
    /usr/bin/python3 tests/lib/mbserver.py --port N [--port M ...] --mode MODE

With --spec, Debian's pymodbus serves the units described by the JSON
file FILE:

    {"units": {"1": {"hr": {"0": 123, ...}, "ir": {...},
                     "co": {"0": 1, ...}, "di": {...}},
               "2": {...}},
     "failing": [4], "gone": [3]}

Only the listed addresses exist, so a read that touches any other one is
answered with exception 2 (illegal data address).  A unit in "failing"
gets exception 4 (server device failure), one in "gone" exception 11
(gateway target device failed to respond), as a gateway answers for a
device behind it that is silent; pymodbus does not answer a unit it does
not know at all.

With --mode, a plain socket server that is not Modbus at all:
    silent	accepts and reads, never answers
    close	reads one request and hangs up
    garbage	answers every request with text
    badlen	answers with the request's header but a wrong byte count
    slow	answers a read of registers after --delay seconds, every
		register 7 (a device slow but within its timeout)
    busy	answers every request with exception 6 (server device busy)
    illfunc	answers every request with exception 1 (illegal function)

It prints "ready <port>" on stdout once it listens.  Each connection is
served by a thread; the process runs until it is killed.
"""

import argparse
import json
import socket
import struct
import sys
import threading
import time


def serve_raw(ports, mode, delay):
    socks = []
    for port in ports:
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(16)
        socks.append(ls)
    print("ready %s" % " ".join(str(s.getsockname()[1]) for s in socks),
          flush=True)

    def conn(s):
        held = []
        try:
            while True:
                req = s.recv(260)
                if not req:
                    return
                if mode == "silent":
                    held.append(req)
                    continue
                if mode == "close":
                    return
                if mode == "garbage":
                    s.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                              b"Content-Length: 0\r\n\r\n" * 4)
                elif mode == "slow" and len(req) >= 12:
                    time.sleep(delay)
                    tid, _, _, unit, fc, _, n = struct.unpack(
                        ">HHHBBHH", req[:12])
                    n = min(n, 125)
                    s.sendall(struct.pack(">HHHBBB", tid, 0, 3 + 2 * n,
                                          unit, fc, 2 * n) +
                              struct.pack(">H", 7) * n)
                elif mode in ("busy", "illfunc") and len(req) >= 8:
                    s.sendall(req[0:4] + b"\x00\x03" + req[6:7] +
                              bytes([req[7] | 0x80,
                                     6 if mode == "busy" else 1]))
                elif mode == "badlen" and len(req) >= 12:
                    # Transaction, protocol, length 5, unit, function,
                    # then a byte count of 4 for a request of 1 register.
                    s.sendall(req[0:4] + b"\x00\x07" + req[6:8] +
                              b"\x04\x00\x01\x00\x02")
        except OSError:
            pass
        finally:
            s.close()

    def accept(ls):
        while True:
            s, _ = ls.accept()
            threading.Thread(target=conn, args=(s,), daemon=True).start()

    for ls in socks[1:]:
        threading.Thread(target=accept, args=(ls,), daemon=True).start()
    accept(socks[0])


def serve_pymodbus(port, spec):
    from pymodbus.datastore import (ModbusServerContext, ModbusSlaveContext,
                                    ModbusSparseDataBlock)
    from pymodbus.exceptions import NoSuchSlaveException
    from pymodbus.server import StartTcpServer

    class Failing(ModbusSlaveContext):
        """A unit whose store breaks: pymodbus answers exception 4."""

        def validate(self, fc_as_hex, address, count=1):
            return True

        def getValues(self, fc_as_hex, address, count=1):
            raise RuntimeError("the unit's store is broken")

    class Gone(Failing):
        """pymodbus answers a missing slave with exception 11."""

        def getValues(self, fc_as_hex, address, count=1):
            raise NoSuchSlaveException("the unit behind does not answer")

    def block(d):
        vals = {int(k): int(v) for k, v in (d or {}).items()}
        # An empty sparse block would not build; address 65535 is not
        # used by the tests.
        return ModbusSparseDataBlock(vals or {65535: 0})

    slaves = {}
    for unit, u in spec.get("units", {}).items():
        slaves[int(unit)] = ModbusSlaveContext(
            hr=block(u.get("hr")), ir=block(u.get("ir")),
            co=block(u.get("co")), di=block(u.get("di")), zero_mode=True)
    for unit in spec.get("failing", []):
        slaves[int(unit)] = Failing(zero_mode=True)
    for unit in spec.get("gone", []):
        slaves[int(unit)] = Gone(zero_mode=True)
    ctx = ModbusServerContext(slaves=slaves, single=False)
    print("ready %d" % port, flush=True)
    StartTcpServer(context=ctx, address=("127.0.0.1", port),
                   allow_reuse_address=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, action="append", required=True,
                    help="several with --mode")
    ap.add_argument("--spec")
    ap.add_argument("--mode", choices=("silent", "close", "garbage",
                                       "badlen", "slow", "busy",
                                       "illfunc"))
    ap.add_argument("--delay", type=float, default=0.5)
    a = ap.parse_args()
    if a.mode:
        serve_raw(a.port, a.mode, a.delay)
    else:
        with open(a.spec, encoding="utf-8") as f:
            serve_pymodbus(a.port[0], json.load(f))


if __name__ == "__main__":
    sys.exit(main())
