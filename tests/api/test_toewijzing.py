"""HTTP API tests: toewijzing, chart jeugdhulp-rijnmond (R-TW-1 .. R-TW-7)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, TOKEN, Server, assert_error, deadline, run, tasks  # noqa: E402

MON = "2027-01-04T09:00:00+01:00"  # Monday 4 January 2027


def _last(s, cid, who="pr-rotterdam"):
    return s.history(cid, who)[-1]


def test_r_tw_1_route_a_create_and_toewijzen():
    """R-TW-1 route A: the procesregisseur registers (201, aangemeld) and sends the toewijzing."""
    with Server(now=MON) as s:
        st, case = s.create("pr-rotterdam", {
            "verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
            "regie_intensiteit": "licht", "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}})
        assert st == 201, (st, case)
        assert case["status"] == "aangemeld" and case["version"] == 1, case
        assert case["chart"] == "jeugdhulp-rijnmond@1", case["chart"]
        assert case["fields"]["route"] == "A", case["fields"]
        assert "toewijzen" in case["allowed_events"], case["allowed_events"]
        assert case["closed"] is False and case["deadlines"] == [], case
        cid = case["id"]
        h = s.history(cid, "pr-rotterdam")
        assert len(h) == 1 and h[0]["actor"] == "pr-rotterdam" and h[0]["role"] == "procesregisseur", h
        # toewijzen needs its data: product, begindatum, einddatum (after begindatum), aanbieder
        st, resp = s.event(cid, "pr-rotterdam", "toewijzen", {"aanbieder": HORIZON, "product": "45A12"})
        assert_error(st, resp, 422, code="invalid_data")
        st, resp = s.toewijzen(cid, begindatum="2027-03-01", einddatum="2027-02-01")
        assert_error(st, resp, 422, rule="R-MON-8")
        st, case = s.toewijzen(cid)
        assert st == 200, (st, case)
        assert case["status"] == "toegewezen" and case["version"] == 2, case
        f = case["fields"]
        assert f["aanbieder"] == HORIZON and f["product"] == {
            "code": "45A12", "begindatum": "2027-01-04", "einddatum": "2027-12-31"}, f
        # the provider now sees the case and gets the toewijzing in its inbox
        seen = s.get_case(cid, "ab-horizon")
        assert set(seen["allowed_events"]) >= {"start_zorg", "toewijzing_weigeren", "arrangement_betwisten"}, seen
        assert len(tasks(s.inbox("ab-horizon"), cid, "toewijzing_ontvangen")) == 1
        last = _last(s, cid)
        assert last["event"] == "toewijzen" and last["rule"] == "R-TW-1" and last["to"][0] == "toegewezen", last


def test_r_tw_1_route_c_and_procesregisseur_route_b_refused():
    """R-TW-1 route C (gi, rechter) is the procesregisseur's; a huisarts referral is route B (422)."""
    with Server(now=MON) as s:
        for verwijzer in ("gi", "rechter"):
            case = s.create_a(verwijzer=verwijzer)
            assert case["status"] == "aangemeld" and case["fields"]["route"] == "C", case
        for verwijzer in ("huisarts", "jeugdarts", "medisch_specialist"):
            st, resp = s.create("pr-rotterdam", {"verwijzer": verwijzer, "gemeente": "rotterdam",
                                                 "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}})
            assert_error(st, resp, 422, rule="R-TW-1")
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert len(lst["cases"]) == 2, lst


def test_r_tw_1_route_b_verzoek_om_toewijzing_toekennen():
    """R-TW-1 route B, R-TW-7: the aanbieder submits a verzoek om toewijzing; the procesregisseur gets a
    task and an answer deadline of 5 working days; toewijzing_toekennen -> toegewezen, task closed."""
    with Server(now=MON) as s:
        st, case = s.create_b(verwijzer="huisarts")
        assert st == 201, (st, case)
        assert case["status"] == "verzoek_om_toewijzing" and case["fields"]["route"] == "B", case
        cid = case["id"]
        d = deadline(case, "antwoord_verzoek_om_toewijzing")
        assert d and d["due"] == "2027-01-11" and d.get("rule") == "R-TW-7", case["deadlines"]
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "verzoek_om_toewijzing_beoordelen", "task")) == 1
        assert tasks(s.inbox("pr-schiedam"), cid) == []
        pr_view = s.get_case(cid, "pr-rotterdam")
        assert {"toewijzing_toekennen", "toewijzing_afwijzen"} <= set(pr_view["allowed_events"]), pr_view
        # route B also for jeugdarts and medisch specialist
        for verwijzer in ("jeugdarts", "medisch_specialist"):
            st, other = s.create_b(verwijzer=verwijzer)
            assert st == 201 and other["status"] == "verzoek_om_toewijzing", other
        case = s.fire(cid, "pr-rotterdam", "toewijzing_toekennen", {"toelichting": "akkoord"})
        assert case["status"] == "toegewezen", case
        assert deadline(case, "antwoord_verzoek_om_toewijzing") is None, case["deadlines"]
        assert deadline(case, "start_zorg")["due"] == "2027-01-11", case["deadlines"]
        open_tasks = [t for t in tasks(s.inbox("pr-rotterdam"), cid, "verzoek_om_toewijzing_beoordelen")
                      if t.get("open", True)]
        assert open_tasks == [], open_tasks
        assert len(tasks(s.inbox("ab-horizon"), cid, "toewijzing_ontvangen")) == 1
        # answered in time: the answer deadline never fires
        s.clock("2027-01-13T09:00:00+01:00")
        assert "antwoordtermijn_verlopen" not in s.get_case(cid, "pr-rotterdam")["flags"]
        assert tasks(s.inbox("pr-rotterdam"), cid, "antwoordtermijn_verlopen") == []


