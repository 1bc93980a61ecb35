"""HTTP API tests: the access log (NEN 7513; issue 13 part 3; docs/security.md, "Access log").

Every read and write of case data leaves an entry: time, actor, role, organisation, on_behalf_of
(when the token says so), the case, what was accessed (view, history, list, stream, export, event)
and the request id, which every reply carries as X-Request-Id.  GET /v1/cases/{id}/access-log pages
it for the case's casusregisseur and the procesregisseur of its gemeente (403 for others who see
the case, 404 for those who do not).  Reads share the group commit (no commit of their own), their
entries survive a kill -9 once the read is answered, and entries older than five years are swept.

Runs under /usr/bin/python3, as every API test: the OIDC token with an on-behalf-of claim needs
python3-jwt.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import TOKEN, Server, assert_error, metrics, run  # noqa: E402

KINDS = {"view", "history", "list", "stream", "export", "event"}
FIELDS = {"seq", "time", "actor", "role", "org", "case_id", "access", "request_id"}
RETENTION_DAYS = 5 * 365 + 2  # LIMIT_ACCESS_LOG_RETENTION_DAYS


def log(s, cid, who="pr-rotterdam", query=""):
    st, body = s.req("GET", "/v1/cases/%s/access-log%s" % (cid, query), TOKEN[who])
    assert st == 200, (st, body)
    return body


def whole_log(s, cid, who="pr-rotterdam"):
    entries, after = [], None
    for _ in range(1000):
        body = log(s, cid, who, "" if after is None else "?after=%d" % after)
        entries += body["entries"]
        if body["next"] is None:
            return entries
        after = body["next"]
    raise AssertionError("too many pages")


def check_entry(e, cid, who, role, org, access):
    assert set(e) == FIELDS, e
    assert (e["case_id"], e["actor"], e["role"], e["org"], e["access"]) == (cid, who, role, org, access), e
    assert isinstance(e["seq"], int) and e["seq"] > 0, e
    assert len(e["request_id"]) == 32 and all(ch in "0123456789abcdef" for ch in e["request_id"]), e
    assert e["time"].startswith("2027-01-04T"), e


def test_each_kind_is_logged_with_its_fields_and_request_id():
    with Server() as s:
        st, hdrs, raw = s.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"], json.dumps({
            "verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
            "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
            "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}}))
        assert st == 201, raw
        cid = json.loads(raw)["id"]
        create_rid = hdrs["x-request-id"]
        other = s.create_a()["id"]
        rids = {}
        for kind, path in (("view", "/v1/cases/%s" % cid), ("history", "/v1/cases/%s/history" % cid),
                           ("list", "/v1/cases")):
            st, hdrs, raw = s.raw("GET", path, TOKEN["cr-rotterdam"])
            assert st == 200, raw
            rids[kind] = hdrs["x-request-id"]
        assert len(set(rids.values()) | {create_rid}) == 4, "a request id per request"
        entries = whole_log(s, cid)
        check_entry(entries[0], cid, "pr-rotterdam", "procesregisseur", "rotterdam", "event")
        assert entries[0]["request_id"] == create_rid
        for e, kind in zip(entries[1:], ("view", "history", "list")):
            check_entry(e, cid, "cr-rotterdam", "casusregisseur", "rotterdam", kind)
            assert e["request_id"] == rids[kind], (e, rids)
        assert len(entries) == 4, entries
        assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
        # the list logged one entry per case returned: the other case has its own
        other_entries = whole_log(s, other)
        assert [e["access"] for e in other_entries] == ["event", "list"], other_entries
        assert other_entries[1]["request_id"] == rids["list"]
        # an event is an "event" entry; a refused one (403) logs nothing
        s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        st, body = s.event(cid, "ab-kompas", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        assert st == 404, (st, body)
        entries = whole_log(s, cid)
        assert [e["access"] for e in entries] == ["event", "view", "history", "list", "event"], entries
        # a case the caller may not see is not logged as read: 404 and no entry
        st, _ = s.req("GET", "/v1/cases/%s" % cid, TOKEN["pr-schiedam"])
        assert st == 404
        assert len(whole_log(s, cid)) == 5
        # every reply carries a request id, errors included
        st, hdrs, _ = s.raw("GET", "/v1/cases/nope", TOKEN["pr-rotterdam"])
        assert st == 404 and len(hdrs["x-request-id"]) == 32, hdrs
        st, hdrs, _ = s.raw("GET", "/healthz")
        assert st == 200 and len(hdrs["x-request-id"]) == 32, hdrs


def test_on_behalf_of_from_the_token():
    """An OIDC token's on-behalf-of claim (here RFC 8693's "act") is in the entry; a token without
    one leaves the member out."""
    from test_oidc import claims, mint, oidc_server  # python3-jwt: this file runs under /usr/bin/python3
    s = oidc_server()
    with s:
        cid = s.create_a()["id"]
        tok = mint(claims(act={"sub": "medewerker-42"}))
        st, hdrs, raw = s.raw("GET", "/v1/cases/%s" % cid, tok)
        assert st == 200, raw
        st, _ = s.req("GET", "/v1/cases/%s/history" % cid, mint(claims()))
        assert st == 200
        entries = whole_log(s, cid)
        view, hist = entries[1], entries[2]
        assert set(view) == FIELDS | {"on_behalf_of"}, view
        assert (view["actor"], view["role"], view["org"], view["on_behalf_of"], view["access"]) == (
            "pr-oidc", "procesregisseur", "rotterdam", "medewerker-42", "view"), view
        assert view["request_id"] == hdrs["x-request-id"]
        assert set(hist) == FIELDS and hist["access"] == "history", hist


def test_stream_logs_what_it_sent():
    with Server() as s:
        cid = s.create_a()["id"]
        st, body = s.toewijzen(cid)  # a task for the aanbieder
        assert st == 200, body
        assert s.inbox("ab-horizon"), "the aanbieder has an item to stream"
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        sock.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                      % TOKEN["ab-horizon"]).encode())
        buf = b""
        deadline = time.time() + 10
        while b"data: " not in buf and time.time() < deadline:
            buf += sock.recv(65536)
        assert b"data: " in buf, buf
        rid = [ln for ln in buf.decode().split("\r\n") if ln.lower().startswith("x-request-id:")][0].split(": ")[1]
        for _ in range(100):
            streamed = [e for e in whole_log(s, cid) if e["access"] == "stream"]
            if streamed:
                break
            time.sleep(0.05)
        sock.close()
        assert streamed, whole_log(s, cid)
        check_entry(streamed[0], cid, "ab-horizon", "aanbieder", "horizon-jeugdzorg", "stream")
        assert streamed[0]["request_id"] == rid


def test_access_log_pages():
    with Server() as s:
        cid = s.create_a()["id"]
        for _ in range(7):
            s.get_case(cid, "cr-rotterdam")
        body = log(s, cid, query="?limit=3")
        assert set(body) == {"case_id", "entries", "next"} and len(body["entries"]) == 3, body
        assert body["next"] == body["entries"][-1]["seq"]
        seen, after = list(body["entries"]), body["next"]
        while after is not None:
            body = log(s, cid, query="?limit=3&after=%d" % after)
            seen += body["entries"]
            after = body["next"]
        assert [e["access"] for e in seen] == ["event"] + ["view"] * 7, seen
        assert len({e["seq"] for e in seen}) == 8
        assert log(s, cid, query="?after=%d" % seen[-1]["seq"])["entries"] == []
        for q in ("?limit=0", "?limit=1001", "?after=x", "?bogus=1", "?limit=1&limit=2"):
            st, body = s.req("GET", "/v1/cases/%s/access-log%s" % (cid, q), TOKEN["pr-rotterdam"])
            assert_error(st, body, 400)


def test_access_log_scope_403_404():
    with Server() as s:
        cid = s.create_a()["id"]
        st, body = s.toewijzen(cid)
        assert st == 200, body
        # the casusregisseur of the case, and the procesregisseur of its gemeente
        log(s, cid, "cr-rotterdam")
        log(s, cid, "pr-rotterdam")
        # others who see the case: 403
        for who in ("cr2-rotterdam", "tm-rotterdam", "ab-horizon"):
            st, body = s.req("GET", "/v1/cases/%s" % cid, TOKEN[who])
            assert st == 200, (who, st, body)
            st, body = s.req("GET", "/v1/cases/%s/access-log" % cid, TOKEN[who])
            assert_error(st, body, 403, rule="R-AUTH-2")
        # those who do not see it: 404, as for an unknown case
        for who in ("pr-schiedam", "cr-alkmaar", "ab-kompas", "admin"):
            st, body = s.req("GET", "/v1/cases/%s/access-log" % cid, TOKEN[who])
            assert_error(st, body, 404)
        st, body = s.req("GET", "/v1/cases/c-unknown/access-log", TOKEN["pr-rotterdam"])
        assert_error(st, body, 404)
        st, body = s.req("GET", "/v1/cases/%s/access-log" % cid)
        assert_error(st, body, 401)
        # a new casusregisseur reads it; the former one no longer does
        s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        log(s, cid, "cr2-rotterdam")
        st, body = s.req("GET", "/v1/cases/%s/access-log" % cid, TOKEN["cr-rotterdam"])
        assert_error(st, body, 403)


def _reader(port, path, token, n, out, barrier):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait()
    for _ in range(n):
        conn.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = conn.getresponse()
        r.read()
        out.append(r.status)
    conn.close()


def test_reads_share_the_group_commit():
    """Reads do not commit (nor fsync) on their own: concurrent reads are carried by fewer commits
    than there are reads, and a read of nothing (an empty list) commits nothing."""
    threads_n, per = 8, 25
    with Server() as s:
        cid = s.create_a()["id"]
        before = metrics(s)
        st, _ = s.req("GET", "/v1/cases", TOKEN["pr-schiedam"])  # lists no case: no entry
        assert st == 200
        mid = metrics(s)
        assert mid["casusd_commits_total"] == before["casusd_commits_total"], (before, mid)
        out, barrier = [], threading.Barrier(threads_n)
        ts = [threading.Thread(target=_reader, args=(s.port, "/v1/cases/%s" % cid, TOKEN["cr-rotterdam"],
                                                     per, out, barrier)) for _ in range(threads_n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        assert out == [200] * (threads_n * per), out
        after = metrics(s)
        reads = after["casusd_reads_logged_total"] - mid["casusd_reads_logged_total"]
        commits = after["casusd_commits_total"] - mid["casusd_commits_total"]
        assert reads == threads_n * per, reads
        assert commits < reads, (commits, reads)
        assert after["casusd_batch_requests_max"] > 1, after
        assert after["casusd_access_entries_total"] - mid["casusd_access_entries_total"] == reads
        assert len(whole_log(s, cid)) == 1 + reads


def test_read_fails_when_its_entry_cannot_be_written():
    """No read without its entry: when the group commit carrying it fails, the read fails with the
    store's error, and no data leaves."""
    s = Server()
    s.start()
    try:
        cid = s.create_a()["id"]
        s.stop()
        # every commit fails after the first (the start's timer commit)
        s.env = {"CASUSD_TEST_FAULT": "commit:2:EIO:always"}
        s.start()
        for path in ("/v1/cases/%s" % cid, "/v1/cases/%s/history" % cid, "/v1/cases"):
            st, body = s.req("GET", path, TOKEN["cr-rotterdam"])
            err = assert_error(st, body, 503)
            assert "id" not in json.dumps(body), body
        s.stop()
        s.env = {}
        s.start()
        assert [e["access"] for e in whole_log(s, cid)] == ["event"]
    finally:
        s.stop()


