"""HTTP API tests: retention (issue 13 part 5; docs/security.md, "Retention").

- R-RET-1: a case that closes gets its archiefactiedatum, the day its care ended plus its region's
  bewaartermijn ("bewaartermijn_jaren", default 20 years: Jeugdwet art. 7.3.8), shown in the case view.
- R-RET-2: `casusd purge --data DIR [--dry-run] [--now DAY]` destroys every closed case on or after its
  archiefactiedatum -- the case, its history, inbox items, idempotency records, timers, index entries and
  access log -- beside a running server; its tombstone stays in the register, and `casusd verify` passes.
  A case not yet due, and an open case, stay intact.
- R-RET-3: early destruction on request (Jeugdwet art. 7.3.9) is POST /v1/cases/{id}/destroy by a
  procesregisseur of the case's gemeente, for a closed case, with codes (who asked, the legal ground);
  the register keeps case id, date, codes and who decided, no content of the case.
- R-RET-4: when an exception of art. 7.3.9 applies (a substantial interest of another, a legal duty to
  keep), nothing is destroyed.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, TOKEN, Server, assert_error, make_config, run, tmpdir  # noqa: E402
from test_process import T0, ams, in_zorg  # noqa: E402

NAME = "Sam de Vries"  # the jeugdige of in_zorg's cases: must never reach the register


def casusd(*args):
    p = subprocess.run([CASUSD] + list(args), capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def close(s, cid, day):
    """The aanbieder ends care regularly (JZ588 31) on day; returns the case view."""
    s.clock(ams(day))
    case = s.fire(cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": day})
    assert case["closed"] is True, case
    return case


def config(**terms):
    cfg = make_config(T0)
    for region, years in terms.items():
        cfg["regions"][region]["bewaartermijn_jaren"] = years
    return cfg


def in_zorg_alkmaar(s):
    """A case of alkmaar (region holland-noord) in care since today; returns its id."""
    a = s.create_a(gemeente="alkmaar")["id"]
    s.fire(a, "pr-alkmaar", "toewijzen", {"aanbieder": "horizon-jeugdzorg", "product": "45A12",
                                          "begindatum": "2027-04-01", "einddatum": "2027-12-31",
                                          "risicotaxatie": "geen_risico"})
    s.fire(a, "ab-horizon", "start_zorg")
    return a


def gone(s, cid, pr="pr-rotterdam"):
    """Nothing of case cid is reachable over the API any more (404, not in lists or inboxes)."""
    for path in ("/v1/cases/%s", "/v1/cases/%s/history", "/v1/cases/%s/access-log"):
        st, body = s.req("GET", path % cid, TOKEN[pr])
        assert_error(st, body, 404, "not_found")
    st, body = s.req("GET", "/v1/cases", TOKEN[pr])
    assert st == 200 and cid not in [c["id"] for c in body["cases"]], body
    for who in (pr, "cr-rotterdam", "cr-alkmaar", "ab-horizon"):
        assert all(i.get("case_id") != cid for i in s.inbox(who)), who


def intact(s, cid, closed, pr="pr-rotterdam"):
    case = s.get_case(cid, pr)
    assert case["closed"] is closed, case
    assert len(s.history(cid, pr)) >= 3
    st, body = s.req("GET", "/v1/cases/%s/access-log" % cid, TOKEN[pr])
    assert st == 200 and body["entries"], (st, body)
    return case


def register(data):
    rc, out, err = casusd("register", "--data", data)
    assert rc == 0, (rc, out, err)
    assert NAME not in out and "jeugdige" not in out, out  # no content of the case
    return json.loads(out)["destroyed"]


def verify_ok(data, destroyed):
    rc, out, err = casusd("verify", "--data", data)
    assert rc == 0 and out.startswith("ok:"), (rc, out, err)
    assert "%d destroyed cases in the register" % destroyed in out, out


def test_r_ret_1_archiefactiedatum_is_end_of_care_plus_the_regions_term():
    """R-RET-1: closing a case dates its destruction: the day care ended + 20 years (rijnmond's default),
    + 30 years where the region configures "bewaartermijn_jaren": 30; open cases have none."""
    with Server(now=T0, config=config(**{"holland-noord": 30})) as s:
        cid = in_zorg(s)
        assert "archiefactiedatum" not in s.get_case(cid, "pr-rotterdam")
        case = close(s, cid, "2027-04-08")
        assert case["archiefactiedatum"] == "2047-04-08", case
        assert s.get_case(cid, "cr-rotterdam")["archiefactiedatum"] == "2047-04-08"
        # alkmaar lies in holland-noord: 30 years
        s.clock(ams("2027-04-08"))
        a = in_zorg_alkmaar(s)
        case = close(s, a, "2027-04-15")
        assert case["archiefactiedatum"] == "2057-04-15", case


def test_r_ret_1_a_term_below_the_law_is_refused_at_start():
    """R-RET-1: Jeugdwet art. 7.3.8's 20 years are a minimum: "bewaartermijn_jaren": 5 refuses the start."""
    d = tmpdir()
    path = os.path.join(d, "config.json")
    with open(path, "w") as f:
        json.dump(config(rijnmond=5), f)
    p = subprocess.run([CASUSD, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data",
                        os.path.join(d, "data")], capture_output=True, timeout=60)
    assert p.returncode != 0 and b"bewaartermijn_jaren" in p.stderr, (p.returncode, p.stderr)


def test_r_ret_2_purge_destroys_cases_past_their_date_beside_a_running_server():
    """R-RET-2: with the clock moved past one case's archiefactiedatum, purge --dry-run names it and
    changes nothing; purge destroys it -- case, history, inbox, access log, idempotency record -- while
    the server runs; the server answers 404 for it at once; a case not yet due and an open case stay
    intact; verify passes; the register keeps its tombstone, without content, closing its chain."""
    with Server(now=T0, config=config(**{"holland-noord": 30})) as s:
        due, later, still_open = in_zorg(s), in_zorg_alkmaar(s), in_zorg(s)
        # an idempotent write on the due case (its stored reply names the case), on the day it closes:
        # an idempotency record lives a day, an inbox notification 30 days
        s.clock(ams("2027-04-08", "09:00"))
        st, body = s.req("POST", "/v1/cases/%s/events" % due, TOKEN["cr-rotterdam"],
                         {"event": "evaluatie_vastleggen", "data": {"datum": "2027-04-08", "uitkomst": "ongewijzigd"}},
                         headers={"Idempotency-Key": "eval-1"})
        assert st == 200, (st, body)
        close(s, due, "2027-04-08")
        close(s, later, "2027-04-08")  # alkmaar: 30 years
        pr = {due: "pr-rotterdam", later: "pr-alkmaar", still_open: "pr-rotterdam"}
        for cid in (due, later, still_open):
            intact(s, cid, cid != still_open, pr[cid])
        entries = len(s.history(due, "pr-rotterdam"))

        # before its date: nothing is due
        rc, out, err = casusd("purge", "--data", s.data, "--now", "2047-04-07")
        assert rc == 0 and "0 cases destroyed" in out and due not in out, (rc, out, err)
        # a dry run past its date names it and changes nothing
        rc, out, err = casusd("purge", "--data", s.data, "--dry-run", "--now", "2047-06-01")
        assert rc == 0, (rc, out, err)
        assert "would destroy %s: archiefactiedatum 2047-04-08" % due in out, out
        assert later not in out and still_open not in out, out
        assert "1 cases would be destroyed" in out and "1 closed cases not yet due, 1 open cases kept" in out, out
        intact(s, due, True)
        assert register(s.data) == []

        # the purge itself, beside the running server
        rc, out, err = casusd("purge", "--data", s.data, "--now", "2047-06-01")
        assert rc == 0, (rc, out, err)
        line = [ln for ln in out.splitlines() if ln.startswith("destroyed %s" % due)]
        assert len(line) == 1 and "1 idempotency records" in line[0] and " 0 history" not in line[0], out
        assert "1 cases destroyed" in out, out
        gone(s, due)
        st, body = s.req("POST", "/v1/cases/%s/events" % due, TOKEN["cr-rotterdam"],
                         {"event": "evaluatie_vastleggen", "data": {"datum": "2027-04-08", "uitkomst": "ongewijzigd"}},
                         headers={"Idempotency-Key": "eval-1"})
        assert_error(st, body, 404, "not_found")  # the stored reply went with the case
        intact(s, later, True, "pr-alkmaar")
        intact(s, still_open, False)
        # the server goes on writing and reading beside it
        s.get_case(later, "cr-alkmaar")
        assert s.create_a()["id"] not in (due, later, still_open)

        verify_ok(s.data, 1)
        reg = register(s.data)
        assert len(reg) == 1, reg
        t = reg[0]
        assert t["case_id"] == due and t["grond"] == "bewaartermijn" and t["archiefactiedatum"] == "2047-04-08", t
        assert t["seq"] == 1 and t["besloten_door"] == "casusd purge" and t["time"].startswith("2047-06-01"), t
        assert t["history"]["seq"] == entries and len(t["history"]["hash"]) == 64, (t, entries)
        assert t["removed"]["history"] == entries and t["removed"]["access_log"] > 0, t
        assert t["removed"]["idempotency"] == 1 and t["removed"]["inbox"] > 0, t
        # a second purge finds nothing more
        rc, out, err = casusd("purge", "--data", s.data, "--now", "2047-06-01")
        assert rc == 0 and "0 cases destroyed" in out, (rc, out, err)
        # and once the second case is due, it goes too; the register chains both
        rc, out, err = casusd("purge", "--data", s.data, "--now", "2057-04-08T00:00:00+02:00")
        assert rc == 0 and "destroyed %s" % later in out and "1 cases destroyed" in out, (rc, out, err)
        gone(s, later, "pr-alkmaar")
        intact(s, still_open, False)
        reg = register(s.data)
        assert [t["seq"] for t in reg] == [1, 2] and reg[1]["prev_hash"] == reg[0]["hash"], reg
        verify_ok(s.data, 2)
    # and after a restart, the same
    verify_ok(s.data, 2)


def test_r_ret_2_purge_does_not_reach_backups():
    """R-RET-2: a purge destroys the case in the live store only: a backup taken before still holds it
    and verifies without a tombstone (docs/security.md: backups need a retention of their own)."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        close(s, cid, "2027-04-08")
        backup = os.path.join(tmpdir(), "copy")
        rc, out, err = casusd("backup", "--data", s.data, "--out", backup)
        assert rc == 0, (rc, out, err)
        rc, out, err = casusd("purge", "--data", s.data, "--now", "2047-04-08")
        assert rc == 0 and "destroyed %s" % cid in out, (rc, out, err)
        verify_ok(s.data, 1)
        verify_ok(backup, 0)
        rc, out, err = casusd("purge", "--data", backup, "--dry-run", "--now", "2047-04-08")
        assert rc == 0 and "would destroy %s" % cid in out, (rc, out, err)


def test_r_ret_3_early_destruction_on_request_by_the_procesregisseur():
    """R-RET-3: POST /v1/cases/{id}/destroy: an open case is refused (409); another role 403; a
    procesregisseur of another gemeente 404; codes only (a name is 400); with "uitzondering": "geen" the
    procesregisseur of the case's gemeente destroys it: 200 with the tombstone, then 404 everywhere; the
    register records who asked, the legal ground and who decided, and verify passes."""
    with Server(now=T0) as s:
        cid, other = in_zorg(s), in_zorg(s)
        body = {"verzocht_door": "jeugdige", "reden": "jeugdwet_7_3_9", "uitzondering": "geen"}
        path = "/v1/cases/%s/destroy" % cid
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], body)
        assert_error(st, r, 409, "not_allowed_in_state", "R-RET-3")
        close(s, cid, "2027-04-08")
        for who, status, code in (("cr-rotterdam", 403, "forbidden"), ("ab-horizon", 403, "forbidden"),
                                  ("pr-schiedam", 404, "not_found"), ("cm-rijnmond", 404, "not_found")):
            st, r = s.req("POST", path, TOKEN[who], body)
            assert_error(st, r, status, code)
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], dict(body, naam=NAME))
        assert_error(st, r, 400, "bad_request", "R-RET-3")
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], dict(body, verzocht_door="buurman"))
        assert_error(st, r, 422, "invalid_data", "R-RET-3")
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], {"verzocht_door": "ouder", "uitzondering": "geen"})
        assert_error(st, r, 422, "invalid_data", "R-RET-3")
        intact(s, cid, True)

        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], dict(body, verzocht_door="ouder"))
        assert st == 200, (st, r)
        t = r["destroyed"]
        assert t["case_id"] == cid and t["grond"] == "verzoek" and t["reden"] == "jeugdwet_7_3_9", t
        assert t["verzocht_door"] == "ouder" and t["besloten_door"] == "pr-rotterdam", t
        assert t["archiefactiedatum"] == "2047-04-08" and t["time"].startswith("2027-04-08"), t
        assert NAME not in json.dumps(r), r
        gone(s, cid)
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], body)
        assert_error(st, r, 404, "not_found")
        intact(s, other, False)
        reg = register(s.data)
        assert [x["case_id"] for x in reg] == [cid] and reg[0]["hash"] == t["hash"], reg
        verify_ok(s.data, 1)
        # the gemeente goes on: a new case is created and read as before
        new = s.create_a()["id"]
        assert new != cid and s.get_case(new, "pr-rotterdam")["id"] == new


def test_r_ret_4_an_exception_keeps_the_file():
    """R-RET-4: "uitzondering": "aanmerkelijk_belang_ander" or "wettelijke_plicht" (Jeugdwet art. 7.3.9):
    422 guard_failed, nothing destroyed, nothing in the register; an unknown exception is 422 too."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        close(s, cid, "2027-04-08")
        path = "/v1/cases/%s/destroy" % cid
        for exc in ("aanmerkelijk_belang_ander", "wettelijke_plicht"):
            st, r = s.req("POST", path, TOKEN["pr-rotterdam"],
                          {"verzocht_door": "jeugdige", "reden": "avg_17", "uitzondering": exc})
            err = assert_error(st, r, 422, "guard_failed", "R-RET-4")
            assert "kept" in err["message"], err
        st, r = s.req("POST", path, TOKEN["pr-rotterdam"], {"verzocht_door": "jeugdige", "reden": "avg_17"})
        assert_error(st, r, 422, "invalid_data", "R-RET-4")
        intact(s, cid, True)
        assert register(s.data) == []
        verify_ok(s.data, 0)


def test_r_ret_2_purge_usage_errors():
    """R-RET-2: purge's options: --help (exit 0, names the exit codes); no --data, an unknown option, a bad
    --now or a folder without a store are usage errors (exit 2) that change nothing."""
    rc, out, err = casusd("purge", "--help")
    assert rc == 0 and "Exit status 0" in out and "--dry-run" in out, (rc, out, err)
    rc, out, err = casusd("--help")
    assert rc == 0 and "purge" in out and "register" in out, out
    rc, out, err = casusd("purge")
    assert rc == 2 and "--data DIR is required" in err and "Usage: casusd purge" in err, (rc, out, err)
    rc, out, err = casusd("purge", "--data", tmpdir(), "--force")
    assert rc == 2 and "Usage: casusd purge" in err, (rc, out, err)
    empty = tmpdir()
    rc, out, err = casusd("purge", "--data", empty, "--now", "next year")
    assert rc == 2 and "--now takes" in err, (rc, out, err)
    rc, out, err = casusd("purge", "--data", empty)
    assert rc == 2 and "there is no store" in err and os.listdir(empty) == [], (rc, out, err, os.listdir(empty))
    rc, out, err = casusd("purge", "--data", empty, "stray")
    assert rc == 2, (rc, out, err)
    rc, out, err = casusd("register")
    assert rc == 2 and "Usage: casusd register" in err, (rc, out, err)


if __name__ == "__main__":
    run(globals())
