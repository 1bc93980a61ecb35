"""HTTP API tests: request semantics -- expected_version, Idempotency-Key, malformed bodies, state
errors, case list filtering and paging, statecharts, keep-alive (API.md; R-AUD-1 history)."""
import http.client
import json
import os
import subprocess
import socket
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, TOKEN, Server, assert_error, run  # noqa: E402

MON = "2027-01-04T09:00:00+01:00"


def _state(s, cid):
    case = s.get_case(cid, "pr-rotterdam")
    return case["version"], case["state"], case["flags"], case["fields"], len(s.history(cid, "pr-rotterdam"))


def _events_path(cid):
    return "/v1/cases/%s/events" % cid


def test_expected_version_mismatch_409():
    """API expected_version: a stale version -> 409 version_mismatch and nothing changes; the right one
    -> 200 (R-AUD-1: one history entry per accepted event)."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        assert s.get_case(cid, "pr-rotterdam")["version"] == 1
        for stale in (0, 2, 7, -1):
            before = _state(s, cid)
            st, resp = s.toewijzen(cid, expected_version=stale)
            assert_error(st, resp, 409, code="version_mismatch")
            assert _state(s, cid) == before
        st, case = s.toewijzen(cid, expected_version=1)
        assert st == 200 and case["version"] == 2 and case["status"] == "toegewezen", (st, case)
        st, resp = s.event(cid, "ab-horizon", "start_zorg", expected_version=1)
        assert_error(st, resp, 409, code="version_mismatch")
        assert s.get_case(cid, "ab-horizon")["status"] == "toegewezen"
        case = s.fire(cid, "ab-horizon", "start_zorg", expected_version=2)
        assert case["version"] == 3 and case["status"] == "in_zorg", case
        assert [e["version"] for e in s.history(cid, "pr-rotterdam")] == [1, 2, 3]
        st, resp = s.req("POST", _events_path(cid), TOKEN["ab-horizon"],
                         {"event": "overbrugging_starten", "expected_version": "3"})
        assert_error(st, resp, 400)
        assert s.get_case(cid, "ab-horizon")["version"] == 3


def test_expected_version_race_one_wins():
    """API expected_version: two concurrent writers with the same expected_version: one 200, one 409."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        conns = [http.client.HTTPConnection("127.0.0.1", s.port, timeout=10) for _ in range(2)]
        try:
            bodies = [{"event": "casusregisseur_wijzigen", "data": {"casusregisseur": "cr2-rotterdam"},
                       "expected_version": 2},
                      {"event": "casusregisseur_wijzigen", "data": {"casusregisseur": "cr-schiedam"},
                       "expected_version": 2}]
            for c, b in zip(conns, bodies):
                c.request("POST", _events_path(cid), body=json.dumps(b),
                          headers={"Authorization": "Bearer " + TOKEN["pr-rotterdam"],
                                   "Content-Type": "application/json"})
            results = []
            for c in conns:
                r = c.getresponse()
                results.append((r.status, json.loads(r.read())))
        finally:
            for c in conns:
                c.close()
        statuses = sorted(st for st, _ in results)
        assert statuses == [200, 409], results
        loser = [b for st, b in results if st == 409][0]
        assert_error(409, loser, 409, code="version_mismatch")
        winner = [b for st, b in results if st == 200][0]
        case = s.get_case(cid, "pr-rotterdam")
        assert case["version"] == 3 and case["fields"]["casusregisseur"] == winner["fields"]["casusregisseur"]
        assert len(s.history(cid, "pr-rotterdam")) == 3


