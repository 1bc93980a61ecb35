"""X-Request-Id (issue 14): taken from the request when well-formed (1 to 64 letters, digits, "-_.:"),
made up otherwise (32 hex digits), returned on every response (errors and the stream too) and
recorded in the history entries of the writes it makes and in the access-log entries it leaves."""
import socket

from casus import Server, run, TOKEN


def test_taken_when_well_formed():
    "a well-formed id comes back as sent, on a success, an error and a refusal by the router"
    with Server() as s:
        for rid in ["abc", "A-b_c.d:e", "x" * 64, "0123456789abcdef0123456789abcdef"]:
            for method, path, token, want in [("GET", "/healthz", None, 200), ("GET", "/v1/cases", None, 401),
                                              ("GET", "/v1/nope", TOKEN["admin"], 404)]:
                st, h, _ = s.raw(method, path, token, headers={"X-Request-Id": rid})
                assert st == want and h.get("x-request-id") == rid, (rid, path, st, h)


def test_made_up_otherwise():
    "absent, too long, or with other characters: the server makes one up (32 hex digits), a new one each time"
    with Server() as s:
        seen = set()
        for rid in [None, "x" * 65, "has space", "semi;colon", "ä", "a/b", ""]:
            headers = {"X-Request-Id": rid} if rid is not None else None
            st, h, _ = s.raw("GET", "/healthz", headers=headers)
            got = h.get("x-request-id")
            assert st == 200 and got and got != rid, (rid, h)
            assert len(got) == 32 and all(ch in "0123456789abcdef" for ch in got), got
            assert got not in seen, got
            seen.add(got)
        # A request the HTTP layer refuses before any header: still an id.
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(b"GARBAGE\r\n\r\n")
            head = sock.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 400"), head
        rid = [l for l in head.split("\r\n") if l.startswith("X-Request-Id: ")][0][len("X-Request-Id: "):]
        assert len(rid) == 32 and all(ch in "0123456789abcdef" for ch in rid), head
        # The stream's head carries the request's id.
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nX-Request-Id: stream-1\r\n"
                          "Authorization: Bearer %s\r\n\r\n" % TOKEN["pr-rotterdam"]).encode())
            head = sock.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 200") and "\r\nX-Request-Id: stream-1\r\n" in head, head


def test_recorded_in_history():
    "the create's and an event's entries carry their request's id; a refused write records nothing"
    with Server() as s:
        body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
                "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}}
        st, case = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"], body, {"X-Request-Id": "create-1"})
        assert st == 201, (st, case)
        st, refused = s.req("POST", "/v1/cases/%s/events" % case["id"], TOKEN["pr-rotterdam"],
                            {"event": "no_such_event"}, {"X-Request-Id": "refused-1"})
        assert st == 400, (st, refused)
        st, h, _ = s.raw("POST", "/v1/cases/%s/events" % case["id"], TOKEN["pr-rotterdam"],
                         '{"event": "casusregisseur_wijzigen", "data": {"casusregisseur": "cr2-rotterdam"}}',
                         {"X-Request-Id": "event-1"})
        assert st == 200 and h["x-request-id"] == "event-1", (st, h)
        entries = s.history(case["id"], "pr-rotterdam")
        assert [e.get("request_id") for e in entries] == ["create-1", "event-1"], entries
        # A write without the header records the id the server made up and returned.
        st, h, _ = s.raw("POST", "/v1/cases/%s/events" % case["id"], TOKEN["pr-rotterdam"],
                         '{"event": "casusregisseur_wijzigen", "data": {"casusregisseur": "cr-rotterdam"}}')
        assert st == 200, (st, h)
        entries = s.history(case["id"], "pr-rotterdam")
        assert entries[-1]["request_id"] == h["x-request-id"], (entries[-1], h)



def test_recorded_in_access_log():
    "a client's id is the access-log entry's request_id, for a write and for a read"
    with Server() as s:
        cid = s.create_a()["id"]
        st, h, _ = s.raw("GET", "/v1/cases/%s" % cid, TOKEN["cr-rotterdam"], headers={"X-Request-Id": "view:1"})
        assert st == 200 and h["x-request-id"] == "view:1", (st, h)
        st, h, _ = s.raw("POST", "/v1/cases/%s/events" % cid, TOKEN["pr-rotterdam"],
                         '{"event": "casusregisseur_wijzigen", "data": {"casusregisseur": "cr2-rotterdam"}}',
                         {"X-Request-Id": "event.2"})
        assert st == 200 and h["x-request-id"] == "event.2", (st, h)
        st, body = s.req("GET", "/v1/cases/%s/access-log" % cid, TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        got = [(e["access"], e["request_id"]) for e in body["entries"]]
        assert got[1:] == [("view", "view:1"), ("event", "event.2")], got
        assert got[0][0] == "event" and len(got[0][1]) == 32, got


if __name__ == "__main__":
    run(globals())