def test_r_tw_1_route_b_toewijzing_afwijzen():
    """R-TW-1 route B: toewijzing_afwijzen needs a reden; -> afgewezen, closed, aanbieder notified."""
    with Server(now=MON) as s:
        st, case = s.create_b()
        assert st == 201, case
        cid = case["id"]
        st, resp = s.event(cid, "pr-rotterdam", "toewijzing_afwijzen", {})
        assert_error(st, resp, 422, code="invalid_data", rule="R-TW-1")
        case = s.fire(cid, "pr-rotterdam", "toewijzing_afwijzen", {"reden": "geen jeugdhulp nodig"})
        assert case["status"] == "afgewezen" and case["closed"] is True, case
        assert case["allowed_events"] == [] and case["deadlines"] == [], case
        assert case["fields"]["afwijzingsreden"] == "geen jeugdhulp nodig"
        assert len(tasks(s.inbox("ab-horizon"), cid, "verzoek_afgewezen")) == 1
        assert [t for t in tasks(s.inbox("pr-rotterdam"), cid) if t.get("open", True)] == []
        for who, event, data in [("pr-rotterdam", "toewijzing_toekennen", {}),
                                 ("ab-horizon", "start_zorg", None)]:
            st, resp = s.event(cid, who, event, data)
            assert_error(st, resp, 409, code="not_allowed_in_state")


