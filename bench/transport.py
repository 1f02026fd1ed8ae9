#!/usr/bin/python3
# Transport figures: results per second through the collector (journal,
# group commit, ACK), fsyncs per second at that rate, and bytes per
# result in the journal.  Uses the synthetic agent of tests/lib/ledger.py
# on 127.0.0.1; bounded in time.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests",
                                "lib"))
import fmtest  # noqa: E402
import ledger  # noqa: E402


class Bench(fmtest.FacmonTestCase):
    def runTest(self):
        self.start_collector()
        api = self.api + "/api/v1/stats"
        a = ledger.SynthAgent(self.agent_port, ndev=50, nchk=20,
                              batch=1000, window=16)
        a.produce(20000)
        a.pump(until_acked=True)
        # Frames are made before the clock starts: the Python encoder
        # (and its CRC) is slower than the collector.
        a.produce(int(os.environ.get("RESULTS", "200000")))
        a.flush()
        j0 = fmtest.http_json(api)["journal"]
        n0, t0 = len(a.acked_results()), time.monotonic()
        a.pump(until_acked=True, timeout=300)
        dt = time.monotonic() - t0
        j1 = fmtest.http_json(api)["journal"]
        n = len(a.acked_results()) - n0
        print("results/s %.0f  fsyncs/s %.1f  journal bytes/result %.1f" % (
            n / dt, (j1["fsyncs"] - j0["fsyncs"]) / dt,
            (j1["bytes"] - j0["bytes"]) / n))


if __name__ == "__main__":
    import unittest
    unittest.TextTestRunner().run(Bench())