def test_idempotency_same_key_same_body():
    """API Idempotency-Key: the same key with the same body returns the first reply (status and body)
    and changes nothing: the version advances once, history has one entry."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        body = json.dumps({"event": "start_zorg", "data": {"startdatum": "2027-01-04"}})
        hdr = {"Idempotency-Key": "start-zorg-1"}
        st1, _, raw1 = s.raw("POST", _events_path(cid), TOKEN["ab-horizon"], body, hdr)
        assert st1 == 200, (st1, raw1)
        for _ in range(3):
            st2, _, raw2 = s.raw("POST", _events_path(cid), TOKEN["ab-horizon"], body, hdr)
            assert (st2, raw2) == (st1, raw1), (st2, raw2, raw1)
        # the same JSON with other key order and spacing is the same request
        same = '{ "data": {"startdatum": "2027-01-04"},  "event": "start_zorg" }'
        st3, _, raw3 = s.raw("POST", _events_path(cid), TOKEN["ab-horizon"], same, hdr)
        assert (st3, raw3) == (st1, raw1), (st3, raw3)
        case = s.get_case(cid, "pr-rotterdam")
        assert case["version"] == 3 and case["status"] == "in_zorg", case
        h = s.history(cid, "pr-rotterdam")
        assert [e["event"] for e in h] == ["aanmelden", "toewijzen", "start_zorg"], h
        # the key is durable: after a restart the retry still gets the first reply
        s.restart()
        st4, _, raw4 = s.raw("POST", _events_path(cid), TOKEN["ab-horizon"], body, hdr)
        assert (st4, raw4) == (st1, raw1), (st4, raw4)
        assert len(s.history(cid, "pr-rotterdam")) == 3
        # without the key the same request is a new one: start_zorg is no longer allowed
        st, resp = s.event(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-04"})
        assert_error(st, resp, 409, code="not_allowed_in_state")


def test_idempotency_key_reused_with_other_body_422():
    """API Idempotency-Key: the same key with another body -> 422 idempotency_key_reused; nothing changes."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        hdr = {"Idempotency-Key": "k-42"}
        case = s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"},
                      headers=hdr)
        assert case["version"] == 3
        before = _state(s, cid)
        for data in ({"casusregisseur": "cr-rotterdam"}, {"casusregisseur": "cr2-rotterdam", "toelichting": "x"}):
            st, resp = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", data, headers=hdr)
            assert_error(st, resp, 422, code="idempotency_key_reused")
            assert _state(s, cid) == before
        # the same key on another case's path is another request too
        other = s.create_a()["id"]
        st, resp = s.event(other, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"},
                           headers=hdr)
        assert_error(st, resp, 422, code="idempotency_key_reused")
        assert s.get_case(other, "pr-rotterdam")["version"] == 1
        # and the original request still replays
        st, resp = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"},
                           headers=hdr)
        assert st == 200 and resp["version"] == 3, (st, resp)


def test_idempotency_key_length_limit():
    """API Idempotency-Key: at most 128 bytes (docs/api.md, limits.h); a longer or empty key is a
    malformed request (400) and nothing changes."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        for key in ("k" * 129, "k" * 600, "k" * 4000, ""):
            before = _state(s, cid)
            st, resp = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"},
                               headers={"Idempotency-Key": key})
            assert_error(st, resp, 400, code="bad_request")
            assert _state(s, cid) == before
            st, resp = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"],
                             {"verwijzer": "gemeente", "gemeente": "rotterdam",
                              "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}},
                             headers={"Idempotency-Key": key})
            assert_error(st, resp, 400, code="bad_request")
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert len(lst["cases"]) == 1, lst
        key = {"Idempotency-Key": "k" * 128}
        first = s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"}, headers=key)
        again = s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"}, headers=key)
        assert first == again and first["version"] == 3, (first, again)


def test_idempotent_create():
    """API Idempotency-Key on POST /v1/cases: one case however often the request is repeated."""
    with Server(now=MON) as s:
        body = json.dumps({"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                           "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}})
        hdr = {"Idempotency-Key": "aanmelding-0001"}
        first = s.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"], body, hdr)
        assert first[0] == 201, first
        for _ in range(2):
            again = s.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"], body, hdr)
            assert (again[0], again[2]) == (first[0], first[2]), again
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert [c["id"] for c in lst["cases"]] == [json.loads(first[2])["id"]], lst


def test_malformed_bodies_400():
    """API 400: invalid JSON, a body that is not an object, an empty body, unknown keys -> 400; nothing changes."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        before = _state(s, cid)
        for raw in ('{"event": "toewijzen",', "{bad}", "nul", '{"event": "a"} x', "\xff\xfe"):
            st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], raw)
            assert_error(st, resp, 400, code="invalid_json")
            st, resp = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"], raw)
            assert_error(st, resp, 400, code="invalid_json")
        for raw in ("[]", '["toewijzen"]', '"toewijzen"', "42", "null", "true"):
            st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], raw)
            assert_error(st, resp, 400)
            st, resp = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"], raw)
            assert_error(st, resp, 400)
        st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], "")
        assert_error(st, resp, 400)
        for body in ({}, {"event": 5}, {"event": "toewijzen", "extra": 1}, {"data": {}}):
            st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], body)
            assert_error(st, resp, 400, code="bad_request")
        st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], {"event": "toewijzen", "data": [1]})
        assert st in (400, 422), (st, resp)
        assert_error(st, resp, st)
        assert _state(s, cid) == before
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert len(lst["cases"]) == 1, lst