def test_r_tw_1_self_referral_refused():
    """R-TW-1: self-referral (verwijzer "zelf", or none) is refused with 422 rule R-TW-1; nothing created."""
    with Server(now=MON) as s:
        for verwijzer in ("zelf", None, "ouders", ""):
            st, resp = s.create_b(verwijzer=verwijzer)
            assert_error(st, resp, 422, rule="R-TW-1")
        for verwijzer in ("zelf", None):
            body = {"gemeente": "rotterdam", "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}
            if verwijzer:
                body["verwijzer"] = verwijzer
            st, resp = s.create("pr-rotterdam", body)
            assert_error(st, resp, 422, rule="R-TW-1")
        # an aanbieder cannot register a route A case either (verwijzer gemeente)
        st, resp = s.create_b(verwijzer="gemeente")
        assert_error(st, resp, 422, rule="R-TW-1")
        for who in ("pr-rotterdam", "ab-horizon"):
            st, lst = s.req("GET", "/v1/cases", TOKEN[who])
            assert st == 200 and lst["cases"] == [], lst
        assert s.inbox("pr-rotterdam") == []


def test_r_tw_2_start_zorg():
    """R-TW-2, R-TW-7: start_zorg -> in_zorg, the start-zorg deadline is gone and never fires; a future
    startdatum is refused; a report later than 5 working days after the start is flagged."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        st, case = s.toewijzen(cid)
        assert deadline(case, "start_zorg")["due"] == "2027-01-11", case["deadlines"]
        cid2 = s.create_a()["id"]
        s.toewijzen(cid2)
        st, resp = s.event(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-05"})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-7")
        case = s.fire(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-04"})
        assert case["status"] == "in_zorg" and case["fields"]["startdatum"] == "2027-01-04", case
        assert deadline(case, "start_zorg") is None, case["deadlines"]
        assert "start_zorg_te_laat_gemeld" not in case["flags"], case["flags"]
        s.clock("2027-01-20T09:00:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert "start_zorg_termijn_verlopen" not in case["flags"], case["flags"]
        assert [e["event"] for e in s.history(cid, "pr-rotterdam")] == ["aanmelden", "toewijzen", "start_zorg"]
        st, resp = s.event(cid, "ab-horizon", "start_zorg")
        assert_error(st, resp, 409, code="not_allowed_in_state")
        # late report: started 2027-01-05, reported 2027-01-20 (> 5 working days after the start)
        case = s.fire(cid2, "ab-horizon", "start_zorg", {"startdatum": "2027-01-05"})
        assert "start_zorg_te_laat_gemeld" in case["flags"], case["flags"]


def test_r_tw_3_weigeren_and_opnieuw_toewijzen():
    """R-TW-3: refusal needs one of three reasons (422 otherwise); re-assignment to the refusing
    provider is refused (422 R-TW-3), to another provider it works and that provider sees the case."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid, aanbieder=HORIZON)
        version = s.get_case(cid, "pr-rotterdam")["version"]
        for data in ({"reden": "geen_plek"}, {}, {"reden": ""}, {"reden": 1}):
            st, resp = s.event(cid, "ab-horizon", "toewijzing_weigeren", data)
            assert_error(st, resp, 422, rule="R-TW-3")
        assert s.get_case(cid, "pr-rotterdam")["version"] == version
        case = s.fire(cid, "ab-horizon", "toewijzing_weigeren",
                      {"reden": "te_zware_hulpvraag", "toelichting": "specialistisch", "alternatief": KOMPAS})
        assert case["status"] == "aangemeld" and "opnieuw_toewijzen" in case["state"], case
        assert case["fields"]["weigeringsreden"] == "te_zware_hulpvraag", case["fields"]
        assert deadline(case, "start_zorg") is None, case["deadlines"]
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "opnieuw_toewijzen", "task")) == 1
        assert "toewijzen" in s.get_case(cid, "pr-rotterdam")["allowed_events"]
        st, resp = s.toewijzen(cid, aanbieder=HORIZON)
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-3")
        st, case = s.toewijzen(cid, aanbieder=KOMPAS)
        assert st == 200 and case["status"] == "toegewezen", (st, case)
        assert case["fields"]["aanbieder"] == KOMPAS
        assert deadline(case, "start_zorg")["due"] == "2027-01-11", case["deadlines"]
        assert [t for t in tasks(s.inbox("pr-rotterdam"), cid, "opnieuw_toewijzen") if t.get("open", True)] == []
        # the other provider sees the case and its inbox; the refusing one no longer does
        assert s.get_case(cid, "ab-kompas")["status"] == "toegewezen"
        assert len(tasks(s.inbox("ab-kompas"), cid, "toewijzing_ontvangen")) == 1
        st, resp = s.req("GET", "/v1/cases/" + cid, TOKEN["ab-horizon"])
        assert_error(st, resp, 404, code="not_found")
        s.fire(cid, "ab-kompas", "start_zorg")
        # the two other reasons are accepted too
        for reden in ("te_lichte_hulpvraag", "gewichtige_redenen"):
            other = s.create_a()["id"]
            s.toewijzen(other)
            assert s.fire(other, "ab-horizon", "toewijzing_weigeren", {"reden": reden})["status"] == "aangemeld"


