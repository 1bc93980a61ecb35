"""HTTP API tests of issue 10's route C, contractmanager scope and gezin:

- R-TW-1 route C by the GI or the ZBT (DOMAIN 4.1): a region's configured GIs ("gis") register, assign and
  run the route C cases of its gemeenten; the zbt may give the opdracht too; neither touches route A/B
  cases or another region's.
- R-PRIV-1 (DOMAIN 4.1): the contractmanager sees only cases that reached it (the R-BE-6 copy, an R-ESC-6/8
  escalation), in the view, the list, the history and its inbox/stream, without free text; on opt-out the
  GI keeps the identity while the Toegang sees the anonymised view (RIJ route C step 9).
- R-AUTH-3 for a gezin: cases linked to one gezin share one casusregisseur; changing it on one changes all
  in one write; GET /v1/cases?gezin=... lists them from the index.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, HORIZON, TOKEN, Server, assert_error, run, tasks  # noqa: E402
from test_process import FORMULIER, ams, in_zorg, procedure_to_form  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"
JEUGDIGE = {"naam": "Femke Zwanenburg", "geboortedatum": "2013-09-17", "bsn": "999990019"}
TOEWIJZING = {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-04-01", "einddatum": "2027-12-31",
              "risicotaxatie": "geen_risico"}


def route_c_body(**extra):
    body = {"verwijzer": "gi", "gemeente": "rotterdam", "regie_intensiteit": "intensief",
            "toestemming_gegevensdeling": True, "jeugdige": JEUGDIGE}
    body.update(extra)
    return body


def create_in_gezin(s, gezin, gemeente="rotterdam", **extra):
    """A route A case of the gezin that names no casusregisseur; returns the case."""
    body = {"verwijzer": "gemeente", "gemeente": gemeente, "gezin": gezin, "regie_intensiteit": "midden",
            "jeugdige": {"naam": "Broer de Vries", "geboortedatum": "2017-03-03"}}
    body.update(extra)
    st, case = s.create("pr-%s" % gemeente, body)
    assert st == 201, (st, case)
    return case


def list_ids(s, who, query=""):
    st, body = s.req("GET", "/v1/cases" + query, TOKEN[who])
    assert st == 200, (who, query, st, body)
    return [c["id"] for c in body["cases"]], body


def unchanged(s, cid, who, fn):
    """Runs fn (a refused request) and checks that case cid is unchanged for who."""
    before = s.get_case(cid, who)
    hist = s.history(cid, who)
    out = fn()
    assert s.get_case(cid, who) == before, "the case changed"
    assert s.history(cid, who) == hist, "the history changed"
    return out


# ================================================================================================
# R-TW-1 route C: the GI
# ================================================================================================

def test_r_tw_1_gi_registers_assigns_and_runs_route_c():
    """R-TW-1 (DOMAIN 4.1): the GI's procesregisseur registers a route C case (the server sets gi), chooses
    the aanbieder and assigns; the GI's casusregisseur sees it and, once assigned, runs it; the Toegang of the
    gemeente still sees it (R-AUTH-2)."""
    with Server(now=T0) as s:
        st, case = s.create("pr-jb-rijnmond", route_c_body(verwijzer="rechter"))
        assert st == 201, (st, case)
        cid = case["id"]
        assert case["fields"]["gi"] == "jb-rijnmond" and case["fields"]["route"] == "C", case["fields"]
        assert "toewijzen" in case["allowed_events"], case["allowed_events"]
        # the GI runs it: the task to assign a casusregisseur (R-AUTH-3) is the GI's, not the Toegang's
        assert [i["kind"] for i in tasks(s.inbox("pr-jb-rijnmond"), cid)] == ["casusregisseur_toewijzen"]
        assert tasks(s.inbox("pr-rotterdam"), cid) == []
        s.fire(cid, "pr-jb-rijnmond", "toewijzen", TOEWIJZING)
        case = s.fire(cid, "pr-jb-rijnmond", "casusregisseur_wijzigen", {"casusregisseur": "cr-jb-rijnmond"})
        assert tasks(s.inbox("pr-jb-rijnmond"), cid, "casusregisseur_toewijzen") == []
        assert case["fields"]["casusregisseur"] == "cr-jb-rijnmond"
        for who in ("pr-jb-rijnmond", "cr-jb-rijnmond", "pr-rotterdam", "cr-rotterdam", "ab-horizon"):
            assert s.get_case(cid, who)["id"] == cid, who
        assert cid in list_ids(s, "cr-jb-rijnmond")[0]
        assert cid in list_ids(s, "pr-jb-rijnmond", "?gemeente=rotterdam")[0]
        s.fire(cid, "ab-horizon", "start_zorg")
        # the GI's casusregisseur runs it (R-AUTH-3: the assigned one; a Toegang colleague may not)
        st, body = unchanged(s, cid, "cr-jb-rijnmond", lambda: s.event(
            cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-04-01", "uitkomst": "ongewijzigd"}))
        assert_error(st, body, 422, rule="R-AUTH-3")
        s.fire(cid, "cr-jb-rijnmond", "evaluatie_vastleggen", {"datum": "2027-04-01", "uitkomst": "ongewijzigd"})
        e = s.history(cid, "cr-jb-rijnmond")[0]
        assert (e["event"], e["actor"], e["role"]) == ("aanmelden", "pr-jb-rijnmond", "procesregisseur"), e


def test_r_tw_1_gi_refused_outside_route_c_and_its_region():
    """R-TW-1, R-AUTH-2: a GI actor gets 404 for route A and B cases (view, history, events) and does not
    list them; it cannot register a route A case (422 R-TW-1), nor for a gemeente of a region it does not
    serve (403 R-AUTH-2); a "gi" that is no GI of the region is refused (422 R-TW-1)."""
    with Server(now=T0) as s:
        a = s.create_a()["id"]
        st, b = s.create_b()
        assert st == 201, b
        for cid in (a, b["id"]):
            for who in ("pr-jb-rijnmond", "cr-jb-rijnmond"):
                st, body = s.req("GET", "/v1/cases/" + cid, TOKEN[who])
                assert_error(st, body, 404, "not_found", "R-AUTH-2")
                st, body = s.req("GET", "/v1/cases/%s/history" % cid, TOKEN[who])
                assert_error(st, body, 404, "not_found", "R-AUTH-2")
                st, body = unchanged(s, cid, "pr-rotterdam",
                                     lambda: s.event(cid, who, "casusregisseur_wijzigen", {"casusregisseur": "cr-jb-rijnmond"}))
                assert_error(st, body, 404, "not_found", "R-AUTH-2")
        assert list_ids(s, "pr-jb-rijnmond")[0] == []
        st, body = s.create("pr-jb-rijnmond", route_c_body(verwijzer="gemeente"))
        assert_error(st, body, 422, rule="R-TW-1")
        st, body = s.create("pr-jb-rijnmond", route_c_body(gemeente="alkmaar"))
        assert_error(st, body, 403, "forbidden", "R-AUTH-2")
        st, body = s.create("pr-jb-rijnmond", route_c_body(gi="jb-elders"))
        assert_error(st, body, 422, rule="R-TW-1")
        st, body = s.create("zbt-rijnmond", route_c_body(gi="rotterdam"))
        assert_error(st, body, 422, rule="R-TW-1")
        assert list_ids(s, "pr-rotterdam")[0] == [a, b["id"]] or sorted(list_ids(s, "pr-rotterdam")[0]) == sorted([a, b["id"]])


# ================================================================================================
# R-TW-1 route C: the ZBT
# ================================================================================================

def test_r_tw_1_zbt_gives_the_route_c_opdracht():
    """R-TW-1 (DOMAIN 4.1, RIJ route C "De GI ... of ZBT geeft de opdracht"): the region's zbt registers a
    route C case for a GI it names and assigns it; it may not register route A (422 R-TW-1), nor route C
    without a GI (422 R-TW-1), nor assign a route A case (422 R-TW-1); another region's zbt gets 403."""
    with Server(now=T0) as s:
        st, case = s.create("zbt-rijnmond", route_c_body(gi="jb-rijnmond"))
        assert st == 201, (st, case)
        cid = case["id"]
        s.fire(cid, "zbt-rijnmond", "toewijzen", TOEWIJZING)
        assert s.get_case(cid, "pr-jb-rijnmond")["status"] == "toegewezen"
        # after a refusal the ZBT assigns again (it chooses the aanbieder in route C), not the refusing one
        s.fire(cid, "ab-horizon", "toewijzing_weigeren", {"reden": "te_zware_hulpvraag"})
        st, body = s.event(cid, "zbt-rijnmond", "toewijzen", TOEWIJZING)
        assert_error(st, body, 422, rule="R-TW-3")
        case = s.fire(cid, "zbt-rijnmond", "toewijzen", dict(TOEWIJZING, aanbieder="kompas-zorg"))
        assert case["status"] == "toegewezen" and case["fields"]["aanbieder"] == "kompas-zorg", case
        st, body = s.create("zbt-rijnmond", route_c_body(verwijzer="gemeente", gi="jb-rijnmond"))
        assert_error(st, body, 422, rule="R-TW-1")
        st, body = s.create("zbt-rijnmond", route_c_body())
        assert_error(st, body, 422, rule="R-TW-1")
        st, body = s.create("zbt-holland-noord", route_c_body(gi="jb-rijnmond"))
        assert_error(st, body, 403, "forbidden", "R-AUTH-2")
        a = s.create_a()["id"]
        st, body = unchanged(s, a, "pr-rotterdam", lambda: s.event(a, "zbt-rijnmond", "toewijzen", TOEWIJZING))
        assert_error(st, body, 422, rule="R-TW-1")
        # the municipal procesregisseur still assigns route A
        s.fire(a, "pr-rotterdam", "toewijzen", TOEWIJZING)
        # nor a route A case again after a refusal
        s.fire(a, "ab-horizon", "toewijzing_weigeren", {"reden": "te_zware_hulpvraag"})
        st, body = unchanged(s, a, "pr-rotterdam", lambda: s.event(a, "zbt-rijnmond", "toewijzen",
                                                                    dict(TOEWIJZING, aanbieder="kompas-zorg")))
        assert_error(st, body, 422, rule="R-TW-1")


