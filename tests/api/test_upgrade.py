"""HTTP API test: a store written before the case indexes existed (schema 1) is re-indexed once at
start-up, so its cases are listed and filtered like new ones (R-AUTH-2 scoping included), and the
history chains written without heads in the case records continue intact (R-AUD-1)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, HORIZON, KOMPAS, TOKEN, Server, run  # noqa: E402

# The databases a schema-1 store had; casemeta and sindex came with schema 2.
SCHEMA_1_DBS = ["meta", "cases", "history", "timers", "idem", "inbox", "inbox_case"]


def as_schema_1(src, dst):
    """Copies the store in src to dst with LMDB's own tools, as schema 1 wrote it: without the index
    databases, with schema_version 1, and with case records that carry no history head.  The records
    travel in mdb_dump's hex form, so binary values (the store's secret) copy exactly."""
    os.makedirs(dst)
    for db in SCHEMA_1_DBS:
        dump = subprocess.run(["mdb_dump", "-s", db, src], capture_output=True, text=True, timeout=60,
                              check=True).stdout
        head, _, body = dump.partition("HEADER=END\n")
        rows = [l[1:] for l in body.split("\n") if l.startswith(" ")]
        out = []
        for key_hex, val_hex in zip(rows[0::2], rows[1::2]):
            key, val = bytes.fromhex(key_hex), bytes.fromhex(val_hex)
            if db == "meta" and key == b"schema_version":
                val = b"1"
            if db == "cases" and b',"history":{' in val:
                val = val.split(b',"history":{')[0] + b"}"
            out += [" " + key.hex(), " " + val.hex()]
        text = head + "HEADER=END\n" + "\n".join(out) + ("\n" if out else "") + "DATA=END\n"
        subprocess.run(["mdb_load", "-s", db, dst], input=text, text=True, timeout=60, check=True,
                       capture_output=True)


def listed(s, who, query=""):
    st, body = s.req("GET", "/v1/cases?limit=100" + query, TOKEN[who])
    assert st == 200, (st, body)
    return sorted(c["id"] for c in body["cases"])


def test_schema_1_store_is_reindexed_at_start():
    with Server() as old:
        a = old.create_a()["id"]
        b = old.create_a()["id"]
        assert old.toewijzen(b)[0] == 200
        c = old.create_a(gemeente="schiedam")["id"]
        assert old.toewijzen(c, aanbieder=KOMPAS, pr="pr-schiedam")[0] == 200
    new = Server()
    as_schema_1(old.data, new.data)
    with new:
        assert "building its case indexes" in new.stderr(), new.stderr()
        assert listed(new, "pr-rotterdam") == sorted([a, b])
        assert listed(new, "pr-rotterdam", "&status=toegewezen") == [b]
        assert listed(new, "ab-horizon") == [b]
        assert listed(new, "ab-kompas", "&gemeente=schiedam") == [c]
        assert listed(new, "zbt-rijnmond", "&aanbieder=" + HORIZON) == [b]
        assert listed(new, "cm-rijnmond") == []  # R-PRIV-1: nothing reached it
        # the chains continue from entries whose head the case records did not carry
        new.fire(b, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        assert listed(new, "cr2-rotterdam", "&casusregisseur=cr2-rotterdam") == [b]
    out = subprocess.run([CASUSD, "verify", "--data", new.data], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # a second start has nothing left to do and lists the same
    new.start()
    try:
        assert "building its case indexes" not in new.stderr(), new.stderr()
        assert listed(new, "pr-rotterdam") == sorted([a, b])
    finally:
        new.stop()


if __name__ == "__main__":
    run(globals())
