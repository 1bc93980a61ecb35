"""HTTP API tests: the store's map grows ahead of need, so that no write fails for want of growth
(docs/operations.md, "Disk space and the map size").

A server started with a small map (--map-bytes) takes a few thousand writes from several concurrent
keep-alive connections; not one is answered 503, the map grew past two doublings (the server logs
each growth), the data outgrew the initial map, and a restarted server keeps the grown map."""
import http.client
import json
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import TOKEN, Server, run  # noqa: E402

INITIAL_MAP_BYTES = 2 * 1024 * 1024
CONNECTIONS = 8
CASES_PER_CONNECTION = 200  # two writes each: the case and an event on it
JOIN_TIMEOUT_S = 300.0

CREATE_BODY = {
    "verwijzer": "gemeente",
    "gemeente": "rotterdam",
    "casusregisseur": "cr-rotterdam",
    "regie_intensiteit": "midden",
    "toestemming_gegevensdeling": True,
    "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"},
}
TOEWIJZEN = {"event": "toewijzen",
             "data": {"aanbieder": "horizon-jeugdzorg", "product": "45A12", "begindatum": "2027-02-01",
                      "einddatum": "2027-12-31"}}


def _writer(port, n, results, errors):
    """One keep-alive connection: n cases, each created (half of them under an Idempotency-Key) and
    then assigned.  Appends (what, status) to results."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Bearer " + TOKEN["pr-rotterdam"], "Content-Type": "application/json"}
    try:
        for i in range(n):
            h = dict(headers)
            if i % 2 == 0:
                h["Idempotency-Key"] = "growth-%d-%d" % (threading.get_ident(), i)
            conn.request("POST", "/v1/cases", body=json.dumps(CREATE_BODY), headers=h)
            r = conn.getresponse()
            body = r.read()
            results.append(("create", r.status))
            if r.status != 201:
                errors.append(("create", r.status, body[:300]))
                continue
            cid = json.loads(body)["id"]
            conn.request("POST", "/v1/cases/%s/events" % cid, body=json.dumps(TOEWIJZEN), headers=headers)
            r = conn.getresponse()
            body = r.read()
            results.append(("event", r.status))
            if r.status != 200:
                errors.append(("event", r.status, body[:300]))
    except Exception as e:  # reported by the test, not lost in the thread
        errors.append(("exception", repr(e), b""))
    finally:
        conn.close()


def _growths(stderr):
    """The map sizes the server logged growing to, in order."""
    return [int(m) for m in re.findall(r"map grown to (\d+) bytes", stderr)]


def _metric(s, name):
    st, _, data = s.raw("GET", "/metrics", TOKEN["admin"])
    assert st == 200, st
    for line in data.decode().split("\n"):
        if line.startswith(name + " "):
            return int(float(line.split()[-1]))
    raise AssertionError("metric %s missing" % name)


def test_small_map_grows_without_503():
    """A 2 MiB map under thousands of concurrent writes: zero 503, zero failed commits."""
    args = ["--map-bytes", str(INITIAL_MAP_BYTES)]
    with Server(extra_args=args) as s:
        results, errors = [], []
        threads = [threading.Thread(target=_writer, args=(s.port, CASES_PER_CONNECTION, results, errors))
                   for _ in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(JOIN_TIMEOUT_S)
        assert not any(t.is_alive() for t in threads), "writers did not finish in %.0f s" % JOIN_TIMEOUT_S
        statuses = [st for _, st in results]
        assert statuses.count(503) == 0, "%d writes got 503: %r" % (statuses.count(503), errors[:5])
        assert not errors, errors[:5]
        assert len(results) == 2 * CONNECTIONS * CASES_PER_CONNECTION, len(results)
        assert _metric(s, "casusd_commit_failures_total") == 0
        assert _metric(s, 'casusd_writes_total{outcome="failed"}') == 0

        # The map grew past two doublings of its initial size ...
        grown = _growths(s.stderr())
        assert grown and max(grown) >= 4 * INITIAL_MAP_BYTES, (grown, s.stderr())
        assert "MDB_MAP_FULL" not in s.stderr(), s.stderr()
        # ... and the data it holds outgrew the initial map.
        size = os.path.getsize(os.path.join(s.data, "data.mdb"))
        assert size > INITIAL_MAP_BYTES, size

        # Restarted with the same small --map-bytes, the store keeps its grown map: it needs no
        # growth, holds every case, and takes more writes.
        s.restart()
        assert _growths(s.stderr()) == [], s.stderr()
        st, body = s.req("GET", "/v1/cases?limit=1", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        case = s.create_a()
        st, body = s.toewijzen(case["id"])
        assert st == 200, (st, body)
        # every case is there (ids are random: they are counted, not read off the last id)
        ids, cursor = set(), None
        while True:
            st, body = s.req("GET", "/v1/cases?limit=100" + ("&cursor=" + cursor if cursor else ""),
                             TOKEN["pr-rotterdam"])
            assert st == 200, (st, body)
            ids.update(c["id"] for c in body["cases"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(ids) == CONNECTIONS * CASES_PER_CONNECTION + 1 and case["id"] in ids, len(ids)


if __name__ == "__main__":
    run(globals())