# ================================================================================================
# R-PRIV-1: opt-out, and the contractmanager's scope
# ================================================================================================

def test_r_priv_1_opt_out_gi_keeps_identity_toegang_anonymised():
    """R-PRIV-1 (DOMAIN 4.1), R-BE-9: on opt-out the Toegang (municipal procesregisseur and casusregisseur)
    sees the anonymised view; the GI's casusregisseur and procesregisseur of the case keep the identity (RIJ
    route C step 9); the aanbieder keeps it as before."""
    with Server(now=T0) as s:
        st, case = s.create("pr-jb-rijnmond", route_c_body(toestemming_gegevensdeling=False,
                                                           casusregisseur="cr-jb-rijnmond"))
        assert st == 201, (st, case)
        cid = case["id"]
        assert case["fields"]["jeugdige"] == JEUGDIGE, case
        s.fire(cid, "pr-jb-rijnmond", "toewijzen", TOEWIJZING)
        for who in ("cr-jb-rijnmond", "pr-jb-rijnmond", "ab-horizon"):
            v = s.get_case(cid, who)
            assert "anoniem" not in v and v["fields"]["jeugdige"] == JEUGDIGE, (who, v)
            assert s.history(cid, who)[0]["data"]["jeugdige"] == JEUGDIGE, who
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam"):
            st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN[who])
            assert st == 200 and b"Zwanenburg" not in raw and b"999990019" not in raw, (who, raw[:500])
            st, _, raw = s.raw("GET", "/v1/cases/%s/history" % cid, TOKEN[who])
            assert st == 200 and b"Zwanenburg" not in raw, (who, raw[:500])


