#!/usr/bin/env python3
"""Crash safety (R-TIME-3, R-AUD-1): concurrent clients write while casusd is killed with SIGKILL
at random moments; after every restart each acknowledged event is in the history, versions
have no gaps, and no timer fired twice."""
import http.client
import json
import random
import subprocess
import threading
import time

from casus import CASUSD, Server, TOKEN, run

CYCLES = 8
WRITERS = 4


def writer(port, case_id, acked, stop, seed):
    rnd = random.Random(seed)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while not stop.is_set():
            who = rnd.choice(["cr-rotterdam", "cr2-rotterdam"])
            body = json.dumps({"event": "casusregisseur_wijzigen", "data": {"casusregisseur": who,
                                                                         "toelichting": "crash-%d" % rnd.random()}})
            conn.request("POST", "/v1/cases/%s/events" % case_id, body,
                         {"Authorization": "Bearer " + TOKEN["pr-rotterdam"], "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            if r.status == 200:
                acked.append(json.loads(data)["version"])
    except (OSError, http.client.HTTPException, ValueError):
        return  # the server died under us: what was acknowledged before counts


def test_sigkill_loses_nothing_acknowledged_R_AUD_1():
    rnd = random.Random(20271)
    s = Server()
    s.start()
    try:
        cases = [s.create_a()["id"] for _ in range(WRITERS)]
        acked = {c: [] for c in cases}
        for cycle in range(CYCLES):
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(s.port, c, acked[c], stop, cycle * 100 + i))
                       for i, c in enumerate(cases)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.05, 0.4))
            s.proc.kill()  # SIGKILL: no shutdown, no flush
            stop.set()
            for t in threads:
                t.join(timeout=10)
            s._reap()
            s.start()
            for c in cases:
                h = s.history(c, "pr-rotterdam")
                versions = [e["version"] for e in h]
                assert versions == list(range(1, len(versions) + 1)), "gap in versions of %s" % c
                missing = set(acked[c]) - set(versions)
                assert not missing, "acknowledged but lost on %s: %s" % (c, sorted(missing)[:10])
        total = sum(len(v) for v in acked.values())
        assert total > 20, "too few writes acknowledged to prove anything: %d" % total
        s.stop()
        rc = subprocess.run([CASUSD, "verify", "--data", s.data], capture_output=True, text=True, timeout=60)
        assert rc.returncode == 0, rc.stdout + rc.stderr
    finally:
        s.kill()


def test_sigkill_while_timers_fire_never_twice_R_TIME_3():
    """R-TIME-3: killed while a clock jump fires many timers; after restarts each fired once."""
    s = Server()
    s.start()
    try:
        cases = []
        for _ in range(40):
            c = s.create_a()["id"]
            s.toewijzen(c)
            cases.append(c)
        # The clock jump fires 40 start-zorg deadlines; kill it somewhere in the middle.
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        conn.request("PUT", "/v1/admin/clock", json.dumps({"now": "2027-02-01T09:00:00+01:00"}),
                     {"Authorization": "Bearer " + TOKEN["admin"]})
        time.sleep(0.01)
        s.proc.kill()
        s._reap()
        s.config = dict(s.config, now="2027-02-01T09:00:00+01:00")  # came due while down: fire on start
        s.start()
        s.restart()
        for c in cases:
            fired = [e for e in s.history(c, "pr-rotterdam") if e["event"] == "start_zorg_termijn_verlopen"]
            assert len(fired) == 1, "%s fired %d times" % (c, len(fired))
    finally:
        s.kill()


if __name__ == "__main__":
    run(globals())