def test_body_too_large_413():
    """API 413: a body over the limit is refused; the server keeps serving."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        big = json.dumps({"event": "toewijzen", "data": {"x": "a" * (300 * 1024)}})
        st, resp = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], big)
        assert_error(st, resp, 413, code="body_too_large")
        assert s.get_case(cid, "pr-rotterdam")["version"] == 1


def test_unknown_event_400_and_not_allowed_in_state_409():
    """API: an event the chart does not have -> 400 unknown_event; an event not allowed in the current
    state -> 409 not_allowed_in_state; neither changes the case."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        before = _state(s, cid)
        for event in ("vliegen", "Toewijzen", "aanmelden_x"):
            st, resp = s.event(cid, "pr-rotterdam", event, {})
            assert_error(st, resp, 400, code="unknown_event")
        for who, event, data in [("pr-rotterdam", "toewijzing_toekennen", {}),
                                 ("pr-rotterdam", "toewijzing_afwijzen", {"reden": "x"}),
                                 ("pr-rotterdam", "verzoek_in_onderzoek", {})]:
            st, resp = s.event(cid, who, event, data)
            assert_error(st, resp, 409, code="not_allowed_in_state")
        assert _state(s, cid) == before
        s.toewijzen(cid)
        st, resp = s.toewijzen(cid)
        assert_error(st, resp, 409, code="not_allowed_in_state")
        for event, data in [("zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-01-04"}),
                            ("zorg_opschorten", {})]:
            st, resp = s.event(cid, "ab-horizon", event, data)
            assert_error(st, resp, 409, code="not_allowed_in_state")
        assert s.get_case(cid, "pr-rotterdam")["version"] == 2


def test_invalid_data_names_its_field():
    """API: a 422 invalid_data of the data schema names the refused field in "field" (a path into the data:
    nested members with dots, array items with [i]), for a create and for an event; a refusal that is not
    about one field (a guard, the data as a whole) has no "field"; nothing changes."""
    with Server(now=MON) as s:
        body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "jeugdige": {"geboortedatum": "2015-06-01"}}
        st, resp = s.create("pr-rotterdam", body)
        assert_error(st, resp, 422, code="invalid_data")
        assert resp["error"]["field"] == "jeugdige.naam", resp
        st, resp = s.create("pr-rotterdam", dict(body, jeugdige={"naam": "A", "geboortedatum": "2015-06-01"},
                                                 regie_intensiteit="hoog"))
        assert_error(st, resp, 422, code="invalid_data")
        assert resp["error"]["field"] == "regie_intensiteit" and "licht" in resp["error"]["message"], resp
        st, resp = s.create("pr-rotterdam", dict(body, jeugdige={"naam": "A", "geboortedatum": "2015-06-01",
                                                                 "schoenmaat": 38}))
        assert_error(st, resp, 422, code="invalid_data")
        assert resp["error"]["field"] == "jeugdige.schoenmaat", resp
        cid = s.create_a()["id"]
        before = _state(s, cid)
        st, resp = s.event(cid, "pr-rotterdam", "toewijzen", {"aanbieder": HORIZON, "product": "45A12",
                                                               "begindatum": "2027-13-01", "einddatum": "2027-12-31",
                                                               "risicotaxatie": "geen_risico"})
        assert_error(st, resp, 422, code="invalid_data")
        assert resp["error"]["field"] == "begindatum", resp
        # a guard (R-TW-7: the einddatum before the begindatum) is about the case, not one field
        st, resp = s.event(cid, "pr-rotterdam", "toewijzen", {"aanbieder": HORIZON, "product": "45A12",
                                                               "begindatum": "2027-12-31", "einddatum": "2027-01-04",
                                                               "risicotaxatie": "geen_risico"})
        assert st == 422 and "field" not in resp["error"], resp
        assert _state(s, cid) == before
        # an array item: the termination form's bijlagen.gespreksverslagen (strings)
        s.toewijzen(cid)
        s.fire(cid, "ab-horizon", "start_zorg")
        s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "geen voortgang"})
        st, resp = s.event(cid, "abm-horizon", "toestemmingsformulier_indienen", {
            "ondertekend_door": "M", "bijlagen": {"gespreksverslagen": ["a", 7], "afspraken": "x",
                                                  "eerste_waarschuwing": "w1", "tweede_waarschuwing": "w2"}})
        assert st == 422 and resp["error"].get("field") == "bijlagen.gespreksverslagen[1]", resp