def test_r_priv_1_contractmanager_sees_only_escalated_cases_without_free_text():
    """R-PRIV-1 (DOMAIN 4.1), R-ESC-8: the region's contractmanager does not see the caseload (list empty,
    view and history 404, no inbox item) until a case reaches it: after the ZBT's stagnatie_opschalen it
    sees that case only, anonymised, with the escalation addressed to it (melding_zbt) but without the free
    text of the case (facts, toelichtingen) in the view and in the history."""
    with Server(now=T0) as s:
        cid, other = in_zorg(s), in_zorg(s)
        assert list_ids(s, "cm-rijnmond")[0] == []
        for path in ("/v1/cases/" + cid, "/v1/cases/%s/history" % cid):
            st, body = s.req("GET", path, TOKEN["cm-rijnmond"])
            assert_error(st, body, 404, "not_found", "R-AUTH-2")
        st, body = s.event(cid, "cm-rijnmond", "afspraken_vastleggen", {"acties": "x", "terugkoppeling_uiterlijk": "2027-05-01"})
        assert_error(st, body, 404, "not_found", "R-AUTH-2")
        s.fire(cid, "pr-rotterdam", "stagnatie_melden", {"toelichting": "GEHEIM-TOELICHTING afspraken niet nagekomen"})
        s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "GEHEIM-FEITEN", "doorlopen_stappen": "GEHEIM-STAPPEN"})
        assert list_ids(s, "cm-rijnmond")[0] == []
        assert [i for i in s.inbox("cm-rijnmond") if i.get("case_id") == cid] == []
        s.fire(cid, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "traject stagneert"})
        ids, _ = list_ids(s, "cm-rijnmond")
        assert ids == [cid], ids
        assert list_ids(s, "cm-rijnmond", "?status=in_zorg")[0] == [cid]
        st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN["cm-rijnmond"])
        assert st == 200, raw
        view = json.loads(raw)
        assert view["anoniem"] is True and view["vrije_tekst_achtergehouden"] is True, view
        assert view["fields"]["escalatie"]["melding_zbt"] == "traject stagneert", view["fields"]
        assert b"GEHEIM" not in raw and b"Sam de Vries" not in raw, raw
        st, _, raw = s.raw("GET", "/v1/cases/%s/history" % cid, TOKEN["cm-rijnmond"])
        assert st == 200 and b"GEHEIM" not in raw and b"Sam de Vries" not in raw, raw
        assert [e["event"] for e in json.loads(raw)["entries"]][-1] == "stagnatie_opschalen"
        st, body = s.req("GET", "/v1/cases/" + other, TOKEN["cm-rijnmond"])
        assert_error(st, body, 404, "not_found", "R-AUTH-2")
        # it acts on what reached it
        s.fire(cid, "cm-rijnmond", "afspraken_vastleggen", {"acties": "plek zoeken", "terugkoppeling_uiterlijk": "2027-05-01"})
        # another region's contractmanager never sees it
        st, body = s.req("GET", "/v1/cases/" + cid, TOKEN["cm-holland-noord"])
        assert_error(st, body, 404, "not_found", "R-AUTH-2")