def test_sweep_after_five_years():
    with Server() as s:
        old = s.create_a()["id"]
        s.get_case(old, "cr-rotterdam")
        assert len(whole_log(s, old)) == 2
        # just under five years (plus the leap days): kept
        s.clock("2032-01-04T09:00:00+01:00")
        s.get_case(old, "cr-rotterdam")
        assert len(whole_log(s, old)) == 3
        # past the retention: the two first go at the next group commit, the later one stays
        s.clock("2032-01-06T09:00:00+01:00")
        s.create_a()
        entries = whole_log(s, old)
        assert [e["time"][:4] for e in entries] == ["2032"], entries
        assert metrics(s)['casusd_swept_total{db="access"}'] >= 2


def _writer(port, cid, acked, stop):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while not stop.is_set():
            conn.request("GET", "/v1/cases/%s" % cid, headers={"Authorization": "Bearer " + TOKEN["cr-rotterdam"]})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                acked.append(r.getheader("X-Request-Id"))
    except (OSError, http.client.HTTPException):
        return


def test_entries_of_answered_reads_survive_kill_9():
    with Server() as s:
        cid = s.create_a()["id"]
        for cycle in range(4):
            acked, stop = [], threading.Event()
            ts = [threading.Thread(target=_writer, args=(s.port, cid, acked, stop)) for _ in range(3)]
            for t in ts:
                t.start()
            time.sleep(0.1 + 0.1 * cycle)
            s.proc.kill()
            stop.set()
            for t in ts:
                t.join(10)
            s._reap()
            s.start()
            logged = {e["request_id"] for e in whole_log(s, cid)}
            missing = set(acked) - logged
            assert acked and not missing, (len(acked), len(missing))


if __name__ == "__main__":
    run(globals())