def test_case_list_status_filter_and_cursor_paging():
    """API GET /v1/cases?status=...&cursor=...&limit=...: filter by status, page with the cursor; every
    visible case exactly once, other organisations' cases never."""
    with Server(now=MON) as s:
        ids = []
        for i in range(7):
            cid = s.create_a()["id"]
            ids.append(cid)
            s.create_a(gemeente="schiedam")  # interleaved cases of another gemeente
        toegewezen = ids[1::2]
        for cid in toegewezen:
            s.toewijzen(cid)
        aangemeld = [c for c in ids if c not in toegewezen]

        def pages(query, who="pr-rotterdam"):
            out, cursor, seen = [], None, 0
            while True:
                q = query + ("&cursor=" + cursor if cursor else "")
                st, body = s.req("GET", "/v1/cases?" + q, TOKEN[who])
                assert st == 200, (q, st, body)
                assert "next_cursor" in body, body
                assert len(body["cases"]) <= 2, body
                out.append([c["id"] for c in body["cases"]])
                cursor = body["next_cursor"]
                seen += 1
                assert seen < 20, out
                if cursor is None:
                    return out
                assert body["cases"], "an empty page with a next_cursor: %r" % (body,)

        all_pages = pages("limit=2")
        flat = [c for p in all_pages for c in p]
        assert flat == sorted(ids), (all_pages, ids)  # in id order (ids are random, not in creation order)
        assert [len(p) for p in all_pages[:-1]] == [2] * (len(all_pages) - 1), all_pages
        flat = [c for p in pages("status=toegewezen&limit=2") for c in p]
        assert flat == sorted(toegewezen), flat
        flat = [c for p in pages("status=aangemeld&limit=2") for c in p]
        assert flat == sorted(aangemeld), flat
        for status in ("in_zorg", "beeindigd", "bestaat_niet"):
            st, body = s.req("GET", "/v1/cases?status=" + status, TOKEN["pr-rotterdam"])
            assert st == 200 and body["cases"] == [] and body["next_cursor"] is None, body
        st, body = s.req("GET", "/v1/cases?status=toegewezen", TOKEN["ab-horizon"])
        assert [c["id"] for c in body["cases"]] == sorted(toegewezen), body
        st, body = s.req("GET", "/v1/cases?status=aangemeld", TOKEN["ab-horizon"])
        assert body["cases"] == [], body
        for status, want in (("toegewezen", []), ("aangemeld", 7)):
            st, body = s.req("GET", "/v1/cases?status=%s&limit=100" % status, TOKEN["pr-schiedam"])
            got = body["cases"]
            assert (len(got) if isinstance(want, int) else got) == want, body
            assert all(c["fields"]["gemeente"] == "schiedam" for c in got), got
        for bad in ("limit=0", "limit=101", "limit=-1"):
            st, body = s.req("GET", "/v1/cases?" + bad, TOKEN["pr-rotterdam"])
            assert_error(st, body, 400)