def test_r_priv_1_r_be_6_termination_copy_reaches_the_contractmanager():
    """R-PRIV-1, R-BE-6: the termination form's copy makes the case reach the contractmanager (here a route C
    case of the GI: the aanbieder's contractmanager is the region's, GRJR, which contracts the aanbieder);
    the talk reports, agreements and warnings' contents are withheld from its view and history."""
    with Server(now=T0) as s:
        st, case = s.create("pr-jb-rijnmond", route_c_body(casusregisseur="cr-jb-rijnmond"))
        assert st == 201, case
        cid = case["id"]
        s.fire(cid, "pr-jb-rijnmond", "toewijzen", TOEWIJZING)
        s.fire(cid, "ab-horizon", "start_zorg")
        st, body = s.req("GET", "/v1/cases/" + cid, TOKEN["cm-rijnmond"])
        assert_error(st, body, 404, "not_found", "R-AUTH-2")
        procedure_to_form(s, [cid])
        items = [i for i in s.inbox("cm-rijnmond") if i.get("case_id") == cid]
        assert [i["kind"] for i in items] == ["beeindiging_toestemmingsformulier"], items
        st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN["cm-rijnmond"])
        assert st == 200, raw
        view = json.loads(raw)
        beeindiging = view["fields"]["beeindiging"]
        assert "gesprekken" not in beeindiging and "redenen" not in beeindiging, beeindiging
        assert "ingediend_op" in beeindiging["formulier"], beeindiging
        for secret in (b"herhaald geweld", FORMULIER["ondertekend_door"].encode(), b"Zwanenburg"):
            assert secret not in raw, (secret, raw)
        st, _, raw = s.raw("GET", "/v1/cases/%s/history" % cid, TOKEN["cm-rijnmond"])
        assert st == 200 and b"herhaald geweld" not in raw and b"Zwanenburg" not in raw, raw
        # positive control: the GI casusregisseur sees the reports
        assert b"herhaald geweld" in s.raw("GET", "/v1/cases/" + cid, TOKEN["cr-jb-rijnmond"])[2]
        s.clock(ams("2027-05-26"))


