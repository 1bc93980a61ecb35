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


def databases(data):
    """Every named database of the store, as LMDB's own mdb_dump lists them: a rebuild keeps them all."""
    out = subprocess.run(["mdb_dump", "-l", data], capture_output=True, text=True, timeout=60, check=True).stdout
    dbs = out.split()
    assert "cases" in dbs and "history" in dbs, dbs
    return dbs


def _dump(data, db):
    """(header lines, [(key, value)]) of one database, with LMDB's own mdb_dump (bytes, hex form)."""
    lines = subprocess.run(["mdb_dump", "-s", db, data], capture_output=True, text=True, timeout=60,
                           check=True).stdout.split("\n")
    start = lines.index("HEADER=END") + 1
    end = lines.index("DATA=END")
    pairs = [(bytes.fromhex(lines[i].strip()), bytes.fromhex(lines[i + 1].strip())) for i in range(start, end, 2)]
    return lines[:start], pairs


def rebuild(data, edit=None, add=None):
    """Rewrites the store in data with LMDB's own tools (no casusd code): every database is dumped
    and loaded into a new store, which then takes data's place.  edit(db, key, value) returns the
    value to keep (bytes) or None to drop the record; add maps a database to records to add."""
    new = data + ".new"
    os.makedirs(new)
    changed = 0
    for db in databases(data):
        header, pairs = _dump(data, db)
        out = []
        for k, v in pairs:
            nv = edit(db, k, v) if edit else v
            changed += nv != v
            if nv is not None:
                out.append((k, nv))
        out += (add or {}).get(db, [])
        changed += len((add or {}).get(db, []))
        text = "\n".join(header + [x for k, v in out for x in (" " + k.hex(), " " + v.hex())] + ["DATA=END", ""])
        subprocess.run(["mdb_load", "-s", db, new], input=text, text=True, timeout=60, check=True,
                       capture_output=True)
    assert changed, "nothing changed"
    shutil.rmtree(data)
    os.rename(new, data)


def edit_cases(data, edits):
    """Replaces bytes in case records: edits maps a case id to (old, new)."""
    def edit(db, k, v):
        if db == "cases" and k.decode() in edits:
            old, new = edits[k.decode()]
            assert old in v, (k, old)
            return v.replace(old, new, 1)
        return v
    rebuild(data, edit)


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
    edit_cases(s.data, {b: (b"Sam de Vries", b"Sam de Vriez"), c: (b'"chart":', b'"chart"=')})
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


def test_verify_names_every_damaged_record():
    """casusd verify checks every record against what the store knows without a chart, lists each
    damaged one by name (exit 1), and still says ok (exit 0) for an intact store."""
    s = Server()
    with s:
        ids = [s.create_a()["id"] for _ in range(10)]
        for cid in ids[4:]:
            assert s.toewijzen(cid, headers={"Idempotency-Key": "k-" + cid})[0] == 200
        s.fire(ids[5], "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
    rc, out = casusd("verify", "--data", s.data)
    assert rc == 0 and out.startswith("ok: 17 history entries verified; 10 cases, "), out
    a, b, c, d, e, f, g, h = ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7]
    ghost = "c-ffffffffffffffff"
    hist = {}

    def edit(db, k, v):
        if db == "cases" and k == a.encode():
            return v.replace(b"Sam de Vries", b"Sam de Vriez", 1)  # still parses
        if db == "cases" and k == b.encode():
            return v.replace(b'"chart":', b'"chart"=', 1)  # no longer JSON
        if db == "sindex" and k.endswith(b"\0a") and v == c.encode():
            return None  # one index entry of c gone
        if db == "timers" and k[8:].startswith(e.encode() + b"\0"):
            return None  # e's timer gone from the timer index
        if db == "history" and k == f.encode() + b"\0" + (2).to_bytes(8, "big"):
            return v.replace(b"horizon-jeugdzorg", b"kompas-zorg", 1)  # what happened, rewritten
        if db == "inbox" and b'"case_id":"%s"' % g.encode() in v:
            hist["inbox"] = k
            return None  # g's inbox items gone, their links left
        if db == "idem" and k.endswith(b"\0k-" + h.encode()):
            return b"\x07garbage"
        if db == "casemeta" and k == ids[8].encode():
            return b"\x02"
        return v

    sindex_key = b"o:gemeente=rotterdam\0a"
    rebuild(s.data, edit, add={
        "timers": [((2 ** 63 + 1830000000).to_bytes(8, "big") + d.encode() + b"\0spook", b"")],
        "sindex": [(sindex_key, ghost.encode())],
    })
    rc, out = casusd("verify", "--data", s.data)
    assert rc == 1, out
    lines = [l for l in out.splitlines() if l.startswith("BROKEN: ")]
    want = [
        "case %s: its record does not match the digest its index record keeps" % a,
        "case %s: its record does not parse" % b,
        "case %s: its index entry under a:casusregisseur=cr-rotterdam (every case) is missing" % c,
        'timer index entry of case %s, timer "spook" due_s 1830000000: the case has no such timer' % d,
        "case %s: its timer" % e,
        "history of case %s is broken at seq 2: its hash does not match the entry" % f,
        "inbox link of case %s: item" % g,
        "open inbox entry %s\\x00" % g,  # g's open task, listed by its case (inbox_case_open)
        "idempotency record %s\\x00k-%s: it does not decode" % ("pr-rotterdam", h),
        "case %s: its index record (casemeta) does not decode" % ids[8],
        "index entry o:gemeente=rotterdam\\x00a names case %s, which does not exist" % ghost,
    ]
    for w in want:
        assert any(w in l for l in lines), (w, out)
    assert "missing from the timer index" in out, out
    # nothing is named that is intact
    for cid in ids[9:]:
        assert cid not in out, (cid, out)
    summary = out.splitlines()[-1]
    assert summary.startswith("BROKEN: 14 problems found in 17 history entries, 10 cases"), summary


if __name__ == "__main__":
    run(globals())
