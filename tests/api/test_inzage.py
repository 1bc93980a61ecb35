"""Inzage (AVG art. 15; issue 13 part 4; docs/security.md, "Inzage"): `casusd export` and
GET /v1/inzage write one JSON document with every case of one jeugdige, each with its whole history
and access log.  The jeugdige is matched exactly on fields.jeugdige: bsn, or naam and geboortedatum
together.  The API is the procesregisseur's, for its gemeente's cases, and each exported case gets
an "export" entry in its access log."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, TOKEN, Server, assert_error, run, tmpdir  # noqa: E402

SAM = {"naam": "Sam de Vries", "geboortedatum": "2015-06-01", "bsn": "123456782"}


def seed(s):
    """Two cases of Sam (rotterdam, schiedam), one of a namesake born another day, one of a
    differently written name.  Returns their ids."""
    a = s.create_a(jeugdige=dict(SAM))["id"]
    b = s.create_a(gemeente="schiedam", jeugdige={"naam": SAM["naam"], "geboortedatum": SAM["geboortedatum"]})["id"]
    other = s.create_a(jeugdige={"naam": SAM["naam"], "geboortedatum": "2015-06-02"})["id"]
    lower = s.create_a(jeugdige={"naam": "sam de vries", "geboortedatum": SAM["geboortedatum"]})["id"]
    s.fire(a, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
    s.get_case(a, "cr2-rotterdam")
    return a, b, other, lower


def export(data, *args):
    p = subprocess.run([CASUSD, "export", "--data", data] + list(args), capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def check_doc(doc, ids):
    assert set(doc) == {"inzage", "jeugdige", "generated", "cases"}, doc.keys()
    assert sorted(c["case"]["id"] for c in doc["cases"]) == sorted(ids), [c["case"]["id"] for c in doc["cases"]]
    for c in doc["cases"]:
        assert set(c) == {"case", "history", "access_log"}, c.keys()
        assert [e["seq"] for e in c["history"]] == list(range(1, len(c["history"]) + 1)), c["history"]
        assert c["history"] and c["access_log"], c
        assert all(e["case_id"] == c["case"]["id"] for e in c["access_log"])


def test_export_cli_by_name_and_by_bsn_beside_a_running_server():
    with Server() as s:
        a, b, other, lower = seed(s)
        # beside the running server: one read snapshot, nothing written
        rc, out, err = export(s.data, "--jeugdige", SAM["naam"], "--geboortedatum", SAM["geboortedatum"])
        assert rc == 0, err
        doc = json.loads(out)
        check_doc(doc, [a, b])
        assert doc["jeugdige"] == {"naam": SAM["naam"], "geboortedatum": SAM["geboortedatum"]}
        ca = [c for c in doc["cases"] if c["case"]["id"] == a][0]
        assert [e["access"] for e in ca["access_log"]] == ["event", "event", "view"], ca["access_log"]
        assert [e["event"] for e in ca["history"]][-1] == "casusregisseur_wijzigen", ca["history"]
        rc, out, err = export(s.data, "--bsn", SAM["bsn"])
        assert rc == 0, err
        check_doc(json.loads(out), [a])
        rc, out, err = export(s.data, "--bsn", "999999990")
        assert rc == 0 and json.loads(out)["cases"] == [], (rc, out, err)
        # the CLI's export wrote nothing: no access-log entry
        st, body = s.req("GET", "/v1/cases/%s/access-log" % a, TOKEN["pr-rotterdam"])
        assert st == 200 and [e["access"] for e in body["entries"]] == ["event", "event", "view"], body
    # and with the server stopped
    rc, out, err = export(s.data, "--jeugdige", "sam de vries", "--geboortedatum", SAM["geboortedatum"])
    assert rc == 0, err
    check_doc(json.loads(out), [lower])


def test_export_cli_refuses_wrong_options():
    with Server() as s:
        s.create_a()
    for args in ([], ["--jeugdige", "Sam"], ["--geboortedatum", "2015-06-01"],
                 ["--bsn", "1", "--jeugdige", "Sam", "--geboortedatum", "2015-06-01"],
                 ["--jeugdige", "Sam", "--geboortedatum", "1-6-2015"],
                 ["--jeugdige", "Sam", "--geboortedatum", "2015-02-30"],
                 ["--bsn", ""], ["--bsn", "1" * 17], ["--bsn", "1", "extra"], ["--nope"]):
        rc, out, err = export(s.data, *args)
        assert rc == 2 and out == "" and err, (args, rc, out, err)
    p = subprocess.run([CASUSD, "export", "--bsn", "1"], capture_output=True, timeout=60)
    assert p.returncode == 2 and b"Usage" in p.stderr
    empty = tmpdir("casus-export-")
    rc, out, err = export(empty, "--bsn", "1")
    assert rc == 2 and "no store" in err, (rc, err)
    assert not os.path.exists(os.path.join(empty, "data.mdb")), "an export never makes a store"
    p = subprocess.run([CASUSD, "export", "--help"], capture_output=True, timeout=60)
    assert p.returncode == 0 and b"--geboortedatum" in p.stdout


def test_inzage_api_for_the_procesregisseur_logged_as_export():
    with Server() as s:
        a, b, other, lower = seed(s)
        st, hdrs, raw = s.raw("GET", "/v1/inzage?naam=Sam%20de%20Vries&geboortedatum=2015-06-01",
                              TOKEN["pr-rotterdam"])
        assert st == 200, raw
        doc = json.loads(raw)
        check_doc(doc, [a])  # the schiedam case is not rotterdam's
        st, body = s.req("GET", "/v1/inzage?bsn=123456782", TOKEN["pr-rotterdam"])
        assert st == 200
        check_doc(body, [a])
        st, body = s.req("GET", "/v1/inzage?bsn=123456782", TOKEN["pr-schiedam"])
        assert st == 200 and body["cases"] == [], body  # schiedam's case of Sam carries no bsn
        st, body = s.req("GET", "/v1/inzage?naam=Sam%20de%20Vries&geboortedatum=2015-06-01", TOKEN["pr-schiedam"])
        check_doc(body, [b])
        # each export is an "export" entry of the case, with the request id
        st, body = s.req("GET", "/v1/cases/%s/access-log" % a, TOKEN["pr-rotterdam"])
        exports = [e for e in body["entries"] if e["access"] == "export"]
        assert len(exports) == 2 and exports[0]["request_id"] == hdrs["x-request-id"], exports
        assert exports[0]["actor"] == "pr-rotterdam" and exports[0]["role"] == "procesregisseur", exports
        st, body = s.req("GET", "/v1/cases/%s/access-log" % other, TOKEN["pr-rotterdam"])
        assert "export" not in [e["access"] for e in body["entries"]], body


def test_inzage_api_refusals():
    with Server() as s:
        seed(s)
        for who in ("cr-rotterdam", "ab-horizon", "admin", "tm-rotterdam"):
            st, body = s.req("GET", "/v1/inzage?bsn=123456782", TOKEN[who])
            assert_error(st, body, 403, rule="R-AUTH-2")
        st, body = s.req("GET", "/v1/inzage?bsn=123456782")
        assert_error(st, body, 401)
        for q in ("", "?naam=Sam", "?geboortedatum=2015-06-01", "?bsn=1&naam=Sam&geboortedatum=2015-06-01",
                  "?naam=Sam&geboortedatum=2015-13-01", "?bsn=", "?other=1", "?bsn=1&bsn=2"):
            st, body = s.req("GET", "/v1/inzage" + q, TOKEN["pr-rotterdam"])
            assert_error(st, body, 400)
        st, body = s.req("POST", "/v1/inzage", TOKEN["pr-rotterdam"], {})
        assert_error(st, body, 405)


if __name__ == "__main__":
    run(globals())