# ================================================================================================
# R-AUTH-3 for a gezin
# ================================================================================================

def test_r_auth_3_gezin_shares_one_casusregisseur():
    """R-AUTH-3, R-TW-5 (DOMAIN 4.2/4.3): a case joining a gezin takes its casusregisseur, naming another is
    422 R-AUTH-3; casusregisseur_wijzigen on one case changes every open case of the gezin in one write, each
    with its own history entry (gezin id, via); the old casusregisseur can no longer act on any of them;
    GET /v1/cases?gezin= lists the gezin (paged); the same gezin id in another gemeente is another gezin."""
    with Server(now=T0) as s:
        a = s.create_a(gezin="G-1", casusregisseur="cr-rotterdam")["id"]
        b = create_in_gezin(s, "G-1")
        assert b["fields"]["casusregisseur"] == "cr-rotterdam", b["fields"]
        b = b["id"]
        st, body = s.create("pr-rotterdam", {"verwijzer": "gemeente", "gemeente": "rotterdam", "gezin": "G-1",
                                             "casusregisseur": "cr2-rotterdam", "jeugdige": JEUGDIGE})
        assert_error(st, body, 422, rule="R-AUTH-3")
        sch = s.create_a(gemeente="schiedam", gezin="G-1")["id"]
        ids, _ = list_ids(s, "pr-rotterdam", "?gezin=G-1")
        assert sorted(ids) == sorted([a, b]), ids
        first, page = list_ids(s, "pr-rotterdam", "?gezin=G-1&limit=1")
        assert len(first) == 1 and page["next_cursor"], page
        second, page = list_ids(s, "pr-rotterdam", "?gezin=G-1&limit=1&cursor=" + page["next_cursor"])
        assert sorted(first + second) == sorted([a, b]), (first, second)
        assert list_ids(s, "cr-rotterdam", "?gezin=G-1")[0] != []
        # one change, the whole gezin
        case = s.fire(a, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        assert case["fields"]["casusregisseur"] == "cr2-rotterdam"
        assert s.get_case(b, "pr-rotterdam")["fields"]["casusregisseur"] == "cr2-rotterdam"
        assert s.get_case(sch, "pr-schiedam")["fields"]["casusregisseur"] == "cr-schiedam"
        ea = s.history(a, "pr-rotterdam")[-1]
        eb = s.history(b, "pr-rotterdam")[-1]
        assert ea["gezin"] == {"id": "G-1", "cases": [b]}, ea
        assert eb["event"] == "casusregisseur_wijzigen" and eb["actor"] == "pr-rotterdam", eb
        assert eb["gezin"] == {"id": "G-1", "via": a}, eb
        assert sorted(list_ids(s, "cr2-rotterdam", "?casusregisseur=cr2-rotterdam")[0]) == sorted([a, b])
        # the former casusregisseur is a colleague now: it sees, it does not act (R-AUTH-3)
        for cid in (a, b):
            assert "feiten_vastleggen" not in s.get_case(cid, "cr-rotterdam")["allowed_events"]
        # a new case of the gezin takes the new one
        c = create_in_gezin(s, "G-1")
        assert c["fields"]["casusregisseur"] == "cr2-rotterdam", c["fields"]
        # the gezin's entries are part of each case's hash chain (R-AUD-1)
        p = subprocess.run([CASUSD, "verify", "--data", s.data], capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr


def test_r_auth_3_gezin_refusals_change_nothing():
    """R-AUTH-3, R-AUTH-2: a gezin is not a way into another's cases. The GI may not link its case to a gezin
    holding a case it may not see (403 R-AUTH-2); when the gezin holds such a case, the GI's
    casusregisseur_wijzigen is refused as a whole (403 R-AUTH-2) and changes no case of the gezin."""
    with Server(now=T0) as s:
        a = s.create_a(gezin="G-2")["id"]
        st, body = s.create("pr-jb-rijnmond", route_c_body(gezin="G-2"))
        assert_error(st, body, 403, "forbidden", "R-AUTH-2")
        # the other way round: the Toegang sees the GI's case and may join its gezin
        st, c = s.create("pr-jb-rijnmond", route_c_body(gezin="G-3", casusregisseur="cr-jb-rijnmond"))
        assert st == 201, c
        c = c["id"]
        d = create_in_gezin(s, "G-3")
        assert d["fields"]["casusregisseur"] == "cr-jb-rijnmond", d["fields"]
        d = d["id"]
        before = s.get_case(d, "pr-rotterdam")
        st, body = unchanged(s, c, "pr-jb-rijnmond", lambda: s.event(
            c, "pr-jb-rijnmond", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"}))
        assert_error(st, body, 403, "forbidden", "R-AUTH-2")
        assert s.get_case(d, "pr-rotterdam") == before
        assert a
        # all or nothing: a gezin of two GI cases and a Toegang case; the GI's change fails on the Toegang's
        # case and leaves the other GI case unchanged too, whichever the server reached first
        st, g1 = s.create("pr-jb-rijnmond", route_c_body(gezin="G-4", casusregisseur="cr-jb-rijnmond"))
        st2, g2 = s.create("pr-jb-rijnmond", route_c_body(gezin="G-4"))
        assert st == 201 and st2 == 201 and g2["fields"]["casusregisseur"] == "cr-jb-rijnmond", (g1, g2)
        g3 = create_in_gezin(s, "G-4")["id"]
        before = {c: (s.get_case(c, "pr-rotterdam"), s.history(c, "pr-rotterdam")) for c in (g1["id"], g2["id"], g3)}
        st, body = s.event(g1["id"], "pr-jb-rijnmond", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        assert_error(st, body, 403, "forbidden", "R-AUTH-2")
        for c, (case, hist) in before.items():
            assert s.get_case(c, "pr-rotterdam") == case and s.history(c, "pr-rotterdam") == hist, c
        # the Toegang, who sees all three, changes them together
        s.fire(g2["id"], "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        for c in before:
            assert s.get_case(c, "pr-rotterdam")["fields"]["casusregisseur"] == "cr-rotterdam", c



def test_r_auth_3_gezin_in_alkmaar_and_its_contractmanager_r_priv_1():
    """R-AUTH-3 in the Alkmaar chart (ALK 4.1.3, one casusregisseur): a gezin's cases share the casusregisseur
    and change it together; R-PRIV-1: Alkmaar's contractmanager sees none of them (nothing reached it)."""
    import test_alkmaar as alk
    with Server(config=alk.alkmaar_config()) as s:
        a = alk.route1(s, gezin="G-9")["id"]
        st, b = s.create("pr-alkmaar", {"verwijzer": "gemeente", "gemeente": "alkmaar", "gezin": "G-9",
                                        "jeugdige": {"naam": "Zus", "geboortedatum": "2016-01-01"}})
        assert st == 201 and b["fields"]["casusregisseur"] == "cr-alkmaar", (st, b)
        s.fire(a, "pr-alkmaar", "casusregisseur_wijzigen", {"casusregisseur": "cr-gi-noord"})
        assert s.get_case(b["id"], "pr-alkmaar")["fields"]["casusregisseur"] == "cr-gi-noord"
        assert sorted(list_ids(s, "cr-gi-noord", "?gezin=G-9")[0]) == sorted([a, b["id"]])
        assert list_ids(s, "cm-holland-noord")[0] == []


if __name__ == "__main__":
    run(globals())
