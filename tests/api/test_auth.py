"""HTTP API tests: authentication and organisation scoping (R-AUTH-1, R-AUTH-2, R-PRIV-1)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import DEFAULT_NOW, HORIZON, KOMPAS, SOURCE_DIR, TOKEN, Server, assert_error, run  # noqa: E402

UNKNOWN_ID = "c-999999"


def _case_at_horizon(s):
    """A rotterdam route A case assigned to horizon-jeugdzorg (status toegewezen)."""
    case = s.create_a()
    st, body = s.toewijzen(case["id"])
    assert st == 200, (st, body)
    return body


def _snapshot(s, case_id):
    case = s.get_case(case_id, "pr-rotterdam")
    return case["version"], case["state"], case["status"], case["flags"], len(s.history(case_id, "pr-rotterdam"))


def test_r_auth_1_no_token_401():
    """R-AUTH-1: every route but /healthz needs a bearer token: none -> 401 unauthenticated."""
    with Server() as s:
        case = _case_at_horizon(s)
        cid = case["id"]
        calls = [
            ("GET", "/v1/cases", None),
            ("POST", "/v1/cases", {"verwijzer": "gemeente", "gemeente": "rotterdam",
                                   "jeugdige": {"naam": "X", "geboortedatum": "2015-01-01"}}),
            ("GET", "/v1/cases/" + cid, None),
            ("POST", "/v1/cases/%s/events" % cid, {"event": "start_zorg"}),
            ("GET", "/v1/cases/%s/history" % cid, None),
            ("GET", "/v1/inbox", None),
            ("GET", "/v1/statecharts", None),
            ("GET", "/v1/statecharts/jeugdhulp-rijnmond", None),
            ("PUT", "/v1/admin/clock", {"now": "2027-02-01T09:00:00+01:00"}),
        ]
        for method, path, body in calls:
            st, resp = s.req(method, path, None, body)
            assert_error(st, resp, 401, code="unauthenticated")
            # a malformed Authorization header is no token either
            st, resp = s.req(method, path, None, body, headers={"Authorization": "Basic " + TOKEN["admin"]})
            assert_error(st, resp, 401, code="unauthenticated")
        # nothing happened: no second case, no event, clock unchanged
        after = s.get_case(cid, "pr-rotterdam")
        assert after["version"] == case["version"] and after["status"] == "toegewezen", after
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert st == 200 and [c["id"] for c in lst["cases"]] == [cid], lst


def test_r_auth_1_unknown_token_401():
    """R-AUTH-1: an unknown bearer token -> 401, also a known token's hash or a prefix of a token."""
    with Server() as s:
        case = _case_at_horizon(s)
        import hashlib
        bad_tokens = ["nope", TOKEN["pr-rotterdam"] + "x", TOKEN["pr-rotterdam"][:-1],
                      hashlib.sha256(TOKEN["pr-rotterdam"].encode()).hexdigest()]
        for tok in bad_tokens:
            for method, path in [("GET", "/v1/cases/" + case["id"]), ("GET", "/v1/cases"), ("GET", "/v1/inbox")]:
                st, resp = s.req(method, path, tok)
                assert_error(st, resp, 401, code="unauthenticated")
            st, resp = s.event(case["id"], "ab-horizon", "start_zorg",
                               headers={"Authorization": "Bearer " + tok})
            assert_error(st, resp, 401, code="unauthenticated")
        assert s.get_case(case["id"], "pr-rotterdam")["version"] == case["version"]


def test_me_says_who_the_token_is_and_what_it_may_create():
    """GET /v1/me: the token's actor, role and organisation, and the charts whose create entries admit
    its role (the werkbank's menu); 401 without a known token."""
    with Server() as s:
        for aid, role, org, creates in (("pr-rotterdam", "procesregisseur", "rotterdam", ["jeugdhulp-rijnmond"]),
                                        ("ab-horizon", "aanbieder", HORIZON, ["jeugdhulp-rijnmond"]),
                                        ("cm-rijnmond", "contractmanager", "rijnmond", []),
                                        ("tm-rotterdam", "teammanager", "rotterdam", [])):
            st, me = s.req("GET", "/v1/me", TOKEN[aid])
            assert st == 200, (st, me)
            assert {k: me[k] for k in ("id", "role", "org")} == {"id": aid, "role": role, "org": org}, me
            assert me["now"] == "2027-01-04T09:00:00+01:00", me  # the manual clock's, not the wall clock
            assert me["creates"] == creates, (aid, me)
        st, resp = s.req("GET", "/v1/me", "nope")
        assert_error(st, resp, 401, code="unauthenticated")
        st, resp = s.req("GET", "/v1/me")
        assert_error(st, resp, 401, code="unauthenticated")


