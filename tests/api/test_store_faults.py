#!/usr/bin/env python3
"""A store that is not whole, or not this server's alone, is refused clearly (docs/operations.md):
a truncated data.mdb makes serve, verify and backup exit 2 with a sentence that says to restore
from a backup (never a SIGBUS); a second server on a data directory exits 2 naming the process
that serves it, while verify and backup keep working beside the server.  One damaged case record
makes only that case unavailable: 500 store_corrupt to those who may see it, 404 to others, left
out of lists."""
import json
import os
import shutil
import subprocess

from casus import CASUSD, TOKEN, Server, assert_error, make_config, run, tmpdir

SIGBUS_EXIT = 128 + 7


def casusd(*args, timeout=60):
    p = subprocess.run([CASUSD, *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def serve_once(data, timeout=20):
    """Starts `casusd serve` on data; returns (exit status, output) when it exits by itself, or
    (None, output) when it starts serving (it is stopped then)."""
    d = tmpdir()
    cfg = os.path.join(d, "config.json")
    with open(cfg, "w") as f:
        json.dump(make_config(), f)
    p = subprocess.Popen([CASUSD, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data", data,
                          "--clock", "manual"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out + err
    except subprocess.TimeoutExpired:
        p.terminate()
        out, err = p.communicate(timeout=timeout)
        return None, out + err


def store_with_cases(n=40):
    with Server() as s:
        ids = [s.create_a()["id"] for _ in range(n)]
        for cid in ids[::3]:
            assert s.toewijzen(cid)[0] == 200
    return s.data, ids


def test_truncated_store_exits_2_with_advice_never_sigbus():
    data, _ = store_with_cases()
    size = os.path.getsize(os.path.join(data, "data.mdb"))
    for keep in (size // 2, size - 4096, 6000, 100, 0):
        copy = os.path.join(tmpdir(), "data")
        shutil.copytree(data, copy)
        with open(os.path.join(copy, "data.mdb"), "r+b") as f:
            f.truncate(keep)
        out_dir = os.path.join(tmpdir(), "backup")
        for what, (rc, out) in (("verify", casusd("verify", "--data", copy)),
                                ("backup", casusd("backup", "--data", copy, "--out", out_dir)),
                                ("serve", serve_once(copy))):
            assert rc != SIGBUS_EXIT, (what, keep, out)
            assert rc == 2, (what, keep, rc, out)
            assert "data.mdb" in out and ("truncated" in out or "empty" in out), (what, keep, out)
            assert "restore it from a backup" in out, (what, keep, out)
    # the untouched store is fine
    rc, out = casusd("verify", "--data", data)
    assert rc == 0, out


def test_second_server_on_one_directory_exits_2_naming_the_first():
    with Server() as s:
        cid = s.create_a()["id"]
        rc, out = serve_once(s.data)
        assert rc == 2, (rc, out)
        assert "another casusd (process %d) is serving" % s.proc.pid in out, out
        assert "casusd.lock" in out, out
        # verify and backup read beside the running server; it keeps serving
        rc, out = casusd("verify", "--data", s.data)
        assert rc == 0, out
        copy = os.path.join(tmpdir(), "copy")
        rc, out = casusd("backup", "--data", s.data, "--out", copy)
        assert rc == 0, out
        assert s.get_case(cid, "pr-rotterdam")["id"] == cid
        st, body = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert st == 200 and [c["id"] for c in body["cases"]] == [cid], body
        # the copy is another directory: a server may serve it at the same time
        rc, out = serve_once(copy, timeout=3)
        assert rc is None and "listening on" in out, (rc, out)
    # once the first one stopped, the directory is free again
    rc, out = serve_once(s.data, timeout=3)
    assert rc is None and "listening on" in out, (rc, out)


def dump_edit(data, db, edit):
    """Rewrites records of one database with LMDB's own tools (no casusd code): edit(key, value)
    gets each record in mdb_dump's printable form and returns the new value or None (unchanged)."""
    dump = subprocess.run(["mdb_dump", "-p", "-s", db, data], capture_output=True, text=True, timeout=60,
                          check=True).stdout
    lines = dump.split("\n")
    start = lines.index("HEADER=END") + 1
    changed = 0
    for i in range(start, len(lines) - 1, 2):
        if lines[i] == "DATA=END":
            break
        new = edit(lines[i][1:], lines[i + 1][1:])
        if new is not None:
            lines[i + 1] = " " + new
            changed += 1
    assert changed, "nothing edited in %s" % db
    subprocess.run(["mdb_load", "-s", db, data], input="\n".join(lines), text=True, timeout=60, check=True,
                   capture_output=True)


def listed(s, who):
    st, body = s.req("GET", "/v1/cases?limit=100", TOKEN[who])
    assert st == 200, (who, st, body)
    return sorted(c["id"] for c in body["cases"])


def test_damaged_case_is_500_to_its_viewers_404_to_others_and_left_out_of_lists():
    s = Server()
    with s:
        a = s.create_a()["id"]
        b = s.create_a()["id"]
        assert s.toewijzen(b)[0] == 200  # horizon sees b too
        c = s.create_a()["id"]
        d = s.create_a(gemeente="alkmaar")["id"]
    # b: one byte of the jeugdige's name changed (it still parses); c: no longer JSON
    dump_edit(s.data, "cases", lambda k, v: v.replace("Sam de Vries", "Sam de Vriez") if k == b else
              v.replace('"chart":', '"chart"=') if k == c else None)
    with s:
        for who, want in (("pr-rotterdam", 500), ("ab-horizon", 500), ("pr-alkmaar", 404), ("ab-kompas", 404),
                          ("cm-holland-noord", 404)):
            for path in ("/v1/cases/" + b, "/v1/cases/%s/history" % b):
                st, body = s.req("GET", path, TOKEN[who])
                assert_error(st, body, want, code="store_corrupt" if want == 500 else "not_found")
            st, body = s.event(b, who, "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
            assert_error(st, body, want, code="store_corrupt" if want == 500 else "not_found")
        st, body = s.req("GET", "/v1/cases/" + c, TOKEN["pr-rotterdam"])
        assert_error(st, body, 500, code="store_corrupt")
        st, body = s.req("GET", "/v1/cases/" + c, TOKEN["pr-alkmaar"])
        assert_error(st, body, 404, code="not_found")
        # lists leave the damaged cases out and fail for nobody
        assert listed(s, "pr-rotterdam") == [a], listed(s, "pr-rotterdam")
        assert listed(s, "ab-horizon") == [], listed(s, "ab-horizon")
        assert listed(s, "pr-alkmaar") == [d]
        st, body = s.req("GET", "/v1/cases?status=aangemeld&limit=100", TOKEN["pr-rotterdam"])
        assert st == 200 and [x["id"] for x in body["cases"]] == [a], body
        # the other cases work as before
        s.fire(a, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        assert s.get_case(d, "pr-alkmaar")["id"] == d
        err = s.stderr()
        assert "case %s is damaged" % b in err and "case %s is damaged" % c in err, err
        assert "lists leave it out" in err, err


if __name__ == "__main__":
    run(globals())