def test_r_tw_4_betwisten_on_time_and_late():
    """R-TW-4: arrangement_betwisten within 2 working days of the toewijzing is on time; later it is
    accepted but flagged betwisting_te_laat; either way the ladder opens with tasks."""
    with Server(now="2027-03-25T10:00:00+01:00") as s:  # Thursday; + 2 working days = Tue 30 March
        on_time = s.create_a()["id"]
        late = s.create_a()["id"]
        for cid in (on_time, late):
            st, case = s.toewijzen(cid)
            assert case["fields"]["betwisten_uiterlijk"] == "2027-03-30", case["fields"]
        s.clock("2027-03-30T23:59:00+02:00")
        case = s.fire(on_time, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht arrangement"})
        assert "ladder" in case["state"] and case["status"] == "toegewezen", case
        assert case["fields"]["betwisting_te_laat"] is False and "betwisting_te_laat" not in case["flags"], case
        s.clock("2027-03-31T00:00:01+02:00")
        case = s.fire(late, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht arrangement"})
        assert "ladder" in case["state"], case
        assert case["fields"]["betwisting_te_laat"] is True and "betwisting_te_laat" in case["flags"], case
        for cid in (on_time, late):
            assert len(tasks(s.inbox("cr-rotterdam"), cid, "arrangement_betwist", "task")) == 1
            assert len(tasks(s.inbox("pr-rotterdam"), cid, "arrangement_betwist", "task")) == 1
            assert _last(s, cid)["rule"] == "R-TW-4"
        # a second dispute while the ladder is open is not possible; toelichting is required
        st, resp = s.event(on_time, "ab-horizon", "arrangement_betwisten", {"toelichting": "nog eens"})
        assert_error(st, resp, 409, code="not_allowed_in_state")
        fresh = s.create_a()["id"]
        st, resp = s.event(fresh, "ab-horizon", "arrangement_betwisten", {"toelichting": "x"})
        assert_error(st, resp, 404)  # not assigned to the provider yet: not visible
        s.toewijzen(fresh)
        st, resp = s.event(fresh, "ab-horizon", "arrangement_betwisten", {})
        assert_error(st, resp, 422, code="invalid_data", rule="R-TW-4")
        # agreement closes the ladder and its tasks
        case = s.fire(on_time, "cr-rotterdam", "overeenstemming_bereiken", {"afspraken": "arrangement blijft"})
        assert "geen_escalatie" in case["state"], case
        assert [t for t in tasks(s.inbox("cr-rotterdam"), on_time, "arrangement_betwist") if t.get("open", True)] == []


def test_r_tw_5_casusregisseur_wijzigen():
    """R-TW-5: one casusregisseur at a time; the change is recorded and the new one is informed."""
    with Server(now=MON) as s:
        cid = s.create_a(casusregisseur="cr-rotterdam")["id"]
        s.toewijzen(cid)
        st, resp = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-5")
        st, resp = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", {})
        assert_error(st, resp, 422, code="invalid_data", rule="R-TW-5")
        case = s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen",
                      {"casusregisseur": "cr2-rotterdam", "toelichting": "verhuizing"})
        f = case["fields"]
        assert f["casusregisseur"] == "cr2-rotterdam" and f["vorige_casusregisseur"] == "cr-rotterdam", f
        assert f.get("casusregisseur_sinds") == "2027-01-04", f
        assert case["status"] == "toegewezen", case
        last = _last(s, cid)
        assert (last["event"], last["actor"], last["rule"]) == (
            "casusregisseur_wijzigen", "pr-rotterdam", "R-TW-5"), last
        assert last["data"]["casusregisseur"] == "cr2-rotterdam", last
        assert len(tasks(s.inbox("cr2-rotterdam"), cid, "casusregisseur_gewijzigd")) == 1
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "casusregisseur_gewijzigd")) == 1
        assert tasks(s.inbox("cr-rotterdam"), cid, "casusregisseur_gewijzigd") == []
        # from now on the case's casusregisseur tasks reach the new one only
        s.clock("2027-01-12T09:00:00+01:00")
        assert len(tasks(s.inbox("cr2-rotterdam"), cid, "start_zorg_termijn_verlopen")) == 1
        assert tasks(s.inbox("cr-rotterdam"), cid, "start_zorg_termijn_verlopen") == []


