"""HTTP API tests: Idempotency-Key records expire (docs/api.md, "Writes, idempotency, concurrency";
docs/operations.md, "Growth").

A retry under the same key returns the first reply, byte for byte, for as long as the key is kept:
`idempotency_ttl_hours` of the configuration (24..168, default 24), by the service's clock.  After
that the same key is a new request, and the group commits sweep the expired records out of the store
(LMDB's mdb_stat counts them).  A configuration outside that range does not start."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, TOKEN, Server, assert_error, make_config, run, tmpdir  # noqa: E402

T0 = "2027-03-01T09:00:00+01:00"  # a Monday
CREATE = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
          "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
          "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}}


def keyed_create(s, key, body=CREATE):
    """POST /v1/cases under Idempotency-Key key: (status, raw reply bytes)."""
    st, _, raw = s.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"], json.dumps(body), {"Idempotency-Key": key})
    return st, raw


def db_entries(data_dir, db):
    """The entries of one database, as LMDB's own mdb_stat counts them (also while casusd runs)."""
    out = subprocess.run(["mdb_stat", "-s", db, data_dir], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    for line in out.split("\n"):
        if line.strip().startswith("Entries:"):
            return int(line.split(":")[1])
    raise AssertionError("no entry count in %r" % out)


def swept(s):
    st, _, data = s.raw("GET", "/metrics", TOKEN["admin"])
    assert st == 200, st
    for line in data.decode().split("\n"):
        if line.startswith('casusd_swept_total{db="idem"} '):
            return int(line.split()[-1])
    raise AssertionError("casusd_swept_total missing")


def test_retry_gets_the_first_reply_until_the_key_expires():
    """Within 24 hours (the default) a retry returns the first reply byte for byte and creates
    nothing; another body under the key is 422.  From 24 hours on the same key is a new request: a
    new case, whose reply the key then holds."""
    with Server(now=T0) as s:
        st, first = keyed_create(s, "k-1")
        assert st == 201, first
        cid = json.loads(first)["id"]
        s.clock("2027-03-02T08:59:59+01:00")  # 23:59:59 later
        assert keyed_create(s, "k-1") == (201, first)
        other = dict(CREATE, regie_intensiteit="licht")
        st, raw = keyed_create(s, "k-1", other)
        assert_error(st, json.loads(raw), 422, code="idempotency_key_reused")
        st, body = s.req("GET", "/v1/cases?limit=100", TOKEN["pr-rotterdam"])
        assert [c["id"] for c in body["cases"]] == [cid], body
        s.clock("2027-03-02T09:00:00+01:00")  # 24 hours
        st, again = keyed_create(s, "k-1")
        assert st == 201 and json.loads(again)["id"] != cid, again
        assert keyed_create(s, "k-1") == (201, again)
        # after expiry another body under the key is a new request too, not 422
        s.clock("2027-03-03T09:00:00+01:00")
        st, raw = keyed_create(s, "k-1", other)
        assert st == 201 and json.loads(raw)["fields"]["regie_intensiteit"] == "licht", raw


def test_ttl_is_configurable_within_24_to_168_hours():
    """idempotency_ttl_hours 48: a retry after 47 hours still gets the first reply; after 48 hours it
    is a new request.  168 is accepted too."""
    cfg = make_config(T0)
    cfg["idempotency_ttl_hours"] = 48
    with Server(config=cfg) as s:
        st, first = keyed_create(s, "k-48")
        assert st == 201
        s.clock("2027-03-03T08:00:00+01:00")  # 47 hours
        assert keyed_create(s, "k-48") == (201, first)
        s.clock("2027-03-03T09:00:00+01:00")  # 48 hours
        st, raw = keyed_create(s, "k-48")
        assert st == 201 and raw != first, raw
    cfg["idempotency_ttl_hours"] = 168
    with Server(config=cfg) as s:
        st, first = keyed_create(s, "k-168")
        s.clock("2027-03-08T08:59:59+01:00")
        assert keyed_create(s, "k-168") == (201, first)


def test_ttl_outside_the_range_does_not_start():
    """A time to live below 24 or above 168 hours, or not a whole number, is refused at start with a
    sentence that names the key (exit status 1)."""
    for bad in (23, 169, 0, -24, "24", 24.5, None, True):
        d = tmpdir()
        cfg = make_config(T0)
        cfg["idempotency_ttl_hours"] = bad
        path = os.path.join(d, "config.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        out = subprocess.run([CASUSD, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data",
                              os.path.join(d, "data"), "--clock", "manual"], capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 1, (bad, out.returncode, out.stdout, out.stderr)
        assert "idempotency_ttl_hours" in out.stderr and "24 to 168" in out.stderr, (bad, out.stderr)


def test_expired_records_are_swept_from_the_store():
    """Keys past their time to live leave the store: a write after the clock passed them sweeps them
    in its group commit (idem and idem_time shrink, /metrics counts them); keys still young stay."""
    with Server(now=T0) as s:
        for i in range(60):
            assert keyed_create(s, "old-%d" % i)[0] == 201
        s.clock("2027-03-01T21:00:00+01:00")
        for i in range(5):
            assert keyed_create(s, "young-%d" % i)[0] == 201
        assert db_entries(s.data, "idem") == 65 and db_entries(s.data, "idem_time") == 65
        before = swept(s)
        s.clock("2027-03-02T10:00:00+01:00")  # the old ones are 25 hours old, the young 13
        s.create_a()  # a write: its commit sweeps (at most 64 + 8 per request: enough here)
        assert swept(s) - before == 60, swept(s) - before
        assert db_entries(s.data, "idem") == 5 and db_entries(s.data, "idem_time") == 5
        st, raw = keyed_create(s, "young-0")
        assert st == 201
        assert db_entries(s.data, "idem") == 5  # a retry, nothing new
        s.clock("2027-03-03T10:00:00+01:00")
        s.create_a()
        assert db_entries(s.data, "idem") == 0 and db_entries(s.data, "idem_time") == 0


if __name__ == "__main__":
    run(globals())