def test_me_creates_only_the_charts_of_the_callers_regions():
    """GET /v1/me's "creates" lists the charts of the regions the caller works in (its gemeente's, its
    GI's), not every loaded chart; an aanbieder, which may ask for a toewijzing anywhere, gets every
    region's chart that admits it. The demo configuration: five regions, five charts."""
    with open(os.path.join(SOURCE_DIR, "config", "demo.json")) as f:
        cfg = json.load(f)
    cfg["now"] = DEFAULT_NOW
    with Server(config=cfg) as s:
        def creates(aid):
            st, me = s.req("GET", "/v1/me", "demo-" + aid)
            assert st == 200, (aid, st, me)
            return me["creates"]
        assert creates("pr-rotterdam") == ["jeugdhulp-rijnmond"]
        assert creates("pr-jb-rijnmond") == ["jeugdhulp-rijnmond"]  # the GI of region rijnmond
        assert creates("pr-hoorn") == ["jeugdhulp-westfriesland"]
        assert creates("pr-apeldoorn") == ["jeugdhulp-mijov"]
        assert creates("pr-maastricht") == ["jeugdhulp-zuid-limburg"]
        assert creates("pr-alkmaar") == ["jeugdhulp-alkmaar"]
        assert creates("cr-hoorn") == [] and creates("cm-rijnmond") == []
        # every region's chart whose create entries admit an aanbieder (route B and its counterparts)
        everywhere = []
        for region in cfg["regions"].values():
            st, chart = s.req("GET", "/v1/statecharts/" + region["chart"], "demo-ab-horizon")
            assert st == 200, (st, chart)
            if any("aanbieder" in e["roles"] for e in chart.get("create", [])) and chart["id"] not in everywhere:
                everywhere.append(chart["id"])
        assert everywhere and creates("ab-horizon") == everywhere, (everywhere, creates("ab-horizon"))