def test_r_tw_6_overbrugging_from_acceptance():
    """R-TW-6 (DOMAIN 4.1, ALK 5.2): overbruggingshulp follows the acceptance (screening recorded), starts
    within a week of it (later is flagged), before the required care starts, ends at start zorg and lasts
    no longer than the treeknorm (10 weeks: flagged, with tasks). Bridging in time is not a late start
    (R-TW-2's deadline is lifted)."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        st, resp = s.event(cid, "ab-horizon", "overbrugging_starten", {})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-6")
        case = s.fire(cid, "ab-horizon", "screening_afronden", {"toelichting": "past"})
        assert case["fields"]["geaccepteerd_op"] == "2027-01-04", case["fields"]
        s.clock("2027-01-08T09:00:00+01:00")
        case = s.fire(cid, "ab-horizon", "overbrugging_starten", {"toelichting": "wachtlijst specialistisch"})
        assert "overbrugging" in case["flags"] and "overbrugging_te_laat" not in case["flags"], case["flags"]
        assert case["fields"]["overbrugging"] == {"gestart_op": "2027-01-08"}, case["fields"]
        assert case["status"] == "toegewezen"
        assert deadline(case, "start_zorg") is None, case["deadlines"]
        assert deadline(case, "overbrugging_treeknorm")["due"] == "2027-03-19", case["deadlines"]
        assert len(tasks(s.inbox("cr-rotterdam"), cid, "overbrugging_gestart")) == 1
        st, resp = s.event(cid, "ab-horizon", "overbrugging_starten", {})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-6")
        st, resp = s.event(cid, "pr-rotterdam", "overbrugging_starten", {})
        assert_error(st, resp, 403, rule="R-AUTH-1")
        # the start deadline passed long ago: not late, the aanbieder bridges
        s.clock("2027-02-01T09:00:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert "start_zorg_termijn_verlopen" not in case["flags"], case["flags"]
        case = s.fire(cid, "ab-horizon", "start_zorg")
        assert case["status"] == "in_zorg" and "overbrugging" not in case["flags"], case
        assert case["fields"]["overbrugging"]["beeindigd_op"] == "2027-02-01", case["fields"]
        assert deadline(case, "overbrugging_treeknorm") is None, case["deadlines"]
        st, resp = s.event(cid, "ab-horizon", "overbrugging_starten", {})
        assert_error(st, resp, 409, code="not_allowed_in_state")
        # more than a week after the acceptance: accepted, flagged late; past the treeknorm: flagged, tasks
        late = s.create_a()["id"]
        s.toewijzen(late)
        s.fire(late, "ab-horizon", "screening_afronden")
        s.clock("2027-02-09T09:00:00+01:00")
        case = s.fire(late, "ab-horizon", "overbrugging_starten", {})
        assert {"overbrugging", "overbrugging_te_laat"} <= set(case["flags"]), case["flags"]
        s.clock("2027-04-21T09:00:00+02:00")
        case = s.get_case(late, "pr-rotterdam")
        assert "overbrugging_te_lang" in case["flags"], case["flags"]
        for who in ("pr-rotterdam", "cr-rotterdam"):
            assert len(tasks(s.inbox(who), late, "overbrugging_te_lang", "task")) == 1, who


def test_r_tw_3_refusal_after_start_until_screening():
    """R-TW-3 (DOMAIN 4.1): screening at start; the aanbieder refuses until it records that screening is
    done, also after start zorg (R-TW-2: a start is not an acceptance); the care delivered stays recorded.
    After screening a refusal is 422 R-TW-3."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid, aanbieder=HORIZON)
        s.fire(cid, "ab-horizon", "start_zorg")
        s.clock("2027-01-12T09:00:00+01:00")
        case = s.fire(cid, "ab-horizon", "toewijzing_weigeren",
                      {"reden": "te_lichte_hulpvraag", "einddatum_zorg": "2027-01-11", "alternatief": KOMPAS})
        assert case["status"] == "aangemeld" and "opnieuw_toewijzen" in case["state"], case
        assert case["fields"]["geleverde_zorg"] == [{"aanbieder": HORIZON, "startdatum": "2027-01-04",
                                                     "einddatum_zorg": "2027-01-11"}], case["fields"]
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "opnieuw_toewijzen", "task")) == 1
        assert _last(s, cid)["rule"] == "R-TW-3"
        accepted = s.create_a()["id"]
        s.toewijzen(accepted, aanbieder=HORIZON)
        s.fire(accepted, "ab-horizon", "start_zorg")
        s.fire(accepted, "ab-horizon", "screening_afronden")
        st, resp = s.event(accepted, "ab-horizon", "toewijzing_weigeren", {"reden": "gewichtige_redenen"})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-3")
        st, resp = s.event(accepted, "ab-horizon", "screening_afronden", {})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-3")


