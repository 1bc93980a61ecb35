#!/usr/bin/env python3
"""R-AUD-1: the history is append-only and hash-chained; `casusd verify` checks a whole store,
names the first broken entry, and `casusd backup` copies a store that a new server serves."""
import json
import os
import shutil
import subprocess
import threading

from casus import CASUSD, Server, TOKEN, run, tmpdir


def casusd(*args):
    p = subprocess.run([CASUSD, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def make_history(s, n_cases=3):
    ids = []
    for _ in range(n_cases):
        case = s.create_a()
        s.toewijzen(case["id"])
        s.fire(case["id"], "ab-horizon", "start_zorg")
        ids.append(case["id"])
    return ids


def test_history_entries_chain_R_AUD_1():
    """R-AUD-1: every accepted transition is an entry with time, actor, role, event, data, from, to,
    linked to the previous one by its hash."""
    with Server() as s:
        (cid,) = make_history(s, 1)
        h = s.history(cid, "pr-rotterdam")
        assert [e["event"] for e in h] == ["aanmelden", "toewijzen", "start_zorg"], h
        assert h[0]["prev_hash"] == "0" * 64
        for a, b in zip(h, h[1:]):
            assert b["prev_hash"] == a["hash"] and b["seq"] == a["seq"] + 1
        for e in h:
            for k in ("time", "actor", "role", "event", "data", "from", "to", "hash"):
                assert k in e, (k, e)
        assert h[2]["actor"] == "ab-horizon" and h[2]["role"] == "aanbieder"
        assert h[1]["from"] == ["aangemeld", "geen_escalatie"] and h[1]["to"][0] == "toegewezen"


def test_verify_running_and_stopped_store_R_AUD_1():
    with Server() as s:
        make_history(s)
        rc, out = casusd("verify", "--data", s.data)  # while the server runs
        assert rc == 0 and "ok: 9 history entries verified" in out, out
    rc, out = casusd("verify", "--data", s.data)
    assert rc == 0, out


def tamper(data_dir, case_id, seq, old, new):
    """Rewrites one stored history entry with LMDB's own dump/load tools (no casusd code)."""
    dump = subprocess.run(["mdb_dump", "-p", "-s", "history", data_dir], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    lines = dump.split("\n")
    key = case_id + "\\00" + "\\00" * 7 + "\\%02x" % seq
    for i, line in enumerate(lines):
        if line.strip() == key:
            assert old in lines[i + 1], lines[i + 1]
            lines[i + 1] = lines[i + 1].replace(old, new, 1)
            break
    else:
        raise AssertionError("entry %s/%d not in dump" % (case_id, seq))
    subprocess.run(["mdb_load", "-s", "history", data_dir], input="\n".join(lines), text=True,
                   timeout=60, check=True, capture_output=True)


def test_tampered_entry_is_named_R_AUD_1():
    """R-AUD-1: changing one stored entry breaks the chain; verify names the case and seq."""
    with Server() as s:
        ids = make_history(s)
    tamper(s.data, ids[1], 2, "horizon-jeugdzorg", "kompas-zorg")
    rc, out = casusd("verify", "--data", s.data)
    assert rc == 1 and "BROKEN" in out and ids[1] in out and "seq 2" in out, out


def test_backup_under_load_served_by_new_server():
    with Server() as s:
        ids = make_history(s, 2)
        stop = threading.Event()
        errors = []

        def writer():
            # A second connection keeps writing while the backup runs.
            from casus import Server as _S  # noqa: F401  (same module; keeps the harness' connection logic)
            import http.client
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
            i = 0
            while not stop.is_set() and i < 400:
                body = json.dumps({"event": "casusregisseur_wijzigen",
                                   "data": {"casusregisseur": "cr2-rotterdam" if i % 2 == 0 else "cr-rotterdam"}})
                conn.request("POST", "/v1/cases/%s/events" % ids[0], body,
                             {"Authorization": "Bearer " + TOKEN["pr-rotterdam"], "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(r.status)
                i += 1
            conn.close()

        t = threading.Thread(target=writer)
        t.start()
        out_dir = os.path.join(tmpdir(), "backup")
        rc, out = casusd("backup", "--data", s.data, "--out", out_dir)
        stop.set()
        t.join(timeout=60)
        assert rc == 0, out
        assert not errors, errors
        rc, out = casusd("verify", "--data", out_dir)
        assert rc == 0, out
    copy = Server()
    shutil.rmtree(copy.data, ignore_errors=True)
    shutil.copytree(out_dir, copy.data)
    with copy:
        for cid in ids:
            c = copy.get_case(cid, "pr-rotterdam")
            assert c["status"] == "in_zorg", c


if __name__ == "__main__":
    run(globals())