def test_statecharts():
    """API GET /v1/statecharts and /v1/statecharts/{id}: the loaded charts, for any actor."""
    with Server(now=MON) as s:
        for who in ("pr-rotterdam", "ab-horizon", "cm-rijnmond", "admin"):
            st, body = s.req("GET", "/v1/statecharts", TOKEN[who])
            assert st == 200, (st, body)
            ids = [c["id"] for c in body["statecharts"]]
            assert "jeugdhulp-rijnmond" in ids, body
            entry = [c for c in body["statecharts"] if c["id"] == "jeugdhulp-rijnmond"][0]
            assert entry["version"] == 1 and entry.get("ref") == "jeugdhulp-rijnmond@1", entry
        st, chart = s.req("GET", "/v1/statecharts/jeugdhulp-rijnmond", TOKEN["pr-rotterdam"])
        assert st == 200 and chart["id"] == "jeugdhulp-rijnmond" and chart["version"] == 1, chart
        src = os.path.join(os.environ.get("CASUS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                           "statecharts", "jeugdhulp-rijnmond.json")
        # The served chart is the file with its includes resolved (docs/statecharts.md, Composition).
        resolved = subprocess.run([os.environ.get("CASUSD", "build/casusd"), "statechart", "export", "--format",
                                   "json", src], capture_output=True, text=True, timeout=120, check=True).stdout
        assert chart == json.loads(resolved), "the served chart differs from statecharts/jeugdhulp-rijnmond.json"
        st, chart2 = s.req("GET", "/v1/statecharts/jeugdhulp-rijnmond@1", TOKEN["ab-horizon"])
        assert st == 200 and chart2 == chart, st
        for missing in ("bestaat-niet", "jeugdhulp-rijnmond@9"):
            st, body = s.req("GET", "/v1/statecharts/" + missing, TOKEN["pr-rotterdam"])
            assert_error(st, body, 404, code="not_found")


def test_keep_alive_many_requests_one_connection():
    """API HTTP/1.1 keep-alive: many requests (reads, writes and errors) on one connection."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        conn = s.connection()
        s.req("GET", "/healthz")
        sock = conn.sock
        assert sock is not None
        local = sock.getsockname()
        for i in range(60):
            st, _ = s.req("GET", "/v1/cases/" + cid, TOKEN["pr-rotterdam"])
            assert st == 200
            st, _ = s.req("GET", "/v1/cases/c-999999", TOKEN["pr-rotterdam"])
            assert st == 404
            st, _ = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen",
                            {"casusregisseur": "cr2-rotterdam" if i % 2 == 0 else "cr-rotterdam"})
            assert st == 200
            st, _ = s.req("POST", _events_path(cid), TOKEN["pr-rotterdam"], "{bad json")
            assert st == 400
            st, _ = s.req("GET", "/v1/inbox", "unknown-token")
            assert st == 401
            assert s.conn is conn and conn.sock is sock and sock.getsockname() == local, "connection was reopened"
        assert s.get_case(cid, "pr-rotterdam")["version"] == 61


def _read_responses(sock, n, timeout_s):
    """Reads n HTTP responses (Content-Length framed) from sock within timeout_s; returns
    [(status, body bytes)] -- fewer when the server does not answer in time."""
    buf, out = b"", []
    deadline = time.monotonic() + timeout_s
    while len(out) < n:
        while True:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                break
            head = buf[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(buf) < head_end + 4 + length:
                break
            out.append((int(head.split(" ")[1]), buf[head_end + 4:head_end + 4 + length]))
            buf = buf[head_end + 4 + length:]
        if len(out) >= n:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return out


def test_keep_alive_pipelined_writes_answered_in_order():
    """API HTTP/1.1 keep-alive: requests pipelined on one connection -- writes among them -- are all
    answered, in order, without waiting for other traffic."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        auth = "Authorization: Bearer %s\r\n" % TOKEN["pr-rotterdam"]

        def post(who):
            body = json.dumps({"event": "casusregisseur_wijzigen", "data": {"casusregisseur": who}})
            return ("POST /v1/cases/%s/events HTTP/1.1\r\nHost: t\r\n%sContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n\r\n%s" % (cid, auth, len(body), body)).encode()
        get = ("GET /v1/cases/%s HTTP/1.1\r\nHost: t\r\n%s\r\n" % (cid, auth)).encode()
        batch = b"".join([post("cr2-rotterdam"), post("cr-rotterdam"), get, post("cr2-rotterdam"), get,
                          post("cr-rotterdam"), post("cr2-rotterdam"), get])
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            sock.sendall(batch)
            got = _read_responses(sock, 8, 5.0)
        finally:
            sock.close()
        assert [st for st, _ in got] == [200] * 8, "pipelined replies: %r" % ([st for st, _ in got],)
        versions = [json.loads(b)["version"] for _, b in got]
        assert versions == [2, 3, 3, 4, 4, 5, 6, 6], versions
        assert s.get_case(cid, "pr-rotterdam")["version"] == 6


if __name__ == "__main__":
    run(globals())