def test_r_tw_7_start_inside_the_period():
    """R-TW-7 (DOMAIN 4.1): a start date lies inside the toewijzing's period (422 otherwise)."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid, begindatum="2027-01-11")
        st, resp = s.event(cid, "ab-horizon", "start_zorg", {})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-7")
        s.clock("2027-01-12T09:00:00+01:00")
        st, resp = s.event(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-08"})
        assert_error(st, resp, 422, code="guard_failed", rule="R-TW-7")
        case = s.fire(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-11"})
        assert case["status"] == "in_zorg" and case["fields"]["startdatum"] == "2027-01-11", case


def test_r_tw_7_zorg_afsluiten_jz588():
    """R-TW-7: stop zorg carries a JZ588 reden (the code list of DOMAIN 4.1: 02, 20, 31-39), an
    einddatum_zorg not in the future; -> beeindigd; a report later than 5 working days after the end is
    flagged. R-BE-12: reden 33 (voortijdig door aanbieder) is refused outside an approved termination
    procedure (test_no_bypass.py has the procedure)."""
    with Server(now=MON) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        s.fire(cid, "ab-horizon", "start_zorg")
        s.clock("2027-03-01T09:00:00+01:00")
        version = s.get_case(cid, "pr-rotterdam")["version"]
        bad = [({"reden_beeindiging": "42", "einddatum_zorg": "2027-02-26"}, "invalid_data"),
               ({"reden_beeindiging": "99", "einddatum_zorg": "2027-02-26"}, "invalid_data"),
               ({"reden_beeindiging": 31, "einddatum_zorg": "2027-02-26"}, "invalid_data"),
               ({"einddatum_zorg": "2027-02-26"}, "invalid_data"),
               ({"reden_beeindiging": "31"}, "invalid_data"),
               ({"reden_beeindiging": "31", "einddatum_zorg": "2027-03-02"}, "guard_failed")]
        for data, code in bad:
            st, resp = s.event(cid, "ab-horizon", "zorg_afsluiten", data)
            assert_error(st, resp, 422, code=code, rule="R-TW-7")
        st, resp = s.event(cid, "pr-rotterdam", "zorg_afsluiten", {"reden_beeindiging": "31",
                                                                   "einddatum_zorg": "2027-02-26"})
        assert_error(st, resp, 403, rule="R-AUTH-1")
        assert s.get_case(cid, "pr-rotterdam")["version"] == version
        case = s.fire(cid, "ab-horizon", "zorg_afsluiten",
                      {"reden_beeindiging": "31", "einddatum_zorg": "2027-02-26", "eindrapportage": "doelen behaald"})
        assert case["status"] == "beeindigd" and case["closed"] is True, case
        assert case["fields"]["reden_beeindiging"] == "31" and case["fields"]["einddatum_zorg"] == "2027-02-26"
        assert "stop_zorg_te_laat_gemeld" not in case["flags"], case["flags"]
        assert case["allowed_events"] == [], case
        last = _last(s, cid)
        assert last["event"] == "zorg_afsluiten" and last["data"]["reden_beeindiging"] == "31", last
        st, resp = s.event(cid, "ab-horizon", "overbrugging_starten", {})
        assert_error(st, resp, 409, code="not_allowed_in_state")
        # every JZ588 code but 33 is accepted outside a termination procedure; ended 2027-02-15, reported
        # 2027-03-01: late
        for code in ("02", "20", "32", "33", "34", "35", "36", "37", "38", "39"):
            other = s.create_a()["id"]
            s.toewijzen(other)
            s.fire(other, "ab-horizon", "start_zorg")
            data = {"reden_beeindiging": code, "einddatum_zorg": "2027-02-15"}
            if code == "33":
                st, resp = s.event(other, "ab-horizon", "zorg_afsluiten", data)
                assert_error(st, resp, 422, code="guard_failed", rule="R-BE-12")
                assert s.get_case(other, "pr-rotterdam")["status"] == "in_zorg"
                continue
            case = s.fire(other, "ab-horizon", "zorg_afsluiten", data)
            assert case["status"] == "beeindigd" and "stop_zorg_te_laat_gemeld" in case["flags"], case
            assert case["fields"]["reden_beeindiging"] == code, case["fields"]


def test_r_tw_7_verzoek_antwoordtermijn():
    """R-TW-7: a verzoek om toewijzing is answered within 5 working days; when not, the case is flagged
    and the procesregisseur gets an antwoordtermijn_verlopen task (once)."""
    with Server(now=MON) as s:
        st, case = s.create_b()
        cid = case["id"]
        assert deadline(case, "antwoord_verzoek_om_toewijzing")["due"] == "2027-01-11"
        s.clock("2027-01-11T23:59:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert "antwoordtermijn_verlopen" not in case["flags"], case["flags"]
        assert tasks(s.inbox("pr-rotterdam"), cid, "antwoordtermijn_verlopen") == []
        s.clock("2027-01-12T09:00:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert "antwoordtermijn_verlopen" in case["flags"], case["flags"]
        assert deadline(case, "antwoord_verzoek_om_toewijzing") is None, case["deadlines"]
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "antwoordtermijn_verlopen", "task")) == 1
        sys_entries = [e for e in s.history(cid, "pr-rotterdam") if e["actor"] == "system"]
        assert [e["event"] for e in sys_entries] == ["antwoordtermijn_verlopen"], sys_entries
        assert sys_entries[0]["rule"] == "R-TW-7" and sys_entries[0]["time"] == "2027-01-12T00:00:00+01:00"
        s.clock("2027-02-12T09:00:00+01:00")
        assert len([e for e in s.history(cid, "pr-rotterdam") if e["actor"] == "system"]) == 1
        # still answerable after the deadline
        assert s.fire(cid, "pr-rotterdam", "toewijzing_toekennen")["status"] == "toegewezen"


def test_r_tw_7_verzoek_in_onderzoek_beslistermijn():
    """R-TW-7: answered "in onderzoek", the municipality decides within 8 weeks (calendar, R-TIME-2)."""
    with Server(now=MON) as s:
        st, case = s.create_b()
        cid = case["id"]
        case = s.fire(cid, "pr-rotterdam", "verzoek_in_onderzoek", {"toelichting": "dossier opvragen"})
        assert case["status"] == "verzoek_om_toewijzing", case
        assert deadline(case, "antwoord_verzoek_om_toewijzing") is None, case["deadlines"]
        assert deadline(case, "besluit_verzoek_om_toewijzing")["due"] == "2027-03-01", case["deadlines"]
        s.clock("2027-02-20T09:00:00+01:00")  # the 5-working-day answer deadline no longer applies
        assert s.get_case(cid, "pr-rotterdam")["flags"] == []
        s.clock("2027-03-02T09:00:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert case["flags"] == ["beslistermijn_verlopen"], case["flags"]
        assert len(tasks(s.inbox("pr-rotterdam"), cid, "beslistermijn_verlopen", "task")) == 1
        assert s.fire(cid, "pr-rotterdam", "toewijzing_toekennen")["status"] == "toegewezen"


if __name__ == "__main__":
    run(globals())
