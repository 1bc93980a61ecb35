"""HTTP API test: a store written before the case indexes existed (schema 1) is re-indexed once at
start-up, so its cases are listed and filtered like new ones (R-AUTH-2 scoping included), and the
history chains written without heads in the case records continue intact (R-AUD-1).  A store written
before the metrics' counts existed gets them once at start-up: its gauges are what a new store would
have kept, and casusd verify agrees."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, HORIZON, KOMPAS, TOKEN, Server, metrics, run  # noqa: E402

# The databases a schema-1 store had; casemeta and sindex came with schema 2.
SCHEMA_1_DBS = ["meta", "cases", "history", "timers", "idem", "inbox", "inbox_case"]


# Every database of the store before the counts (store_counts.c) came.
BEFORE_COUNTS_DBS = SCHEMA_1_DBS + ["casemeta", "sindex", "idem_time", "inbox_open", "inbox_time", "access",
                                    "access_time"]


def without_counts(src, dst):
    """Copies the store in src to dst as a casusd before the metrics' counts wrote it: every database
    but "counts", no meta "counts_built", and growth_indexed 1 (no inbox_case_open yet)."""
    os.makedirs(dst)
    for db in BEFORE_COUNTS_DBS:
        dump = subprocess.run(["mdb_dump", "-s", db, src], capture_output=True, text=True, timeout=60,
                              check=True).stdout
        head, _, body = dump.partition("HEADER=END\n")
        rows = [l[1:] for l in body.split("\n") if l.startswith(" ")]
        out = []
        for key_hex, val_hex in zip(rows[0::2], rows[1::2]):
            if db == "meta" and bytes.fromhex(key_hex) == b"counts_built":
                continue
            if db == "meta" and bytes.fromhex(key_hex) == b"growth_indexed":
                val_hex = b"1".hex()
            out += [" " + key_hex, " " + val_hex]
        text = head + "HEADER=END\n" + "\n".join(out) + ("\n" if out else "") + "DATA=END\n"
        subprocess.run(["mdb_load", "-s", db, dst], input=text, text=True, timeout=60, check=True,
                       capture_output=True)


def as_schema_1(src, dst):
    """Copies the store in src to dst with LMDB's own tools, as schema 1 wrote it: without the index
    databases, with schema_version 1, without the growth orders' marker (growth_indexed), and with
    case records that carry no history head.  The records travel in mdb_dump's hex form, so binary
    values (the store's secret) copy exactly."""
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
            if db == "meta" and key == b"growth_indexed":
                continue
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


GAUGES = ("casusd_cases{", "casusd_tasks_open{", "casusd_deadlines_overdue{", "casusd_timers_pending",
          "casusd_idempotency_keys")
FIRED = "2027-01-07T09:00:00+01:00"  # a spoed toewijzing on Monday 01-04 missed its start zorg deadline


def gauges(s):
    return {k: v for k, v in metrics(s).items() if k.startswith(GAUGES)}


def test_store_without_counts_is_counted_once_at_start():
    with Server() as old:
        a = old.create_a()["id"]
        assert old.toewijzen(a, spoed=True)[0] == 200
        old.create_a(gemeente="alkmaar")
        st, nocr = old.create("pr-rotterdam", {  # without a casusregisseur: a task for the procesregisseur
            "verwijzer": "gemeente", "gemeente": "rotterdam",
            "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}})
        assert st == 201
        old.clock(FIRED)  # the start zorg deadline passes: two overdue tasks
        before = gauges(old)
    assert before['casusd_deadlines_overdue{kind="start_zorg"}'] == 2, before
    assert before['casusd_cases{status="aangemeld",region="rijnmond"}'] == 1, before
    assert before['casusd_tasks_open{kind="casusregisseur_toewijzen"}'] == 1, before
    new = Server(now=FIRED)
    without_counts(old.data, new.data)
    with new:
        assert "counting its cases and tasks for the metrics" in new.stderr(), new.stderr()
        assert gauges(new) == before
        new.restart(now=FIRED)
        assert "counting its cases" not in new.stderr(), new.stderr()  # once: the store keeps them now
        assert gauges(new) == before
        # the upgrade filed the open task by its case: assigning a casusregisseur closes it
        new.fire(nocr["id"], "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        assert gauges(new).get('casusd_tasks_open{kind="casusregisseur_toewijzen"}', 0) == 0, gauges(new)
    p = subprocess.run([CASUSD, "verify", "--data", new.data], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "metric counts checked" in p.stdout, p.stdout + p.stderr


if __name__ == "__main__":
    run(globals())