def test_r_auth_1_wrong_role_403_case_unchanged():
    """R-AUTH-1: a role the transition does not name gets 403 rule R-AUTH-1; the case is unchanged."""
    with Server() as s:
        aangemeld = s.create_a()
        toegewezen = _case_at_horizon(s)
        st, verzoek = s.create_b()
        assert st == 201, verzoek
        attempts = [
            # (case, actor, event, data) -- each actor can see the case, but its role may not fire the event
            (aangemeld, "cr-rotterdam", "toewijzen",
             {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-02-01", "einddatum": "2027-12-31"}),
            (aangemeld, "tm-rotterdam", "toewijzen",
             {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-02-01", "einddatum": "2027-12-31"}),
            (aangemeld, "zbt-rijnmond", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"}),
            (aangemeld, "cr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"}),
            (toegewezen, "pr-rotterdam", "start_zorg", None),
            (toegewezen, "cr-rotterdam", "start_zorg", None),
            (toegewezen, "tm-rotterdam", "start_zorg", None),
            (toegewezen, "abm-horizon", "start_zorg", None),
            (toegewezen, "zbt-rijnmond", "start_zorg", None),
            (toegewezen, "pr-rotterdam", "toewijzing_weigeren", {"reden": "te_zware_hulpvraag"}),
            (toegewezen, "ab-horizon", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"}),
            (toegewezen, "pr-rotterdam", "arrangement_betwisten", {"toelichting": "oneens"}),
            (verzoek, "ab-horizon", "toewijzing_toekennen", {}),
            (verzoek, "cr-rotterdam", "toewijzing_toekennen", {}),
            (verzoek, "ab-horizon", "toewijzing_afwijzen", {"reden": "eigen besluit"}),
        ]
        for case, who, event, data in attempts:
            before = _snapshot(s, case["id"])
            st, resp = s.event(case["id"], who, event, data)
            err = assert_error(st, resp, 403, code="forbidden", rule="R-AUTH-1")
            assert event in err["message"] or "role" in err["message"].lower(), err
            # the same with the right expected_version: still 403, not a version question
            st, resp = s.event(case["id"], who, event, data, expected_version=before[0])
            assert_error(st, resp, 403, rule="R-AUTH-1")
            after = _snapshot(s, case["id"])
            assert after == before, "%s by %s changed the case: %r -> %r" % (event, who, before, after)
        # the system-only timer events cannot be fired by anyone
        for who in ("pr-rotterdam", "ab-horizon", "cr-rotterdam"):
            before = _snapshot(s, toegewezen["id"])
            st, resp = s.event(toegewezen["id"], who, "start_zorg_termijn_verlopen", {})
            assert_error(st, resp, 403, rule="R-AUTH-1")
            assert _snapshot(s, toegewezen["id"]) == before
        # and the rightful roles still can (the 403s left nothing behind)
        s.fire(toegewezen["id"], "ab-horizon", "start_zorg")
        s.fire(verzoek["id"], "pr-rotterdam", "toewijzing_toekennen")


def test_r_auth_1_create_roles():
    """R-AUTH-1: only procesregisseur (route A/C) and aanbieder (route B) create cases; others 403."""
    with Server() as s:
        body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}
        for who in ("cr-rotterdam", "tm-rotterdam", "abm-horizon", "cm-rijnmond", "admin"):
            st, resp = s.create(who, body)
            assert_error(st, resp, 403, code="forbidden")
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert st == 200 and lst["cases"] == [], lst


def test_r_auth_2_foreign_org_404_no_existence_leak():
    """R-AUTH-2: a foreign organisation gets 404 on GET case, history and events, with the same body
    as an unknown id (schiedam procesregisseur, other provider, contractmanager of another region)."""
    with Server() as s:
        case = _case_at_horizon(s)
        cid = case["id"]
        # R-PRIV-1: the region's own contractmanager too, as long as the case did not reach it; and the GI,
        # for a route A case (R-TW-1)
        foreign = ["pr-schiedam", "cr-schiedam", "tm-schiedam", "pr-alkmaar", "cr-alkmaar",
                   "ab-kompas", "abm-kompas", "cm-holland-noord", "cm-rijnmond", "pr-jb-rijnmond", "cr-jb-rijnmond",
                   "admin"]
        for who in foreign:
            for suffix in ("", "/history"):
                st_u, unknown = s.req("GET", "/v1/cases/%s%s" % (UNKNOWN_ID, suffix), TOKEN[who])
                st_f, found = s.req("GET", "/v1/cases/%s%s" % (cid, suffix), TOKEN[who])
                assert_error(st_u, unknown, 404, code="not_found")
                assert_error(st_f, found, 404, code="not_found")
                assert found == unknown, "%s GET %s leaks existence: %r vs %r" % (who, suffix, found, unknown)
            # events: 404 whatever the event, identical to an unknown id, and nothing changes
            for event, data in [("start_zorg", None), ("toewijzen", {"aanbieder": KOMPAS}),
                                ("casusregisseur_wijzigen", {"casusregisseur": "x"}), ("geen_event", {})]:
                before = _snapshot(s, cid)
                st_u, unknown = s.event(UNKNOWN_ID, who, event, data)
                st_f, found = s.event(cid, who, event, data)
                assert_error(st_f, found, 404, code="not_found")
                assert (st_f, found) == (st_u, unknown), "%s %s leaks existence: %r vs %r" % (who, event, found, unknown)
                assert _snapshot(s, cid) == before
            # and the case is not in their list
            st, lst = s.req("GET", "/v1/cases", TOKEN[who])
            assert st == 200 and cid not in [c["id"] for c in lst["cases"]], (who, lst)
        # the organisations involved do see it
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam", "ab-horizon", "abm-horizon", "zbt-rijnmond"):
            assert s.get_case(cid, who)["id"] == cid
            assert len(s.history(cid, who)) == 2


def test_r_auth_2_provider_sees_only_assigned_cases():
    """R-AUTH-2: a provider sees a case only while it is assigned to its own org."""
    with Server() as s:
        case = s.create_a()
        cid = case["id"]
        for who in ("ab-horizon", "ab-kompas"):  # not assigned yet: no provider sees it
            st, resp = s.req("GET", "/v1/cases/" + cid, TOKEN[who])
            assert_error(st, resp, 404, code="not_found")
        s.toewijzen(cid, aanbieder=KOMPAS)
        assert s.get_case(cid, "ab-kompas")["status"] == "toegewezen"
        st, resp = s.req("GET", "/v1/cases/" + cid, TOKEN["ab-horizon"])
        assert_error(st, resp, 404, code="not_found")


def test_r_auth_2_create_only_for_own_org():
    """R-AUTH-2: a provider cannot create a case for another provider, a procesregisseur not for another
    gemeente (403); nothing is created."""
    with Server() as s:
        st, resp = s.create_b(who="ab-kompas", aanbieder=HORIZON)
        assert_error(st, resp, 403, code="forbidden")
        st, resp = s.create_b(who="abm-horizon", aanbieder=HORIZON)  # a manager does not file verzoeken
        assert_error(st, resp, 403, code="forbidden")
        for pr, gemeente in (("pr-schiedam", "rotterdam"), ("pr-rotterdam", "schiedam"), ("pr-rotterdam", "alkmaar"),
                             ("pr-alkmaar", "rotterdam")):
            st, resp = s.create(pr, {"verwijzer": "gemeente", "gemeente": gemeente,
                                     "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}})
            assert_error(st, resp, 403, code="forbidden")
        for who in ("pr-rotterdam", "pr-schiedam", "pr-alkmaar", "ab-horizon", "ab-kompas", "cm-rijnmond"):
            st, lst = s.req("GET", "/v1/cases", TOKEN[who])
            assert st == 200 and lst["cases"] == [], (who, lst)
        # the same requests for the own organisation succeed
        st, resp = s.create_b(who="ab-kompas", aanbieder=KOMPAS)
        assert st == 201, resp
        s.create_a(gemeente="schiedam")


def test_r_auth_2_case_list_only_visible():
    """R-AUTH-2, R-PRIV-1: GET /v1/cases lists exactly the caller's visible cases; a contractmanager sees
    none of its region's cases until one reaches it (DOMAIN 4.1; test_gi_gezin.py has the escalation), the
    zbt its region's cases, anonymised."""
    with Server() as s:
        rot_h = s.create_a()["id"]
        s.toewijzen(rot_h, aanbieder=HORIZON)
        rot_k = s.create_a()["id"]
        s.toewijzen(rot_k, aanbieder=KOMPAS)
        rot_open = s.create_a()["id"]
        sch_k = s.create_a(gemeente="schiedam")["id"]
        s.toewijzen(sch_k, pr="pr-schiedam", aanbieder=KOMPAS)
        alk_h = s.create_a(gemeente="alkmaar")["id"]
        s.toewijzen(alk_h, pr="pr-alkmaar", aanbieder=HORIZON)
        expect = {
            "pr-rotterdam": {rot_h, rot_k, rot_open},
            "cr-rotterdam": {rot_h, rot_k, rot_open},
            "tm-rotterdam": {rot_h, rot_k, rot_open},
            "pr-schiedam": {sch_k},
            "cr-schiedam": {sch_k},
            "pr-alkmaar": {alk_h},
            "ab-horizon": {rot_h, alk_h},
            "abm-horizon": {rot_h, alk_h},
            "ab-kompas": {rot_k, sch_k},
            "abm-kompas": {rot_k, sch_k},
            "cm-rijnmond": set(),
            "cm-holland-noord": set(),
            "zbt-rijnmond": {rot_h, rot_k, rot_open, sch_k},
            "zbt-holland-noord": {alk_h},
            "pr-jb-rijnmond": set(),
            "admin": set(),
        }
        for who, want in expect.items():
            st, lst = s.req("GET", "/v1/cases", TOKEN[who])
            assert st == 200, (who, st, lst)
            got = [c["id"] for c in lst["cases"]]
            assert len(got) == len(set(got)) and set(got) == want, "%s sees %s, want %s" % (who, got, sorted(want))
            if who.startswith("zbt-"):
                for c in lst["cases"]:
                    assert "jeugdige" not in c["fields"] and c.get("anoniem") is True, (who, c)
                    assert c["fields"].get("pseudoniem"), c


def test_r_auth_admin_clock_only_admin():
    """R-TIME-4, R-AUTH-1: only an admin may set the clock; others 403 and the clock is unchanged."""
    with Server(now="2027-01-04T09:00:00+01:00") as s:
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam", "ab-horizon", "abm-horizon", "cm-rijnmond"):
            st, resp = s.req("PUT", "/v1/admin/clock", TOKEN[who], {"now": "2030-01-01T09:00:00+01:00"})
            assert_error(st, resp, 403, code="forbidden")
        case = s.create_a()
        assert case["created"] == "2027-01-04T09:00:00+01:00", case["created"]
        st, resp = s.set_clock("2027-01-05T09:00:00+01:00")
        assert st == 200 and resp["now"] == "2027-01-05T09:00:00+01:00", resp


def test_healthz_without_token():
    """/healthz needs no token: 200 (with or without a token)."""
    with Server() as s:
        st, body = s.req("GET", "/healthz")
        assert st == 200, (st, body)
        st, body = s.req("GET", "/healthz", "unknown-token")
        assert st == 200, (st, body)


def test_unknown_path_404_and_error_shape():
    """Unknown paths -> 404; every error body is {"error": {"code", "message", "rule"?}}."""
    with Server() as s:
        for path in ("/", "/v1", "/v2/cases", "/v1/casesx", "/v1/cases/c-1/unknown", "/v1/inbox/x",
                     "/v1/cases/c-1/events/x", "/metricsx"):
            for tok in (None, TOKEN["pr-rotterdam"]):
                st, body = s.req("GET", path, tok)
                assert_error(st, body, 404, code="not_found")
        st, body = s.req("DELETE", "/v1/cases", TOKEN["pr-rotterdam"])
        assert_error(st, body, 405)
        # an id with characters no id has is no route either
        st, body = s.req("GET", "/v1/cases/c%20000001", TOKEN["pr-rotterdam"])
        assert st in (400, 404), (st, body)
        assert_error(st, body, st)


if __name__ == "__main__":
    run(globals())
