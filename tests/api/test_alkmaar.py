"""HTTP API tests: an Alkmaar case on its own chart (jeugdhulp-alkmaar), selected by the configuration's
regions, and the Alkmaar escalatieladder up to the Regionaal Expertteam (R-ESC-9, ALK §4.3).

The shared harness config puts gemeente alkmaar (region holland-noord) on the Rijnmond chart, and
test_auth.py relies on that; this file passes its own config to Server(config=...) in which region
holland-noord runs jeugdhulp-alkmaar, with two extra actors: a teammanager of alkmaar and a
casusregisseur employed by a GI (not the lokaal toegangsteam).
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, TOKEN, Server, assert_error, make_config, run, tasks  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"

EXTRA = [("tm-alkmaar", "teammanager", "alkmaar"), ("cr-gi-noord", "casusregisseur", "gi-noord"),
         ("cr2-alkmaar", "casusregisseur", "alkmaar")]
TOKEN.update({aid: "tok-%s-%s" % (aid, hashlib.sha256(aid.encode()).hexdigest()[:12]) for aid, _, _ in EXTRA})

NAAM, GEBOORTEDATUM = "Jip Vredenburgh", "2014-02-11"
JEUGDIGE = {"naam": NAAM, "geboortedatum": GEBOORTEDATUM}

WATCHED = ("pr-alkmaar", "cr-alkmaar", "cr2-alkmaar", "cr-gi-noord", "ab-horizon", "ab-kompas", "cm-holland-noord")

OPEN = {"aanleiding": "passende_hulp_niet_beschikbaar", "toelichting": "de hulpvraag is te complex"}
REGIONAAL = {"verslag": "ook regionaal geen antwoord", "anoniem": True}
CONSULT = {"geconsulteerde": "ojep", "grond": "expertise_ontbreekt", "vraag": "welke hulp past?"}
RET = {"hulpvraag": "vastgelopen complexe casus", "veiligheid_voorop": False, "crisis": False}
ADVIES = {"advies": "specialistische hulp bij kompas-zorg", "bindend": True, "aanbieder": KOMPAS, "product": "45A07"}


def alkmaar_config():
    cfg = make_config(T0)
    assert cfg["regions"]["holland-noord"]["gemeenten"] == ["alkmaar"], cfg["regions"]
    cfg["regions"]["holland-noord"]["chart"] = "jeugdhulp-alkmaar"
    cfg["actors"] += [{"id": aid, "role": role, "org": org,
                       "token_sha256": hashlib.sha256(TOKEN[aid].encode()).hexdigest()} for aid, role, org in EXTRA]
    return cfg


def alkmaar_server():
    return Server(config=alkmaar_config())


def snapshot(s, cid, viewer="pr-alkmaar"):
    return s.get_case(cid, viewer), s.history(cid, viewer), {w: s.inbox(w) for w in WATCHED}


def refused(s, cid, who, event, data, status, code, rule=None, viewer="pr-alkmaar"):
    """An event that must be refused (status, code, rule) and change nothing: case, history, inboxes."""
    before = snapshot(s, cid, viewer)
    st, body = s.event(cid, who, event, data)
    err = assert_error(st, body, status, code=code, rule=rule)
    after = snapshot(s, cid, viewer)
    assert after[0]["version"] == before[0]["version"] and after[0]["state"] == before[0]["state"], (event, who)
    assert len(after[1]) == len(before[1]), (event, who)
    assert after == before, "%s by %s changed the case, its history or an inbox" % (event, who)
    return err


def one_item(s, who, cid, kind, type_, rule="R-ESC-9"):
    found = tasks(s.inbox(who), cid, kind, type_)
    assert len(found) == 1, "%s: want one %s %s for %s: %r" % (who, type_, kind, cid, s.inbox(who))
    assert found[0]["rule"] == rule, found[0]
    return found[0]


def open_items(s, who, cid, kind):
    return [i for i in tasks(s.inbox(who), cid, kind) if i.get("open", True)]


def route1(s, **extra):
    body = {"verwijzer": "gemeente", "gemeente": "alkmaar", "casusregisseur": "cr-alkmaar", "jeugdige": JEUGDIGE}
    body.update(extra)
    st, case = s.create("pr-alkmaar", body)
    assert st == 201, (st, case)
    return case


def toewijzen_data(aanbieder=HORIZON, product="45A01", **extra):
    d = {"aanbieder": aanbieder, "product": product, "begindatum": "2027-04-01", "einddatum": "2027-12-31",
         "ondersteuningsplan": "OP-2027-0042"}
    d.update(extra)
    return d


def in_zorg(s):
    cid = route1(s)["id"]
    s.fire(cid, "pr-alkmaar", "toewijzen", toewijzen_data())
    case = s.fire(cid, "ab-horizon", "start_zorg")
    assert case["status"] == "in_zorg", case
    return cid


def test_r_esc_9_alkmaar_case_runs_on_its_own_chart():
    """R-ESC-9 (a second chart, not code), R-TW-1: the region's chart is chosen by the gemeente: an alkmaar
    case runs on jeugdhulp-alkmaar@2 (route 1 by the lokaal toegangsteam, verwijzer gemeente only, no
    self-referral, toewijzen needs the ondersteuningsplan), a rotterdam case on the same server on
    jeugdhulp-rijnmond@1; Rijnmond-only events do not exist for it."""
    with alkmaar_server() as s:
        st, lst = s.req("GET", "/v1/statecharts", TOKEN["pr-alkmaar"])
        assert st == 200 and {c["ref"] for c in lst["statecharts"]} >= {"jeugdhulp-alkmaar@2", "jeugdhulp-rijnmond@1"}
        case = route1(s)
        cid = case["id"]
        assert case["chart"] == "jeugdhulp-alkmaar@2" and case["status"] == "aangemeld", case
        assert case["fields"]["route"] == "lokaal_toegangsteam" and case["fields"]["regio"] == "holland-noord", case
        assert s.history(cid, "pr-alkmaar")[0]["event"] == "aanmelden"
        rot = s.create_a()
        assert rot["chart"] == "jeugdhulp-rijnmond@1", rot["chart"]
        for verwijzer in ("huisarts", "gi", "zelfverwijzer", "geen_verwijzer"):
            st, body = s.create("pr-alkmaar", {"verwijzer": verwijzer, "gemeente": "alkmaar", "jeugdige": JEUGDIGE})
            assert_error(st, body, 422, rule="R-TW-1")
        # route 2: the aanbieder's verzoek om toewijzing after a huisarts (not for self-referral)
        base = {"gemeente": "alkmaar", "aanbieder": HORIZON, "jeugdige": JEUGDIGE,
                "product": {"code": "45A01", "begindatum": "2027-04-01", "einddatum": "2027-12-31"}}
        st, body = s.create("ab-horizon", dict(base, verwijzer="zelfverwijzer"))
        assert_error(st, body, 422, code="guard_failed", rule="R-TW-1")
        st, verzoek = s.create("ab-horizon", dict(base, verwijzer="huisarts"))
        assert st == 201 and verzoek["chart"] == "jeugdhulp-alkmaar@2", verzoek
        assert verzoek["status"] == "verzoek_om_toewijzing" and verzoek["fields"]["route"] == "andere_verwijzer"
        no_plan = toewijzen_data()
        del no_plan["ondersteuningsplan"]
        refused(s, cid, "pr-alkmaar", "toewijzen", no_plan, 422, "invalid_data", "R-TW-1")
        refused(s, cid, "ab-horizon", "start_zorg", None, 404, "not_found", "R-AUTH-2")
        case = s.fire(cid, "pr-alkmaar", "toewijzen", toewijzen_data())
        assert case["status"] == "toegewezen" and case["fields"]["ondersteuningsplan"] == "OP-2027-0042", case
        s.fire(cid, "ab-horizon", "start_zorg")
        refused(s, cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "x"}, 400, "unknown_event")
        refused(s, cid, "cr-alkmaar", "stagnatie_opschalen", {"melding_zbt": "x"}, 400, "unknown_event")
        # R-PRIV-1 (DOMAIN 4.1): no contractmanager sees a case that did not reach it, not even its region's
        for cm in ("cm-rijnmond", "cm-holland-noord"):
            st, body = s.req("GET", "/v1/cases/" + cid, TOKEN[cm])
            assert_error(st, body, 404, code="not_found")


def test_r_esc_9_ret_ladder_in_order_over_http():
    """R-ESC-9: verwijzer -> lokaal toegangsteam intern -> regional (anonymous) -> consultation (OJEP) ->
    RET, in order over HTTP: every skipped or repeated rung is 409, other roles 403, the case's GI casusregisseur
    (not the lokaal toegangsteam) 422 R-ESC-9, a casusregisseur of the gemeente that is not the case's own
    422 R-AUTH-3, the rung conditions 422 R-ESC-9, each refusal changing
    nothing; the aanbieder is told of every step; the contractmanager is notified (anonymised) when the
    case goes to the RET; the RET advice is binding: the ladder closes only once the advised toewijzing
    is in place, and nothing may go against it."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.fire(cid, "pr-alkmaar", "casusregisseur_wijzigen", {"casusregisseur": "cr-gi-noord"})
        for event, data in (("intern_bespreken", {"verslag": "x"}), ("ret_voorleggen", RET),
                            ("overeenstemming_bereiken", {})):
            refused(s, cid, "pr-alkmaar", event, data, 409, "not_allowed_in_state")
        # rung 1: the verwijzer (the aanbieder opens it; the verwijzer is the gemeente itself)
        for who in ("tm-alkmaar", "abm-horizon"):
            refused(s, cid, who, "escalatie_openen", OPEN, 403, "forbidden", "R-AUTH-1")
        # R-PRIV-1: the contractmanager does not see the case before it reaches the RET
        refused(s, cid, "cm-holland-noord", "escalatie_openen", OPEN, 404, "not_found", "R-AUTH-2")
        refused(s, cid, "ab-horizon", "escalatie_openen", dict(OPEN, aanleiding="boos"), 422, "invalid_data", "R-ESC-9")
        case = s.fire(cid, "ab-horizon", "escalatie_openen", OPEN)
        assert "bij_verwijzer" in case["state"] and case["status"] == "in_zorg", case
        one_item(s, "pr-alkmaar", cid, "escalatie_geopend", "task")
        one_item(s, "ab-horizon", cid, "escalatie_stap", "notification")
        for event, data in (("escalatie_openen", OPEN), ("regionaal_bespreken", REGIONAAL),
                            ("consultatie_aanvragen", CONSULT), ("consultatie_afronden", {"advies": "x"}),
                            ("ret_voorleggen", RET), ("ret_advies_vastleggen", {"advies": "x"})):
            refused(s, cid, "pr-alkmaar", event, data, 409, "not_allowed_in_state")
        # rung 2: internal discussion, lokaal toegangsteam only
        for who in ("ab-horizon", "tm-alkmaar"):
            refused(s, cid, who, "intern_bespreken", {"verslag": "x"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cm-holland-noord", "intern_bespreken", {"verslag": "x"}, 404, "not_found", "R-AUTH-2")
        refused(s, cid, "cr-gi-noord", "intern_bespreken", {"verslag": "x"}, 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "intern_bespreken", {}, 422, "invalid_data", "R-ESC-9")
        case = s.fire(cid, "pr-alkmaar", "intern_bespreken", {"verslag": "geen passend antwoord"})
        assert "intern_besproken" in case["state"], case["state"]
        assert open_items(s, "pr-alkmaar", cid, "escalatie_geopend") == []
        for event, data in (("intern_bespreken", {"verslag": "x"}), ("consultatie_aanvragen", CONSULT),
                            ("ret_voorleggen", RET)):
            refused(s, cid, "pr-alkmaar", event, data, 409, "not_allowed_in_state")
        # rung 3: regional, anonymous; the gemeente's casusregisseur is not this case's (R-AUTH-3)
        refused(s, cid, "pr-alkmaar", "regionaal_bespreken", dict(REGIONAAL, anoniem=False), 422, "guard_failed",
                "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "regionaal_bespreken", {"verslag": "x"}, 422, "invalid_data", "R-ESC-9")
        refused(s, cid, "ab-horizon", "regionaal_bespreken", REGIONAAL, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cr-alkmaar", "regionaal_bespreken", REGIONAAL, 422, "guard_failed", "R-AUTH-3")
        case = s.fire(cid, "pr-alkmaar", "regionaal_bespreken", REGIONAAL)
        assert "regionaal_besproken" in case["state"] and case["fields"]["escalatie"]["regionaal_anoniem"] is True
        refused(s, cid, "pr-alkmaar", "ret_voorleggen", RET, 409, "not_allowed_in_state")
        # rung 4: consultation of a provider (named) or the OJEP (with a grond)
        refused(s, cid, "pr-alkmaar", "consultatie_aanvragen", {"geconsulteerde": "aanbieder", "vraag": "x"}, 422,
                "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "consultatie_aanvragen", {"geconsulteerde": "ojep", "vraag": "x"}, 422,
                "guard_failed", "R-ESC-9")
        refused(s, cid, "ab-horizon", "consultatie_aanvragen", CONSULT, 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "pr-alkmaar", "consultatie_aanvragen", CONSULT)
        assert "consultatie_aangevraagd" in case["state"], case["state"]
        refused(s, cid, "pr-alkmaar", "ret_voorleggen", RET, 409, "not_allowed_in_state")
        s.fire(cid, "pr-alkmaar", "consultatie_afronden", {"advies": "geen aanbod in de regio"})
        # rung 5: the RET, only by the lokaal toegangsteam, no safety or crisis cases
        for who in ("ab-horizon", "abm-horizon", "tm-alkmaar"):
            refused(s, cid, who, "ret_voorleggen", RET, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cm-holland-noord", "ret_voorleggen", RET, 404, "not_found", "R-AUTH-2")
        refused(s, cid, "cr-gi-noord", "ret_voorleggen", RET, 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "ret_voorleggen", dict(RET, veiligheid_voorop=True), 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "ret_voorleggen", dict(RET, crisis=True), 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "ret_voorleggen", {"hulpvraag": "x"}, 422, "invalid_data", "R-ESC-9")
        s.fire(cid, "ab-horizon", "ret_aanvragen", {"toelichting": "graag het RET"})  # the aanbieder asks
        one_item(s, "pr-alkmaar", cid, "ret_gevraagd", "task")
        assert tasks(s.inbox("cm-holland-noord"), cid) == []
        case = s.fire(cid, "pr-alkmaar", "ret_voorleggen", RET)
        assert "voorgelegd_aan_ret" in case["state"], case["state"]
        assert open_items(s, "pr-alkmaar", cid, "ret_gevraagd") == []
        one_item(s, "cm-holland-noord", cid, "ret_voorgelegd", "notification")
        st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN["cm-holland-noord"])
        assert st == 200 and NAAM.encode() not in raw and GEBOORTEDATUM.encode() not in raw, raw
        assert json.loads(raw)["fields"]["pseudoniem"].startswith("J-")
        st, _, raw = s.raw("GET", "/v1/cases/%s/history" % cid, TOKEN["cm-holland-noord"])
        assert st == 200 and NAAM.encode() not in raw and GEBOORTEDATUM.encode() not in raw, raw
        # the binding advice
        refused(s, cid, "ab-horizon", "ret_advies_vastleggen", ADVIES, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cr-gi-noord", "ret_advies_vastleggen", ADVIES, 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "ret_advies_vastleggen", {"advies": "naar kompas", "bindend": True, "aanbieder": KOMPAS}, 422,
                "guard_failed", "R-ESC-9")
        s.clock("2027-06-02T10:00:00+02:00")
        case = s.fire(cid, "pr-alkmaar", "ret_advies_vastleggen", ADVIES)
        assert "ret_advies_uitvoeren" in case["state"], case["state"]
        advies = case["fields"]["ret_advies"]
        assert advies["bindend"] is True and advies["aanbieder"] == KOMPAS and advies["product"] == "45A07", advies
        assert advies["datum"] == "2027-06-02", advies
        one_item(s, "pr-alkmaar", cid, "ret_advies_uitvoeren", "task")
        one_item(s, "ab-horizon", cid, "ret_advies", "notification")
        refused(s, cid, "pr-alkmaar", "overeenstemming_bereiken", {}, 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-06-01"},
                422, "guard_failed", "R-ESC-9")
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "33", "einddatum_zorg": "2027-06-01"},
                422, "guard_failed", "R-BE-12")
        refused(s, cid, "pr-alkmaar", "toewijzen", toewijzen_data(aanbieder=HORIZON, product="45A07"), 422,
                "guard_failed", "R-ESC-9")
        refused(s, cid, "pr-alkmaar", "toewijzen", toewijzen_data(aanbieder=KOMPAS, product="45A01"), 422,
                "guard_failed", "R-ESC-9")
        refused(s, cid, "ab-horizon", "toewijzen", toewijzen_data(aanbieder=KOMPAS, product="45A07"), 403, "forbidden",
                "R-AUTH-1")
        # the lokaal toegangsteam carries out the advice: the advised provider sees the case now
        case = s.fire(cid, "pr-alkmaar", "toewijzen", toewijzen_data(aanbieder=KOMPAS, product="45A07",
                                                                    begindatum="2027-06-07"))
        assert case["status"] == "toegewezen" and case["fields"]["aanbieder"] == KOMPAS, case
        assert case["fields"]["vorige_aanbieder"] == HORIZON and case["fields"]["ret_advies"]["toegewezen"] == "2027-06-02"
        assert "ret_advies_uitvoeren" in case["state"], case["state"]
        assert s.get_case(cid, "ab-kompas")["status"] == "toegewezen"
        st, body = s.req("GET", "/v1/cases/" + cid, TOKEN["ab-horizon"])
        assert_error(st, body, 404, code="not_found")
        refused(s, cid, "ab-kompas", "toewijzing_weigeren", {"reden": "gewichtige_redenen"}, 422, "guard_failed",
                "R-ESC-9")
        refused(s, cid, "ab-kompas", "overeenstemming_bereiken", {}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cr-gi-noord", "overeenstemming_bereiken", {}, 422, "guard_failed", "R-ESC-9")
        case = s.fire(cid, "pr-alkmaar", "overeenstemming_bereiken", {"afspraken": "RET-advies uitgevoerd"})
        assert "geen_escalatie" in case["state"] and case["fields"]["ret_advies"]["opgevolgd"] == "2027-06-02", case
        assert case["fields"]["ret_advies"]["aanbieder"] == KOMPAS  # the advice stays on record
        assert open_items(s, "pr-alkmaar", cid, "ret_advies_uitvoeren") == []
        s.clock("2027-06-07T10:00:00+02:00")
        assert s.fire(cid, "ab-kompas", "start_zorg")["status"] == "in_zorg"
        # the history is the ladder, in order, every rung R-ESC-9
        ladder = [(e["event"], e["rule"]) for e in s.history(cid, "pr-alkmaar")
                  if e["event"] not in ("aanmelden", "toewijzen", "start_zorg", "casusregisseur_wijzigen")]
        assert ladder == [(ev, "R-ESC-9") for ev in (
            "escalatie_openen", "intern_bespreken", "regionaal_bespreken", "consultatie_aanvragen",
            "consultatie_afronden", "ret_aanvragen", "ret_voorleggen", "ret_advies_vastleggen",
            "overeenstemming_bereiken")], ladder


def test_r_esc_9_agreement_closes_ladder_and_verwijzer_consulted_first():
    """R-ESC-9: agreement closes the ladder at any rung: at the verwijzer the aanbieder may record it,
    further up only the lokaal toegangsteam (aanbieder 403, the case's GI casusregisseur 422 R-ESC-9; a
    casusregisseur of the gemeente only once it is the case's own, R-AUTH-3); the ladder can be opened again.
    On route 2 the aanbieder opens the ladder only after consulting the external verwijzer (overleg_verwijzer,
    422 R-ESC-9 without)."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.fire(cid, "pr-alkmaar", "casusregisseur_wijzigen", {"casusregisseur": "cr-gi-noord"})
        s.fire(cid, "ab-horizon", "escalatie_openen", OPEN)
        case = s.fire(cid, "ab-horizon", "overeenstemming_bereiken", {"afspraken": "opgelost met de verwijzer"})
        assert "geen_escalatie" in case["state"] and case["fields"]["escalatie"]["afspraken"] == "opgelost met de verwijzer"
        s.fire(cid, "ab-horizon", "escalatie_openen", OPEN)
        s.fire(cid, "pr-alkmaar", "intern_bespreken", {"verslag": "x"})
        s.fire(cid, "pr-alkmaar", "regionaal_bespreken", REGIONAAL)
        for who in ("ab-horizon", "tm-alkmaar"):
            refused(s, cid, who, "overeenstemming_bereiken", {}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cm-holland-noord", "overeenstemming_bereiken", {}, 404, "not_found", "R-AUTH-2")
        refused(s, cid, "cr-gi-noord", "overeenstemming_bereiken", {}, 422, "guard_failed", "R-ESC-9")
        refused(s, cid, "cr-alkmaar", "overeenstemming_bereiken", {}, 422, "guard_failed", "R-AUTH-3")
        s.fire(cid, "pr-alkmaar", "casusregisseur_wijzigen", {"casusregisseur": "cr-alkmaar"})
        case = s.fire(cid, "cr-alkmaar", "overeenstemming_bereiken", {})
        assert "geen_escalatie" in case["state"] and case["status"] == "in_zorg", case
        assert case["counters"]["escalaties"] == 2, case["counters"]
        # route 2 (huisarts): consult the verwijzer first
        st, verzoek = s.create("ab-horizon", {
            "verwijzer": "huisarts", "gemeente": "alkmaar", "aanbieder": HORIZON, "jeugdige": JEUGDIGE,
            "product": {"code": "45A01", "begindatum": "2027-04-01", "einddatum": "2027-12-31"}})
        assert st == 201, verzoek
        r2 = verzoek["id"]
        s.fire(r2, "pr-alkmaar", "toewijzing_toekennen")
        s.fire(r2, "ab-horizon", "start_zorg", {"casusregisseur": "cr-alkmaar"})  # R-AUTH-3: always one
        refused(s, r2, "ab-horizon", "escalatie_openen", OPEN, 422, "guard_failed", "R-ESC-9")
        case = s.fire(r2, "ab-horizon", "escalatie_openen", dict(OPEN, overleg_verwijzer="huisarts: naar toegang"))
        assert case["fields"]["escalatie"]["overleg_verwijzer"] == "huisarts: naar toegang", case["fields"]


# --- monitoring, opschorting, crisis and the termination procedure (the fragments shared with Rijnmond) ---

def ams(day, hm="10:00"):
    """Europe/Amsterdam wall-clock time (CEST from the last Sunday of March to the last of October 2027)."""
    summer = "2027-03-28" <= day < "2027-10-31"
    return "%sT%s:00%s" % (day, hm, "+02:00" if summer else "+01:00")


def gesprek(datum, ouders=True):
    return {"datum": datum, "verslag": "verslag-" + datum, "afspraken": "op tijd komen", "ouders_aanwezig": ouders}


def waarschuwing(datum):
    return {"datum": datum, "niet_nagekomen_afspraken": "op tijd komen", "kopie": "dossier/w-" + datum}


FORMULIER = {"ondertekend_door": "M. de Manager",
             "bijlagen": {"gespreksverslagen": ["verslag-2027-05-03", "verslag-2027-05-10"],
                          "afspraken": "op tijd komen", "eerste_waarschuwing": "dossier/w-2027-05-17",
                          "tweede_waarschuwing": "dossier/w-2027-05-24"}}
OVERWEGINGEN = {"overwegingen": {"a_gedrag_door_aandoening": "nee", "b_beeindiging_voorkomen": "ja",
                                 "c_procedure_gevolgd": "ja", "d_continuering_geregeld": "ja, andere aanbieder"}}


def test_r_mon_1_r_mon_3_r_auth_3_alkmaar_evaluations():
    """R-MON-1, R-MON-2, R-MON-3 (ALK §4.1.2-4.1.3: the casusregisseur monitors and evaluates; ALK gives no
    frequency, so DOMAIN 4.1's shared rule): a case in care without a frequency or regie intensity is not
    silently licht: the first evaluation is due 3 months after the start and the casusregisseur and the
    procesregisseur get a task to set the frequency; the end evaluation is due 8 weeks before the einddatum.
    R-AUTH-3 (ALK §4.1.3): only the case's own casusregisseur records evaluations, and tasks go to it alone
    (no shared inbox: a colleague of the gemeente gets none). An overdue evaluation gives a task (R-MON-3)."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        case = s.get_case(cid, "pr-alkmaar")
        assert "monitoring" in case["state"] and "zorg_loopt" in case["state"], case["state"]
        assert case["fields"]["volgende_evaluatie"] == "2027-07-01", case["fields"]
        one_item(s, "cr-alkmaar", cid, "evaluatiefrequentie_vastleggen", "task", "R-MON-1")
        one_item(s, "pr-alkmaar", cid, "evaluatiefrequentie_vastleggen", "task", "R-MON-1")
        assert tasks(s.inbox("cr2-alkmaar"), cid) == [], s.inbox("cr2-alkmaar")
        freq = {"frequentie": "3_maanden", "bron": "ondersteuningsplan"}
        refused(s, cid, "cr2-alkmaar", "evaluatiefrequentie_vastleggen", freq, 422, "guard_failed", "R-AUTH-3")
        refused(s, cid, "ab-horizon", "evaluatiefrequentie_vastleggen", freq, 403, "forbidden", "R-AUTH-1")
        s.fire(cid, "cr-alkmaar", "evaluatiefrequentie_vastleggen", freq)
        assert open_items(s, "cr-alkmaar", cid, "evaluatiefrequentie_vastleggen") == []
        # the first evaluation is overdue the day after it was due
        s.clock(ams("2027-07-02"))
        case = s.get_case(cid, "pr-alkmaar")
        assert "evaluatie_te_laat" in case["flags"], case["flags"]
        one_item(s, "cr-alkmaar", cid, "evaluatie_te_laat", "task", "R-MON-3")
        assert tasks(s.inbox("cr2-alkmaar"), cid) == []
        ev = {"datum": "2027-07-02", "uitkomst": "ongewijzigd"}
        refused(s, cid, "cr2-alkmaar", "evaluatie_vastleggen", ev, 422, "guard_failed", "R-AUTH-3")
        case = s.fire(cid, "cr-alkmaar", "evaluatie_vastleggen", ev)
        assert "evaluatie_te_laat" not in case["flags"] and case["fields"]["volgende_evaluatie"] == "2027-10-02", case
        assert open_items(s, "cr-alkmaar", cid, "evaluatie_te_laat") == []
        # the end evaluation: 8 weeks before the einddatum of 31 December
        s.clock(ams("2027-11-06"))
        case = s.get_case(cid, "pr-alkmaar")
        assert "eindevaluatie_te_laat" in case["flags"], case["flags"]
        one_item(s, "cr-alkmaar", cid, "eindevaluatie_te_laat", "task", "R-MON-2")


def test_r_mon_6_alkmaar_opschorting_lapses_after_8_weeks():
    """R-MON-6 (ALK is silent; DOMAIN's shared rule): the jeugdige suspends the care; on the lokaal
    toegangsteam's route it may resume within 8 weeks (the casusregisseur is told of both), after that the
    entitlement lapses and the case ends by the jeugdige (JZ588 32)."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        refused(s, cid, "cr-alkmaar", "zorg_opschorten", {"reden": "x"}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "ab-horizon", "zorg_opschorten", {"reden": "de jeugdige wil een pauze"})
        assert case["status"] == "opgeschort" and "opgeschort" in case["state"], case
        assert case["fields"]["opschorting"]["hervatten_uiterlijk"] == "2027-05-27", case["fields"]["opschorting"]
        one_item(s, "cr-alkmaar", cid, "zorg_opgeschort", "notification", "R-MON-6")
        case = s.fire(cid, "ab-horizon", "zorg_hervatten", {})
        assert case["status"] == "in_zorg" and "zorg_loopt" in case["state"], case
        s.clock(ams("2027-05-03"))
        s.fire(cid, "ab-horizon", "zorg_opschorten", {"reden": "opnieuw een pauze"})
        s.clock(ams("2027-06-28"))
        assert s.get_case(cid, "pr-alkmaar")["status"] == "opgeschort"
        s.clock(ams("2027-06-29"))
        case = s.get_case(cid, "pr-alkmaar")
        assert case["status"] == "beeindigd" and case["closed"] is True, case
        assert case["fields"]["reden_beeindiging"] == "32" and "aanspraak_vervallen" in case["flags"], case


def test_r_mon_7_alkmaar_crisis_pauses_the_arrangement():
    """R-MON-7 (ALK is silent; DOMAIN's shared rule): when the aanbieder calls in the crisis team the
    arrangement is paused and the casusregisseur and procesregisseur are told; the aanbieder stays responsible
    until a vervolgplan and a handover exist. Alkmaar has no route C, so stop zorg at a crisis (RIJ route C,
    R-SAFE-1) is refused; no termination procedure may start during a crisis of another's making (R-BE-12
    guards stay as in Rijnmond)."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        case = s.fire(cid, "ab-horizon", "crisis_melden", {"toelichting": "Spoed4Jeugd ingeschakeld"})
        assert case["status"] == "crisis" and "crisis" in case["state"], case
        one_item(s, "cr-alkmaar", cid, "crisis_gemeld", "notification", "R-MON-7")
        one_item(s, "pr-alkmaar", cid, "crisis_gemeld", "notification", "R-MON-7")
        assert tasks(s.inbox("ab-horizon"), cid, "stop_zorg_na_crisis") == []
        refused(s, cid, "ab-horizon", "stop_zorg_na_crisis_melden", {}, 422, "guard_failed", "R-SAFE-1")
        refused(s, cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "x"}, 422, "invalid_data", "R-MON-7")
        case = s.fire(cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "ambulant verder", "overdracht": "warm"})
        assert case["status"] == "in_zorg" and "zorg_loopt" in case["state"], case
        assert case["fields"]["crisis"]["vervolgplan"] == "ambulant verder", case["fields"]["crisis"]


def test_r_be_alkmaar_termination_procedure_and_no_bypass():
    """R-BE-1..8, R-BE-12, R-AUTH-3, R-PRIV-1 (ALK is silent on termination; DOMAIN's shared procedure, the
    fragment Rijnmond runs too): announced, two talks (parents present: the jeugdige is under 16, R-BE-2),
    two warnings, the consent form signed by the aanbieder_manager with a copy to the region's
    contractmanager, who then sees the case anonymised and without the talk reports; while it is open no
    other end (R-BE-12); only the case's own casusregisseur (always assigned in Alkmaar, ALK §4.1.3) decides,
    recording the four considerations; care continues until the handover, which ends the case with JZ588 33."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.clock(ams("2027-04-26"))
        refused(s, cid, "cr-alkmaar", "beeindiging_aankondigen", {"redenen": "x"}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        assert "beeindiging_gesprekken" in case["state"] and case["status"] == "in_zorg", case
        one_item(s, "cr-alkmaar", cid, "beeindiging_aangekondigd", "notification", "R-BE-1")
        for code in ("31", "33", "34"):
            refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": code, "einddatum_zorg": "2027-04-26"},
                    422, "guard_failed", "R-BE-12")
        refused(s, cid, "ab-horizon", "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-04-26"}, 422,
                "guard_failed", "R-BE-12")
        refused(s, cid, "ab-horizon", "zorg_opschorten", {"reden": "pauze"}, 422, "guard_failed", "R-BE-12")
        s.clock(ams("2027-05-03"))
        refused(s, cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03", ouders=False), 422, "guard_failed",
                "R-BE-2")
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-03"), 422,
                "guard_failed", "R-BE-2")
        s.clock(ams("2027-05-10"))
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10"))
        s.clock(ams("2027-05-17"))
        s.fire(cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"))
        s.clock(ams("2027-05-24"))
        s.fire(cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"))
        s.clock(ams("2027-05-25"))
        # R-PRIV-1: before the copy the contractmanager does not see the case
        st, body = s.req("GET", "/v1/cases/" + cid, TOKEN["cm-holland-noord"])
        assert_error(st, body, 404, code="not_found")
        refused(s, cid, "ab-horizon", "toestemmingsformulier_indienen", FORMULIER, 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)
        assert "beeindiging_ter_beoordeling" in case["state"], case["state"]
        one_item(s, "cr-alkmaar", cid, "beeindiging_beoordelen", "task", "R-BE-7")
        assert tasks(s.inbox("cr2-alkmaar"), cid) == []
        one_item(s, "cm-holland-noord", cid, "beeindiging_toestemmingsformulier", "notification", "R-BE-6")
        st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN["cm-holland-noord"])
        assert st == 200 and NAAM.encode() not in raw and b"verslag-2027-05-03" not in raw, raw
        assert json.loads(raw)["fields"]["beeindiging"]["formulier"]["ingediend_op"] == "2027-05-25"
        # R-AUTH-3: a colleague of the gemeente may not decide; the case's own casusregisseur does
        refused(s, cid, "cr2-alkmaar", "beeindiging_goedkeuren", OVERWEGINGEN, 422, "guard_failed", "R-AUTH-3")
        refused(s, cid, "pr-alkmaar", "beeindiging_goedkeuren", OVERWEGINGEN, 403, "forbidden", "R-AUTH-1")
        s.clock(ams("2027-05-27"))
        case = s.fire(cid, "cr-alkmaar", "beeindiging_goedkeuren", OVERWEGINGEN)
        assert "beeindiging_goedgekeurd" in case["state"] and case["status"] == "in_zorg", case
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "33", "einddatum_zorg": "2027-05-27"},
                422, "guard_failed", "R-BE-12")
        case = s.fire(cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-05-27", "overdracht": "warm"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "33", case
        assert case["closed"] is True and open_items(s, "cr-alkmaar", cid, "beeindiging_beoordelen") == []


def test_r_be_11_alkmaar_end_by_the_jeugdige():
    """R-BE-11 (ALK is silent; DOMAIN's shared rule): outside a termination procedure the aanbieder reports
    that the jeugdige stopped the care: the case ends with JZ588 32 and the casusregisseur and procesregisseur
    are told."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.clock(ams("2027-05-03"))
        case = s.fire(cid, "ab-horizon", "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-05-01"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "32", case
        one_item(s, "pr-alkmaar", cid, "zorg_beeindigd_door_jeugdige", "notification", "R-BE-11")


def test_r_tw_7_alkmaar_wijziging_decided_within_8_weeks():
    """R-TW-7 (OP346), R-MON-5 (ALK §3.2): when the gemeente asks for information on a verzoek om wijziging
    it is in onderzoek, and decides within 8 weeks: the term runs on while the information is delivered and
    asked again; when it passes the procesregisseur gets a task, which the decision closes."""
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.fire(cid, "ab-horizon", "wijziging_aanvragen", {"product": "45A05", "reden": "andere aanpak nodig"})
        case = s.fire(cid, "pr-alkmaar", "informatie_opvragen", {"vraag": "onderbouwing"})
        assert "wijziging_informatie_opgevraagd" in case["state"], case["state"]
        s.clock(ams("2027-04-05"))
        case = s.fire(cid, "ab-horizon", "informatie_aanleveren", {"formulier": "format-2027-1"})
        assert "wijziging_in_behandeling" in case["state"], case["state"]
        s.fire(cid, "pr-alkmaar", "informatie_opvragen", {"vraag": "nog een vraag"})
        s.fire(cid, "ab-horizon", "informatie_aanleveren", {"formulier": "format-2027-2"})
        s.clock(ams("2027-05-26"))
        assert "wijziging_beslistermijn_verlopen" not in s.get_case(cid, "pr-alkmaar")["flags"]
        s.clock(ams("2027-05-28"))
        case = s.get_case(cid, "pr-alkmaar")
        assert "wijziging_beslistermijn_verlopen" in case["flags"], case["flags"]
        one_item(s, "pr-alkmaar", cid, "wijziging_beslistermijn_verlopen", "task", "R-TW-7")
        s.fire(cid, "pr-alkmaar", "wijziging_afwijzen", {"reden": "past niet"})
        assert open_items(s, "pr-alkmaar", cid, "wijziging_beslistermijn_verlopen") == []


def test_r_mon_4_alkmaar_verlenging_window():
    """R-MON-4 (ALK §2.3.2): the aanbieder delivers the evaluatieformulier for a verlenging between eight and
    twelve weeks before the einddatum, not earlier and not later (422 R-MON-4); later, the lokaal
    toegangsteam may still extend on its own initiative (R-MON-9)."""
    form = {"product": "45A01", "reden": "doelen nog niet behaald", "aanpassing_behandelplan": "meer gesprekken",
            "nieuwe_einddatum": "2028-06-30", "toestemming_ouders_gevraagd": True, "toestemming_ouders": True}
    with alkmaar_server() as s:
        cid = in_zorg(s)
        s.clock(ams("2027-10-07"))
        refused(s, cid, "ab-horizon", "verlenging_aanvragen", form, 422, "guard_failed", "R-MON-4")
        s.clock(ams("2027-11-06"))
        refused(s, cid, "ab-horizon", "verlenging_aanvragen", form, 422, "guard_failed", "R-MON-4")
        case = s.fire(cid, "pr-alkmaar", "toewijzing_verlengen", {"nieuwe_einddatum": "2028-03-31",
                                                                    "reden": "doelen nog niet behaald"})
        assert case["fields"]["product"]["einddatum"] == "2028-03-31", case["fields"]["product"]


if __name__ == "__main__":
    run(globals())
