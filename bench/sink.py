#!/usr/bin/python3
# A minimal collector for benchmarks of the agent alone: it accepts any
# agent, acknowledges every batch at once and counts results, so that
# what is measured is the agent's work, not the collector's.
#
#   bench/sink.py --port N      prints "results <n>" on SIGTERM or EOF

import os
import signal
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "lib"))
import wire  # noqa: E402

count = [0]
lock = threading.Lock()


def serve(conn):
    try:
        while True:
            f = wire.read_frame(conn)
            if f is None:
                return
            ftype, p = f
            if ftype == wire.HELLO:
                conn.sendall(wire.frame(wire.WELCOME,
                                        struct.pack(">BQQ", 0, 0, 0)))
            elif ftype == wire.BATCH:
                session, seq, n = struct.unpack(">QQI", p[:20])
                with lock:
                    count[0] += n
                conn.sendall(wire.frame(wire.ACK,
                                        struct.pack(">QQ", session, seq)))
    except OSError:
        return
    finally:
        conn.close()


def main():
    port = int(sys.argv[sys.argv.index("--port") + 1])
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)

    def done(*_):
        with lock:
            print("results %d" % count[0], flush=True)
        os._exit(0)
    signal.signal(signal.SIGTERM, done)
    print("ready", flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
