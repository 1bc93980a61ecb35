"""HTTP API tests: the Rijnmond process after the toewijzing, as a user drives it over HTTP with the
manual clock (chart jeugdhulp-rijnmond): the provider's termination procedure (R-BE-1..11), the
escalation ladder up to the contractmanager (R-ESC-1..8) and monitoring (R-MON-1..8).

The engine-level twin is tests/unit/engine/test_rijnmond_process.c; the event data here is the same.
Every refusal is checked for its status, error code and rule (409 carries no rule), and that it
changed nothing: the case view (version, state, fields, deadlines), its history and the inboxes of
the actors involved are byte-for-byte the same afterwards.

Dates: the server starts on Thursday 1 April 2027, 09:00 Europe/Amsterdam; a case is assigned with
begindatum 2027-04-01 and einddatum 2027-12-31 and care starts that day, unless a test says otherwise.
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, TOKEN, Server, assert_error, deadline, run, tasks  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"

# actors whose inboxes a refusal must leave unchanged
WATCHED = ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam", "ab-horizon", "abm-horizon", "cm-rijnmond")


# --- time -----------------------------------------------------------------------------------

def _last_sunday(year, month):
    nxt = datetime.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - datetime.timedelta(days=1)
    return last - datetime.timedelta(days=(last.weekday() + 1) % 7)


def ams(day, hm="10:00"):
    """RFC 3339 for a wall-clock time in Europe/Amsterdam (CEST between the last Sundays of March and
    October)."""
    d = datetime.date.fromisoformat(day)
    summer = _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10)
    return "%sT%s:00%s" % (day, hm, "+02:00" if summer else "+01:00")


# --- event data (as in test_rijnmond_process.c) ---------------------------------------------------

def gesprek(datum, ouders=True):
    return {"datum": datum, "verslag": "verslag-" + datum, "afspraken": "op tijd komen", "ouders_aanwezig": ouders}


def waarschuwing(datum):
    return {"datum": datum, "niet_nagekomen_afspraken": "op tijd komen", "kopie": "dossier/w-" + datum}


FORMULIER = {"ondertekend_door": "M. de Manager",
             "bijlagen": {"gespreksverslagen": ["verslag-2027-05-03", "verslag-2027-05-10"],
                          "afspraken": "op tijd komen",
                          "eerste_waarschuwing": "dossier/w-2027-05-17",
                          "tweede_waarschuwing": "dossier/w-2027-05-24"}}


def overwegingen(d=True, c="ja"):
    o = {"a_gedrag_door_aandoening": "nee", "b_beeindiging_voorkomen": "ja", "c_procedure_gevolgd": c}
    if d:
        o["d_continuering_geregeld"] = "ja, andere aanbieder"
    return {"overwegingen": o}


GESPREK_AANBIEDER = {"datum": "2027-04-12", "argumenten": "nieuwe argumenten", "samenwerkingsafspraken": "wekelijks",
                     "evaluatieafspraken": "na 6 weken"}


def verlenging(product="45A12", einddatum="2028-06-30"):
    return {"product": product, "reden": "doelen deels behaald", "aanpassing_behandelplan": "meer sessies",
            "nieuwe_einddatum": einddatum}


# --- helpers --------------------------------------------------------------------------------

def assign(s, intensiteit="midden", einddatum="2027-12-31", verwijzer="gemeente", geboortedatum="2012-05-01",
           arrangement=None, toestemming=True):
    """A route A (verwijzer gemeente) or C (gi, rechter) case assigned to horizon; returns its id."""
    case = s.create_a(verwijzer=verwijzer, regie_intensiteit=intensiteit, toestemming_gegevensdeling=toestemming,
                      jeugdige={"naam": "Sam de Vries", "geboortedatum": geboortedatum})
    data = {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-04-01", "einddatum": einddatum,
            "risicotaxatie": "geen_risico"}  # R-SAFE-1
    if arrangement:
        data["arrangement"] = arrangement
    s.fire(case["id"], "pr-rotterdam", "toewijzen", data)
    return case["id"]


def in_zorg(s, **kw):
    """A case in care since today (start_zorg by the aanbieder); returns its id."""
    cid = assign(s, **kw)
    case = s.fire(cid, "ab-horizon", "start_zorg")
    assert case["status"] == "in_zorg", case
    return cid


def in_zorg_route_b(s, einddatum="2027-12-31"):
    """Route B: the aanbieder's verzoek om toewijzing (huisarts), granted, care started today."""
    st, case = s.create_b(regie_intensiteit="midden",
                          product={"code": "45A12", "begindatum": "2027-04-01", "einddatum": einddatum})
    assert st == 201, (st, case)
    cid = case["id"]
    s.fire(cid, "pr-rotterdam", "toewijzing_toekennen")
    case = s.fire(cid, "ab-horizon", "start_zorg")
    assert case["fields"]["route"] == "B" and case["status"] == "in_zorg", case
    return cid


def snapshot(s, cid, viewer="pr-rotterdam", watched=WATCHED):
    return (s.get_case(cid, viewer), s.history(cid, viewer), {w: s.inbox(w) for w in watched})


def refused(s, cid, who, event, data, status, code, rule=None, viewer="pr-rotterdam"):
    """Fires an event that must be refused with status/code/rule, and checks that nothing changed: the
    case (version, state, status, fields, deadlines), its history (length and entries) and the inboxes."""
    before_case, before_hist, before_inbox = snapshot(s, cid, viewer)
    if who.startswith("cm-") and "contractmanager" not in before_case.get("notified", {}):
        # R-PRIV-1 (DOMAIN 4.1): a case that has not reached the contractmanager does not exist for it
        status, code, rule = 404, "not_found", "R-AUTH-2"
    st, body = s.event(cid, who, event, data)
    err = assert_error(st, body, status, code=code, rule=rule)
    after_case, after_hist, after_inbox = snapshot(s, cid, viewer)
    assert after_case["version"] == before_case["version"], (event, who, before_case["version"], after_case["version"])
    assert after_case["state"] == before_case["state"], (event, who, before_case["state"], after_case["state"])
    assert len(after_hist) == len(before_hist), (event, who, len(before_hist), len(after_hist))
    assert after_case == before_case, "%s by %s changed the case" % (event, who)
    assert after_hist == before_hist, "%s by %s changed the history" % (event, who)
    assert after_inbox == before_inbox, "%s by %s changed an inbox" % (event, who)
    return err


def items(s, who, cid, kind, type_=None):
    return tasks(s.inbox(who), cid, kind, type_)


def open_items(s, who, cid, kind):
    return [i for i in items(s, who, cid, kind) if i.get("open", True)]


def one_item(s, who, cid, kind, type_, rule):
    found = items(s, who, cid, kind, type_)
    assert len(found) == 1, "%s: want one %s %s for case %s, got %r" % (who, type_, kind, cid, s.inbox(who))
    assert found[0]["rule"] == rule, found[0]
    return found[0]


def last_entry(s, cid, who="pr-rotterdam"):
    return s.history(cid, who)[-1]


def due(case, kind):
    d = deadline(case, kind)
    return d["due"] if d else None


def each(s, cids, who, event, data=None):
    return [s.fire(cid, who, event, data) for cid in cids]


def procedure_to_form(s, cids):
    """R-BE-1..6 for every case in cids: announced 04-26, talks 05-03 and 05-10, warnings 05-17 and 05-24,
    the form 05-25 (clock moves along)."""
    s.clock(ams("2027-04-26"))
    each(s, cids, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
    s.clock(ams("2027-05-03"))
    each(s, cids, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
    s.clock(ams("2027-05-10"))
    each(s, cids, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10"))
    s.clock(ams("2027-05-17"))
    each(s, cids, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"))
    s.clock(ams("2027-05-24"))
    each(s, cids, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"))
    s.clock(ams("2027-05-25"))
    for case in each(s, cids, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER):
        assert "beeindiging_ter_beoordeling" in case["state"], case["state"]


# ================================================================================================
# Termination by the aanbieder (RIJ stap 3)
# ================================================================================================

def test_r_be_1_to_8_termination_approved_every_step_enforced_then_overdracht_afronden():
    """R-BE-1..R-BE-8, R-AUTH-1: the whole procedure over HTTP. Every out-of-order attempt is refused
    (nothing before the announcement: 409; a first warning or the form before two talks: 422 R-BE-2; the
    second warning before the first and the form before both warnings: 422 R-BE-5; the form by the
    aanbieder: 403; a decision without all four considerations: 422 R-BE-7; approval by the aanbieder:
    403), each leaving the case unchanged. The contractmanager receives the form copy (R-BE-6); after
    approval care continues (status in_zorg) until overdracht_afronden ends the case (R-BE-8)."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        # R-BE-1: nothing of the procedure before it is announced
        for who, event, data in [
                ("ab-horizon", "gesprek_vastleggen", gesprek("2027-04-01")),
                ("ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-04-01")),
                ("ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-04-01")),
                ("abm-horizon", "toestemmingsformulier_indienen", FORMULIER),
                ("cr-rotterdam", "beeindiging_goedkeuren", overwegingen()),
                ("cr-rotterdam", "beeindiging_afwijzen", overwegingen()),
                ("ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-04-01", "overdracht": "x"}),
                ("pr-rotterdam", "voortzetting_niet_verlangen", {"motivering": "x"}),
                ("ab-horizon", "beeindiging_intrekken", {"reden": "x"})]:
            refused(s, cid, who, event, data, 409, "not_allowed_in_state")
        s.clock(ams("2027-04-26"))
        for who in ("cr-rotterdam", "abm-horizon", "pr-rotterdam", "cm-rijnmond"):
            refused(s, cid, who, "beeindiging_aankondigen", {"redenen": "x"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "beeindiging_aankondigen", {}, 422, "invalid_data", "R-BE-1")
        case = s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        assert "beeindiging_gesprekken" in case["state"] and "beeindiging_loopt" in case["flags"], case
        assert case["status"] == "in_zorg", case
        one_item(s, "cr-rotterdam", cid, "beeindiging_aangekondigd", "notification", "R-BE-1")
        refused(s, cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "nog eens"}, 409, "not_allowed_in_state")
        # R-BE-2: no warning and no form before two talks; R-BE-5: no second warning before the first
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-04-26"), 422,
                "guard_failed", "R-BE-2")
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER, 422, "guard_failed", "R-BE-2")
        refused(s, cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-04-26"), 422,
                "guard_failed", "R-BE-5")
        # R-BE-3: a talk has a date (not in the future), a report and agreements; R-BE-2: parents under 16
        s.clock(ams("2027-05-03"))
        refused(s, cid, "cr-rotterdam", "gesprek_vastleggen", gesprek("2027-05-03"), 403, "forbidden", "R-AUTH-1")
        bad = gesprek("2027-05-03")
        del bad["verslag"]
        refused(s, cid, "ab-horizon", "gesprek_vastleggen", bad, 422, "invalid_data", "R-BE-3")
        refused(s, cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-04"), 422, "guard_failed", "R-BE-3")
        refused(s, cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03", ouders=False), 422,
                "guard_failed", "R-BE-2")
        case = s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
        assert case["counters"]["gesprekken"] == 1, case["counters"]
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-03"), 422,
                "guard_failed", "R-BE-2")
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER, 422, "guard_failed", "R-BE-2")
        s.clock(ams("2027-05-10"))
        case = s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10"))
        assert case["counters"]["gesprekken"] == 2, case["counters"]
        assert [g["verslag"] for g in case["fields"]["beeindiging"]["gesprekken"]] == [
            "verslag-2027-05-03", "verslag-2027-05-10"], case["fields"]["beeindiging"]
        # two talks: the second warning still needs the first, the form needs both warnings
        s.clock(ams("2027-05-17"))
        refused(s, cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-17"), 422,
                "guard_failed", "R-BE-5")
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER, 422, "guard_failed", "R-BE-5")
        refused(s, cid, "abm-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"), 403,
                "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", {"datum": "2027-05-17", "kopie": "k"}, 422,
                "invalid_data", "R-BE-4")
        case = s.fire(cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"))
        assert "beeindiging_eerste_waarschuwing" in case["state"], case["state"]
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"), 422,
                "guard_failed", "R-BE-4")
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER, 422, "guard_failed", "R-BE-5")
        s.clock(ams("2027-05-24"))
        case = s.fire(cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"))
        assert "beeindiging_tweede_waarschuwing" in case["state"], case["state"]
        refused(s, cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"), 422,
                "guard_failed", "R-BE-5")
        # R-BE-6: only the responsible manager signs and submits the form, with every attachment
        s.clock(ams("2027-05-25"))
        for who in ("ab-horizon", "cr-rotterdam", "pr-rotterdam"):
            refused(s, cid, who, "toestemmingsformulier_indienen", FORMULIER, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", {"ondertekend_door": "M"}, 422,
                "invalid_data", "R-BE-6")
        one_talk = {"ondertekend_door": "M", "bijlagen": dict(FORMULIER["bijlagen"], gespreksverslagen=["v1"])}
        refused(s, cid, "abm-horizon", "toestemmingsformulier_indienen", one_talk, 422, "invalid_data", "R-BE-6")
        assert tasks(s.inbox("cm-rijnmond"), cid) == []
        case = s.fire(cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)
        assert "beeindiging_ter_beoordeling" in case["state"], case["state"]
        assert case["fields"]["beeindiging"]["formulier"]["ingediend_door"] == "abm-horizon", case["fields"]
        assert last_entry(s, cid)["rule"] == "R-BE-6"
        # the contractmanager receives a copy (R-BE-6), anonymised (R-PRIV-1); the casusregisseur decides
        copy = one_item(s, "cm-rijnmond", cid, "beeindiging_toestemmingsformulier", "notification", "R-BE-6")
        assert copy["open"] is True, copy
        cm_view = s.get_case(cid, "cm-rijnmond")
        assert cm_view.get("anoniem") is True and "jeugdige" not in cm_view["fields"], cm_view
        assert "Sam de Vries" not in str(cm_view)
        assert open_items(s, "cr-rotterdam", cid, "beeindiging_beoordelen")[0]["rule"] == "R-BE-7"
        assert "beeindiging_goedkeuren" in s.get_case(cid, "cr-rotterdam")["allowed_events"]
        # after the form: no more talks or warnings, no handover yet
        refused(s, cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-25"), 409, "not_allowed_in_state")
        refused(s, cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-05-25", "overdracht": "x"}, 409,
                "not_allowed_in_state")
        # R-BE-7: the decision needs all four considerations a-d; only the casusregisseur decides
        s.clock(ams("2027-05-27"))
        refused(s, cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen(d=False), 422, "invalid_data", "R-BE-7")
        refused(s, cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen(c=""), 422, "invalid_data", "R-BE-7")
        refused(s, cid, "cr-rotterdam", "beeindiging_goedkeuren", {}, 422, "invalid_data", "R-BE-7")
        for who in ("ab-horizon", "abm-horizon", "pr-rotterdam", "tm-rotterdam", "cm-rijnmond"):
            refused(s, cid, who, "beeindiging_goedkeuren", overwegingen(), 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        assert "beeindiging_goedgekeurd" in case["state"] and "beeindiging_goedgekeurd" in case["flags"], case
        b = case["fields"]["beeindiging"]
        assert b["besluit"] == "goedgekeurd" and b["overwegingen"]["d_continuering_geregeld"] == "ja, andere aanbieder", b
        assert open_items(s, "cr-rotterdam", cid, "beeindiging_beoordelen") == []
        one_item(s, "pr-rotterdam", cid, "beeindiging_goedgekeurd", "notification", "R-BE-8")
        one_item(s, "ab-horizon", cid, "beeindiging_goedgekeurd", "notification", "R-BE-8")
        # R-BE-8: care continues until the warm handover
        assert case["status"] == "in_zorg" and case["closed"] is False, case
        s.clock(ams("2027-06-01"))
        s.fire(cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-06-01", "uitkomst": "ongewijzigd"})
        s.clock(ams("2027-06-14"))
        refused(s, cid, "cr-rotterdam", "overdracht_afronden", {"einddatum_zorg": "2027-06-11", "overdracht": "warm"},
                403, "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-06-11"}, 422, "invalid_data",
                "R-BE-8")
        refused(s, cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-06-15", "overdracht": "warm"},
                422, "guard_failed", "R-TW-7")
        case = s.fire(cid, "ab-horizon", "overdracht_afronden",
                      {"einddatum_zorg": "2027-06-11", "overdracht": "warm overgedragen aan kompas-zorg"})
        assert case["status"] == "beeindigd" and case["closed"] is True, case
        assert case["fields"]["reden_beeindiging"] == "33" and case["fields"]["beeindiging"]["uitkomst"] == "overgedragen"
        assert case["deadlines"] == [] and case["allowed_events"] == [], case
        assert "beeindiging_zonder_toestemming" not in case["flags"], case["flags"]
        one_item(s, "cr-rotterdam", cid, "zorg_overgedragen", "notification", "R-BE-8")
        one_item(s, "pr-rotterdam", cid, "zorg_overgedragen", "notification", "R-BE-8")
        # the history is the procedure, in order (R-AUD-1)
        steps = [(e["event"], e["actor"], e["rule"]) for e in s.history(cid, "pr-rotterdam")][3:]
        assert steps == [
            ("beeindiging_aankondigen", "ab-horizon", "R-BE-1"),
            ("gesprek_vastleggen", "ab-horizon", "R-BE-3"),
            ("gesprek_vastleggen", "ab-horizon", "R-BE-3"),
            ("eerste_waarschuwing_versturen", "ab-horizon", "R-BE-4"),
            ("tweede_waarschuwing_versturen", "ab-horizon", "R-BE-5"),
            ("toestemmingsformulier_indienen", "abm-horizon", "R-BE-6"),
            ("beeindiging_goedkeuren", "cr-rotterdam", "R-BE-7"),
            ("evaluatie_vastleggen", "cr-rotterdam", "R-MON-1"),
            ("overdracht_afronden", "ab-horizon", "R-BE-8")], steps
        refused(s, cid, "ab-horizon", "zorg_opschorten", {"reden": "x"}, 409, "not_allowed_in_state")


def test_r_be_8_voortzetting_niet_verlangen_by_procesregisseur():
    """R-BE-8: after approval the procesregisseur may judge that continuing cannot reasonably be asked:
    voortzetting_niet_verlangen (procesregisseur only, with a motivering) ends the case (reden 33)."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        procedure_to_form(s, [cid])
        s.clock(ams("2027-05-27"))
        refused(s, cid, "pr-rotterdam", "voortzetting_niet_verlangen", {"motivering": "onveilig"}, 409,
                "not_allowed_in_state")
        s.fire(cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        s.clock(ams("2027-06-02"))
        for who in ("ab-horizon", "cr-rotterdam", "cm-rijnmond"):
            refused(s, cid, who, "voortzetting_niet_verlangen", {"motivering": "onveilig"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "pr-rotterdam", "voortzetting_niet_verlangen", {}, 422, "invalid_data", "R-BE-8")
        refused(s, cid, "pr-rotterdam", "voortzetting_niet_verlangen",
                {"motivering": "onveilig", "einddatum_zorg": "2027-06-03"}, 422, "guard_failed", "R-TW-7")
        case = s.fire(cid, "pr-rotterdam", "voortzetting_niet_verlangen", {"motivering": "onveilig voor medewerkers"})
        assert case["status"] == "beeindigd" and case["closed"] is True, case
        f = case["fields"]
        assert f["einddatum_zorg"] == "2027-06-02" and f["reden_beeindiging"] == "33", f
        assert f["beeindiging"]["uitkomst"] == "voortzetting_niet_verlangd", f["beeindiging"]
        one_item(s, "ab-horizon", cid, "voortzetting_niet_verlangd", "notification", "R-BE-8")
        one_item(s, "cr-rotterdam", cid, "voortzetting_niet_verlangd", "notification", "R-BE-8")
        e = last_entry(s, cid)
        assert (e["event"], e["actor"], e["role"], e["rule"]) == (
            "voortzetting_niet_verlangen", "pr-rotterdam", "procesregisseur", "R-BE-8"), e
        refused(s, cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-06-02", "overdracht": "x"}, 409,
                "not_allowed_in_state")


def test_r_be_7_r_be_10_rejected_returns_to_normal_care():
    """R-BE-7, R-BE-10: the casusregisseur rejects with all four considerations; the case returns to normal
    care (status in_zorg, no procedure), the aanbieder is told, the decision is recorded; a new procedure
    starts from scratch (the earlier talks do not count)."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        procedure_to_form(s, [cid])
        s.clock(ams("2027-05-27"))
        refused(s, cid, "cr-rotterdam", "beeindiging_afwijzen", overwegingen(d=False), 422, "invalid_data", "R-BE-7")
        for who in ("pr-rotterdam", "ab-horizon", "cm-rijnmond"):
            refused(s, cid, who, "beeindiging_afwijzen", overwegingen(), 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "cr-rotterdam", "beeindiging_afwijzen", overwegingen())
        assert "geen_beeindiging" in case["state"] and case["status"] == "in_zorg", case
        assert "beeindiging_loopt" not in case["flags"] and "beeindiging_goedgekeurd" not in case["flags"], case
        b = case["fields"]["beeindiging"]
        assert b["besluit"] == "afgewezen" and b["uitkomst"] == "afgewezen", b
        assert b["overwegingen"]["a_gedrag_door_aandoening"] == "nee", b
        assert open_items(s, "cr-rotterdam", cid, "beeindiging_beoordelen") == []
        one_item(s, "ab-horizon", cid, "beeindiging_afgewezen", "notification", "R-BE-10")
        e = last_entry(s, cid)
        assert (e["event"], e["rule"], e["actor"]) == ("beeindiging_afwijzen", "R-BE-7", "cr-rotterdam"), e
        assert e["data"]["overwegingen"]["d_continuering_geregeld"] == "ja, andere aanbieder", e
        s.clock(ams("2027-05-28"))
        refused(s, cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-05-28", "overdracht": "x"}, 409,
                "not_allowed_in_state")
        refused(s, cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen(), 409, "not_allowed_in_state")
        # a new procedure starts at the beginning
        s.clock(ams("2027-06-01"))
        case = s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "opnieuw"})
        assert case["counters"]["gesprekken"] == 0, case["counters"]
        refused(s, cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-06-01"), 422,
                "guard_failed", "R-BE-2")


def test_r_be_10_withdrawn_at_every_step():
    """R-BE-10: the aanbieder (only) withdraws the procedure at any step: during the talks, after the
    first and the second warning, with the form under review (the decision task closes) and after
    approval; each is recorded (uitkomst ingetrokken, notification to the casusregisseur)."""
    with Server(now=T0) as s:
        talks, first, second, review, approved = [in_zorg(s) for _ in range(5)]
        every = [talks, first, second, review, approved]
        s.clock(ams("2027-04-26"))
        each(s, every, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        s.clock(ams("2027-05-03"))
        each(s, every, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
        refused(s, talks, "ab-horizon", "beeindiging_intrekken", {}, 422, "invalid_data", "R-BE-10")
        for who in ("cr-rotterdam", "abm-horizon", "pr-rotterdam"):
            refused(s, talks, who, "beeindiging_intrekken", {"reden": "x"}, 403, "forbidden", "R-AUTH-1")
        s.fire(talks, "ab-horizon", "beeindiging_intrekken", {"reden": "afspraken worden nagekomen"})
        s.clock(ams("2027-05-10"))
        each(s, every[1:], "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10"))
        s.clock(ams("2027-05-17"))
        each(s, every[1:], "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"))
        s.fire(first, "ab-horizon", "beeindiging_intrekken", {"reden": "het gaat beter"})
        s.clock(ams("2027-05-24"))
        each(s, every[2:], "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"))
        s.fire(second, "ab-horizon", "beeindiging_intrekken", {"reden": "het gaat beter"})
        s.clock(ams("2027-05-25"))
        each(s, every[3:], "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)
        s.clock(ams("2027-05-26"))
        assert len(open_items(s, "cr-rotterdam", review, "beeindiging_beoordelen")) == 1
        s.fire(review, "ab-horizon", "beeindiging_intrekken", {"reden": "toch niet"})
        assert open_items(s, "cr-rotterdam", review, "beeindiging_beoordelen") == []
        refused(s, review, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen(), 409, "not_allowed_in_state")
        s.clock(ams("2027-05-27"))
        s.fire(approved, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        s.clock(ams("2027-06-01"))
        case = s.fire(approved, "ab-horizon", "beeindiging_intrekken", {"reden": "het gaat weer goed"})
        assert "beeindiging_goedgekeurd" not in case["flags"], case["flags"]
        refused(s, approved, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-06-01", "overdracht": "x"},
                409, "not_allowed_in_state")
        for cid in every:
            case = s.get_case(cid, "pr-rotterdam")
            assert "geen_beeindiging" in case["state"] and case["status"] == "in_zorg", (cid, case["state"])
            assert case["fields"]["beeindiging"]["uitkomst"] == "ingetrokken", case["fields"]["beeindiging"]
            assert "beeindiging_loopt" not in case["flags"], case["flags"]
            one_item(s, "cr-rotterdam", cid, "beeindiging_ingetrokken", "notification", "R-BE-10")
            e = last_entry(s, cid)
            assert (e["event"], e["rule"], e["actor"]) == ("beeindiging_intrekken", "R-BE-10", "ab-horizon"), e


def test_r_be_11_termination_by_jeugdige():
    """R-BE-11: the jeugdige ends the care: the aanbieder reports it (einddatum_zorg not in the future),
    the arrangement stops (beeindigd, reden 32, every deadline gone) and the lokaal team (casusregisseur,
    procesregisseur) is informed; also from a suspension."""
    with Server(now=T0) as s:
        cid, suspended = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-06-01"))
        for who in ("cr-rotterdam", "pr-rotterdam", "abm-horizon"):
            refused(s, cid, who, "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-05-31"}, 403, "forbidden",
                    "R-AUTH-1")
        refused(s, cid, "ab-horizon", "zorg_beeindigen_door_jeugdige", {}, 422, "invalid_data", "R-BE-11")
        refused(s, cid, "ab-horizon", "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-06-02"}, 422,
                "guard_failed", "R-TW-7")
        s.fire(suspended, "ab-horizon", "zorg_opschorten", {"reden": "twijfel"})
        for c in (cid, suspended):
            assert s.get_case(c, "pr-rotterdam")["deadlines"] != []
            case = s.fire(c, "ab-horizon", "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-05-31"})
            assert case["status"] == "beeindigd" and case["closed"] is True, case
            f = case["fields"]
            assert f["reden_beeindiging"] == "32" and f["beeindigd_door"] == "jeugdige", f
            assert f["einddatum_zorg"] == "2027-05-31", f
            assert case["deadlines"] == [] and case["allowed_events"] == [], case
            one_item(s, "cr-rotterdam", c, "zorg_beeindigd_door_jeugdige", "notification", "R-BE-11")
            one_item(s, "pr-rotterdam", c, "zorg_beeindigd_door_jeugdige", "notification", "R-BE-11")
            assert last_entry(s, c)["rule"] == "R-BE-11"
        refused(s, suspended, "ab-horizon", "zorg_hervatten", None, 409, "not_allowed_in_state")
        # nothing fires any more
        version = s.get_case(cid, "pr-rotterdam")["version"]
        s.clock(ams("2028-01-10"))
        assert s.get_case(cid, "pr-rotterdam")["version"] == version


def _open_tasks(s, cid):
    return {(who, i["kind"]) for who in WATCHED for i in tasks(s.inbox(who), cid, type_="task") if i.get("open", True)}


def test_r_be_11_r_mon_6_an_ended_case_leaves_no_task_open():
    """R-BE-11, R-BE-12, R-MON-6, R-TW-7 (with R-MON-3, R-BE-7, R-MON-4): when a case ends, every open task
    about it closes, since no event can act on it any more (a closed case refuses everything with 409): the
    casusregisseur's overdue evaluation, termination decision and confirmation of the end by the jeugdige
    when the jeugdige ends the care during the termination procedure (R-BE-12: reported by the aanbieder,
    confirmed by the casusregisseur), the overdue evaluation when a suspension lapses, the
    procesregisseur's verlenging decision when the aanbieder closes the care."""
    with Server(now=T0) as s:
        by_jeugdige, lapsed, closed = in_zorg(s), in_zorg(s), in_zorg(s)
        procedure_to_form(s, [by_jeugdige])
        s.clock(ams("2027-07-02"))
        assert _open_tasks(s, by_jeugdige) == {("cr-rotterdam", "evaluatie_te_laat"),
                                              ("cr-rotterdam", "beeindiging_beoordelen")}
        refused(s, by_jeugdige, "ab-horizon", "zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-07-01"},
                422, "guard_failed", "R-BE-12")
        s.fire(by_jeugdige, "ab-horizon", "einde_door_jeugdige_melden",
               {"einddatum_zorg": "2027-07-01", "toelichting": "de jeugdige stopt"})
        assert _open_tasks(s, by_jeugdige) == {("cr-rotterdam", "evaluatie_te_laat"),
                                              ("cr-rotterdam", "beeindiging_beoordelen"),
                                              ("cr-rotterdam", "einde_door_jeugdige_bevestigen")}
        case = s.fire(by_jeugdige, "cr-rotterdam", "einde_door_jeugdige_bevestigen", {})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "32", case
        refused(s, by_jeugdige, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen(), 409, "not_allowed_in_state")
        refused(s, by_jeugdige, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-02", "uitkomst": "ongewijzigd"},
                409, "not_allowed_in_state")
        assert _open_tasks(s, by_jeugdige) == set(), "tasks left open on an ended case"
        s.fire(lapsed, "ab-horizon", "zorg_opschorten", {"reden": "pauze"})
        assert _open_tasks(s, lapsed) == {("cr-rotterdam", "evaluatie_te_laat")}
        s.clock(ams("2027-08-28"))
        assert s.get_case(lapsed, "pr-rotterdam")["status"] == "beeindigd"
        assert _open_tasks(s, lapsed) == set(), "tasks left open on a lapsed case"
        s.clock(ams("2027-10-08"))
        s.fire(closed, "ab-horizon", "verlenging_aanvragen", verlenging())
        assert ("pr-rotterdam", "verlenging_beoordelen") in _open_tasks(s, closed)
        s.fire(closed, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-10-08"})
        refused(s, closed, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2028-06-30"}, 409,
                "not_allowed_in_state")
        assert _open_tasks(s, closed) == set(), "tasks left open on a closed case"


# ================================================================================================
# The escalation ladder (RIJ "Onvoldoende overeenstemming")
# ================================================================================================

LADDER_LATER = [
    ("cr-rotterdam", "intern_afstemmen", {"afstemming": "a"}),
    ("cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER),
    ("cr-rotterdam", "vraagverheldering_starten", {"opdracht": "o", "tot": "2027-06-01"}),
    ("tm-rotterdam", "teammanagers_inschakelen", {}),
    ("tm-rotterdam", "contractmanager_inschakelen", {"jeugdige_geraadpleegd": True, "verschil_van_inzicht": "v"}),
    ("cm-rijnmond", "afspraken_vastleggen", {"acties": "a", "terugkoppeling_uiterlijk": "2027-06-07"}),
    ("cm-rijnmond", "terugkoppeling_geven", {"terugkoppeling": "t"}),
    ("cr-rotterdam", "jeugdige_informeren", {"toelichting": "t"}),
]


def _skips_refused(s, cid, steps):
    for who, event, data in steps:
        refused(s, cid, who, event, data, 409, "not_allowed_in_state")


def test_r_esc_1_to_7_ladder_up_to_contractmanager_and_missed_feedback():
    """R-TW-4, R-ESC-1..R-ESC-7: the ladder in order over HTTP, each step by its role (others 403), every
    skip refused (409); step 6 only after consulting the jeugdige (R-ESC-6, 422 otherwise); the
    contractmanager records actions and a terugkoppeling_uiterlijk, which becomes a deadline: when the
    clock passes it the teammanager has a task; feedback closes it; informing the jeugdige closes the
    ladder (R-ESC-7)."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        _skips_refused(s, cid, [("cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})])
        case = s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht arrangement"})
        assert "ladder" in case["state"] and case["fields"]["escalatie"]["aanleiding"] == "betwisting", case
        assert len(open_items(s, "cr-rotterdam", cid, "arrangement_betwist")) == 1
        _skips_refused(s, cid, LADDER_LATER)
        # R-ESC-1
        s.clock(ams("2027-04-05"))
        for who in ("ab-horizon", "tm-rotterdam", "pr-rotterdam", "cm-rijnmond"):
            refused(s, cid, who, "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"}, 403, "forbidden",
                    "R-AUTH-1")
        refused(s, cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f"}, 422, "invalid_data", "R-ESC-1")
        case = s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        assert "ladder_intern_afstemmen" in case["state"], case["state"]
        _skips_refused(s, cid, [("cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})]
                       + LADDER_LATER[1:])
        # R-ESC-2
        s.clock(ams("2027-04-06"))
        refused(s, cid, "cr-rotterdam", "intern_afstemmen", {}, 422, "invalid_data", "R-ESC-2")
        case = s.fire(cid, "cr-rotterdam", "intern_afstemmen", {"afstemming": "met het CDT", "expertise_betrokken": True})
        assert "ladder_gesprek_aanbieder" in case["state"], case["state"]
        _skips_refused(s, cid, LADDER_LATER[2:])
        # R-ESC-3
        s.clock(ams("2027-04-12"))
        refused(s, cid, "cr-rotterdam", "gesprek_aanbieder_voeren", dict(GESPREK_AANBIEDER, datum="2027-04-13"), 422,
                "guard_failed", "R-ESC-3")
        no_eval = dict(GESPREK_AANBIEDER)
        del no_eval["evaluatieafspraken"]
        refused(s, cid, "cr-rotterdam", "gesprek_aanbieder_voeren", no_eval, 422, "invalid_data", "R-ESC-3")
        case = s.fire(cid, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER)
        assert "ladder_na_gesprek" in case["state"], case["state"]
        one_item(s, "tm-rotterdam", cid, "escalatie_teammanager", "notification", "R-ESC-5")
        _skips_refused(s, cid, LADDER_LATER[4:])
        # R-ESC-4 (optional): a bounded vraagverheldering; its end date is a deadline
        s.clock(ams("2027-04-13"))
        refused(s, cid, "cr-rotterdam", "vraagverheldering_starten", {"opdracht": "o", "tot": "2027-04-13"}, 422,
                "guard_failed", "R-ESC-4")
        case = s.fire(cid, "cr-rotterdam", "vraagverheldering_starten", {"opdracht": "diagnostiek", "tot": "2027-05-11"})
        assert due(case, "vraagverheldering") == "2027-05-11", case["deadlines"]
        _skips_refused(s, cid, [LADDER_LATER[3]] + LADDER_LATER[4:])
        s.clock(ams("2027-05-12", "09:00"))
        assert len(open_items(s, "cr-rotterdam", cid, "vraagverheldering_verlopen")) == 1
        refused(s, cid, "cr-rotterdam", "vraagverheldering_afronden",
                {"bevindingen": "b", "besluit_arrangement": "zwaarder", "in_overleg_met_jeugdige": False}, 422,
                "guard_failed", "R-ESC-4")
        s.fire(cid, "cr-rotterdam", "vraagverheldering_afronden",
               {"bevindingen": "b", "besluit_arrangement": "zwaarder", "in_overleg_met_jeugdige": True})
        assert open_items(s, "cr-rotterdam", cid, "vraagverheldering_verlopen") == []
        # R-ESC-5: the teammanager contacts the provider's teammanager
        s.clock(ams("2027-05-13"))
        for who in ("cr-rotterdam", "ab-horizon", "abm-horizon"):
            refused(s, cid, who, "teammanagers_inschakelen", {}, 403, "forbidden", "R-AUTH-1")
        _skips_refused(s, cid, LADDER_LATER[4:])
        case = s.fire(cid, "tm-rotterdam", "teammanagers_inschakelen", {"teammanager_aanbieder": "T. Aanbieder"})
        assert "ladder_teammanagers" in case["state"], case["state"]
        one_item(s, "abm-horizon", cid, "escalatie_teammanagers", "notification", "R-ESC-5")
        # R-ESC-6: to the contractmanager, by the teammanager, only after consulting the jeugdige
        s.clock(ams("2027-05-20"))
        data = {"jeugdige_geraadpleegd": True, "verschil_van_inzicht": "zwaarte van het arrangement"}
        for who in ("cr-rotterdam", "pr-rotterdam", "cm-rijnmond"):
            refused(s, cid, who, "contractmanager_inschakelen", data, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen", {"verschil_van_inzicht": "v"}, 422,
                "invalid_data", "R-ESC-6")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen", {"jeugdige_geraadpleegd": True}, 422,
                "invalid_data", "R-ESC-6")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen",
                {"jeugdige_geraadpleegd": False, "verschil_van_inzicht": "v"}, 422, "guard_failed", "R-ESC-6")
        assert tasks(s.inbox("cm-rijnmond"), cid) == []
        case = s.fire(cid, "tm-rotterdam", "contractmanager_inschakelen", data)
        assert "ladder_contractmanager" in case["state"], case["state"]
        assert case["fields"]["escalatie"]["jeugdige_geraadpleegd"] is True, case["fields"]  # recorded (R-ESC-6)
        one_item(s, "cm-rijnmond", cid, "escalatie_contractmanager", "notification", "R-ESC-6")
        cm_view = s.get_case(cid, "cm-rijnmond")
        assert cm_view.get("anoniem") is True and "jeugdige" not in cm_view["fields"], cm_view
        assert set(cm_view["allowed_events"]) == {"afspraken_vastleggen"}, cm_view["allowed_events"]
        # the contractmanager records the agreed actions and the feedback date
        s.clock(ams("2027-05-24"))
        afspraken = {"acties": "gesprek met de aanbieder", "terugkoppeling_uiterlijk": "2027-06-07"}
        refused(s, cid, "tm-rotterdam", "afspraken_vastleggen", afspraken, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cm-rijnmond", "afspraken_vastleggen", {"acties": "a"}, 422, "invalid_data", "R-ESC-6")
        refused(s, cid, "cm-rijnmond", "afspraken_vastleggen", {"acties": "a", "terugkoppeling_uiterlijk": "2027-05-23"},
                422, "guard_failed", "R-ESC-6")
        refused(s, cid, "cm-rijnmond", "terugkoppeling_geven", {"terugkoppeling": "t"}, 409, "not_allowed_in_state")
        case = s.fire(cid, "cm-rijnmond", "afspraken_vastleggen", afspraken)
        assert "ladder_terugkoppeling" in case["state"], case["state"]
        d = deadline(case, "terugkoppeling_contractmanager")
        assert d and d["due"] == "2027-06-07" and d["rule"] == "R-ESC-6", case["deadlines"]
        assert d["fires_at"] == "2027-06-08T00:00:00+02:00", d
        one_item(s, "tm-rotterdam", cid, "escalatie_afspraken", "notification", "R-ESC-6")
        # the date passes without feedback: the teammanager gets a task (and only then)
        s.clock(ams("2027-06-07", "23:59"))
        assert items(s, "tm-rotterdam", cid, "terugkoppeling_verlopen") == []
        s.clock(ams("2027-06-08", "09:00"))
        task = one_item(s, "tm-rotterdam", cid, "terugkoppeling_verlopen", "task", "R-ESC-6")
        assert task["open"] is True, task
        case = s.get_case(cid, "pr-rotterdam")
        assert "terugkoppeling_verlopen" in case["flags"] and deadline(case, "terugkoppeling_contractmanager") is None
        e = last_entry(s, cid)
        assert (e["actor"], e["event"], e["time"]) == (
            "system", "terugkoppeling_termijn_verlopen", "2027-06-08T00:00:00+02:00"), e
        assert items(s, "cr-rotterdam", cid, "terugkoppeling_verlopen") == []
        # feedback closes the task; informing the jeugdige closes the ladder (R-ESC-7)
        s.clock(ams("2027-06-09"))
        refused(s, cid, "cm-rijnmond", "terugkoppeling_geven", {}, 422, "invalid_data", "R-ESC-6")
        s.fire(cid, "cm-rijnmond", "terugkoppeling_geven", {"terugkoppeling": "aanbieder past het plan aan"})
        assert open_items(s, "tm-rotterdam", cid, "terugkoppeling_verlopen") == []
        s.clock(ams("2027-06-10"))
        refused(s, cid, "tm-rotterdam", "jeugdige_informeren", {"toelichting": "t"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cr-rotterdam", "jeugdige_informeren", {}, 422, "invalid_data", "R-ESC-7")
        case = s.fire(cid, "cr-rotterdam", "jeugdige_informeren", {"toelichting": "gebeld", "overbrugging": True})
        assert "geen_escalatie" in case["state"] and "escalatie_overbrugging" in case["flags"], case
        assert case["fields"]["escalatie"]["uitkomst"] == "afgerond" and case["status"] == "in_zorg", case
        assert open_items(s, "cr-rotterdam", cid, "arrangement_betwist") == []
        assert open_items(s, "pr-rotterdam", cid, "arrangement_betwist") == []
        rules = [e["rule"] for e in s.history(cid, "pr-rotterdam") if e["actor"] != "system"][3:]
        assert rules == ["R-TW-4", "R-ESC-1", "R-ESC-2", "R-ESC-3", "R-ESC-4", "R-ESC-4", "R-ESC-5", "R-ESC-6",
                         "R-ESC-6", "R-ESC-6", "R-ESC-7"], rules


def test_r_esc_5_step_4_optional_and_r_esc_6_needs_jeugdige_consulted():
    """R-ESC-1..R-ESC-6: step 4 (vraagverheldering) is optional: step 5 follows step 3 directly; once at
    step 5 step 4 is no longer possible; contractmanager_inschakelen without jeugdige_geraadpleegd
    (missing or false) is refused with R-ESC-6 and changes nothing."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})
        s.clock(ams("2027-04-12"))
        s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        refused(s, cid, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER, 409, "not_allowed_in_state")
        s.fire(cid, "cr-rotterdam", "intern_afstemmen", {"afstemming": "a"})
        s.fire(cid, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER)
        refused(s, cid, "cr-rotterdam", "vraagverheldering_afronden",
                {"bevindingen": "b", "besluit_arrangement": "a", "in_overleg_met_jeugdige": True}, 409,
                "not_allowed_in_state")
        case = s.fire(cid, "tm-rotterdam", "teammanagers_inschakelen", {})
        assert "ladder_teammanagers" in case["state"], case["state"]
        refused(s, cid, "cr-rotterdam", "vraagverheldering_starten", {"opdracht": "o", "tot": "2027-05-01"}, 409,
                "not_allowed_in_state")
        refused(s, cid, "tm-rotterdam", "teammanagers_inschakelen", {}, 409, "not_allowed_in_state")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen", {"verschil_van_inzicht": "v"}, 422,
                "invalid_data", "R-ESC-6")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen",
                {"jeugdige_geraadpleegd": False, "verschil_van_inzicht": "v"}, 422, "guard_failed", "R-ESC-6")
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen",
                {"jeugdige_geraadpleegd": "ja", "verschil_van_inzicht": "v"}, 422, "invalid_data", "R-ESC-6")
        assert tasks(s.inbox("cm-rijnmond"), cid) == []
        case = s.fire(cid, "tm-rotterdam", "contractmanager_inschakelen",
                      {"jeugdige_geraadpleegd": True, "verschil_van_inzicht": "v"})
        assert "ladder_contractmanager" in case["state"], case["state"]


def test_r_tw_4_overeenstemming_closes_ladder_at_a_middle_step():
    """R-TW-4 (DOMAIN 2.4): overeenstemming_bereiken (casusregisseur or teammanager) closes the ladder at
    any step with its tasks and deadlines: at step 3 by the casusregisseur, and at the feedback step by
    the teammanager, after which the passed feedback date gives no task. Aanbieder, procesregisseur and
    contractmanager cannot close it (403)."""
    with Server(now=T0) as s:
        mid, late = in_zorg(s), in_zorg(s)
        each(s, [mid, late], "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})
        s.clock(ams("2027-04-12"))
        each(s, [mid, late], "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        each(s, [mid, late], "cr-rotterdam", "intern_afstemmen", {"afstemming": "a"})
        assert "ladder_gesprek_aanbieder" in s.get_case(mid, "pr-rotterdam")["state"]
        for who in ("ab-horizon", "pr-rotterdam", "cm-rijnmond", "abm-horizon"):
            refused(s, mid, who, "overeenstemming_bereiken", {"afspraken": "x"}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(mid, "cr-rotterdam", "overeenstemming_bereiken", {"afspraken": "arrangement blijft"})
        assert "geen_escalatie" in case["state"], case["state"]
        assert case["fields"]["escalatie"]["uitkomst"] == "overeenstemming", case["fields"]["escalatie"]
        assert open_items(s, "cr-rotterdam", mid, "arrangement_betwist") == []
        assert open_items(s, "pr-rotterdam", mid, "arrangement_betwist") == []
        assert last_entry(s, mid)["rule"] == "R-TW-4"
        _skips_refused(s, mid, [("cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER),
                                ("cr-rotterdam", "overeenstemming_bereiken", {})])
        # the other case climbs to the contractmanager and closes there
        s.fire(late, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER)
        s.fire(late, "tm-rotterdam", "teammanagers_inschakelen", {})
        s.fire(late, "tm-rotterdam", "contractmanager_inschakelen", {"jeugdige_geraadpleegd": True,
                                                                    "verschil_van_inzicht": "v"})
        case = s.fire(late, "cm-rijnmond", "afspraken_vastleggen", {"acties": "a", "terugkoppeling_uiterlijk": "2027-04-26"})
        assert due(case, "terugkoppeling_contractmanager") == "2027-04-26"
        refused(s, late, "cm-rijnmond", "overeenstemming_bereiken", {}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(late, "tm-rotterdam", "overeenstemming_bereiken", {"afspraken": "extra evaluatie"})
        assert "geen_escalatie" in case["state"] and deadline(case, "terugkoppeling_contractmanager") is None, case
        s.clock(ams("2027-04-28"))
        assert items(s, "tm-rotterdam", late, "terugkoppeling_verlopen") == []
        assert "terugkoppeling_verlopen" not in s.get_case(late, "pr-rotterdam")["flags"]


def test_r_esc_8_r_esc_10_stagnatie_opschalen_to_contractmanager():
    """R-ESC-8, R-ESC-10: stagnation reported by the zorgbemiddelingsteam goes straight to the
    contractmanager: the ZBT's step (role zbt, a region's team, with its melding), not the
    casusregisseur's, from no escalation or from a step of the lokaal ladder; the contractmanager, the
    teammanager and the casusregisseur (the ZBT reports back to it) are notified and the contractmanager
    continues with afspraken_vastleggen. A ZBT of another region does not see the case."""
    with Server(now=T0) as s:
        direct, from_step = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-05-03"))
        for who in ("ab-horizon", "tm-rotterdam", "pr-rotterdam", "cm-rijnmond", "cr-rotterdam"):
            refused(s, direct, who, "stagnatie_opschalen", {"melding_zbt": "geen plek"}, 403, "forbidden", "R-AUTH-1")
        refused(s, direct, "zbt-holland-noord", "stagnatie_opschalen", {"melding_zbt": "geen plek"}, 404,
                "not_found", "R-AUTH-2")
        refused(s, direct, "zbt-rijnmond", "stagnatie_opschalen", {}, 422, "invalid_data", "R-ESC-8")
        case = s.fire(direct, "zbt-rijnmond", "stagnatie_opschalen",
                      {"melding_zbt": "traject stagneert: geen vervolgplek"})
        assert "ladder_contractmanager" in case["state"], case["state"]
        assert case["anoniem"] is True and "jeugdige" not in case["fields"], case  # the ZBT's view
        case = s.get_case(direct, "pr-rotterdam")
        assert case["fields"]["escalatie"]["aanleiding"] == "stagnatie_zbt", case["fields"]
        one_item(s, "cm-rijnmond", direct, "escalatie_contractmanager", "notification", "R-ESC-8")
        one_item(s, "tm-rotterdam", direct, "escalatie_contractmanager", "notification", "R-ESC-8")
        one_item(s, "cr-rotterdam", direct, "escalatie_contractmanager", "notification", "R-ESC-8")
        e = last_entry(s, direct)
        assert (e["rule"], e["actor"], e["role"]) == ("R-ESC-8", "zbt-rijnmond", "zbt"), e
        refused(s, direct, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "nog eens"}, 409,
                "not_allowed_in_state")
        refused(s, direct, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"}, 409,
                "not_allowed_in_state")
        case = s.fire(direct, "cm-rijnmond", "afspraken_vastleggen", {"acties": "a", "terugkoppeling_uiterlijk": "2027-05-18"})
        assert due(case, "terugkoppeling_contractmanager") == "2027-05-18", case["deadlines"]
        # from a step of the lokaal ladder
        s.fire(from_step, "cr-rotterdam", "stagnatie_melden", {"toelichting": "geen voortgang"})
        s.fire(from_step, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        refused(s, from_step, "cr-rotterdam", "stagnatie_opschalen", {"melding_zbt": "stagnatie"}, 403, "forbidden",
                "R-AUTH-1")
        case = s.fire(from_step, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "stagnatie"})
        assert "ladder_contractmanager" in case["state"], case["state"]
        one_item(s, "cm-rijnmond", from_step, "escalatie_contractmanager", "notification", "R-ESC-8")


# ================================================================================================
# Monitoring (RIJ stap 2, WF, ALK)
# ================================================================================================

def test_r_mon_1_evaluation_deadlines_per_regie_intensiteit():
    """R-MON-1: the case view shows the evaluation due date as a deadline: the first 3 months after the
    start for every intensity; after an unchanged evaluation licht +1 year, midden +3 months, intensief
    +6 weeks in the first year; in the second year midden +6 months, intensief +3 months; an adjustment
    gives a tussenevaluatie after 3 months; the intensity can change at an evaluation."""
    with Server(now=T0) as s:
        cids = {level: in_zorg(s, intensiteit=level, einddatum="2028-12-31") for level in ("licht", "midden", "intensief")}
        for level, cid in cids.items():
            case = s.get_case(cid, "cr-rotterdam")
            d = deadline(case, "evaluatie")
            assert d and d["due"] == "2027-07-01" and d["rule"] == "R-MON-1", (level, case["deadlines"])
            assert case["fields"]["volgende_evaluatie"] == "2027-07-01", case["fields"]
            assert due(case, "eindevaluatie") == "2028-11-05", case["deadlines"]
        s.clock(ams("2027-07-01"))
        cid = cids["midden"]
        refused(s, cid, "ab-horizon", "evaluatie_vastleggen", {"datum": "2027-07-01", "uitkomst": "ongewijzigd"}, 403,
                "forbidden", "R-AUTH-1")
        refused(s, cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-01"}, 422, "invalid_data", "R-MON-1")
        refused(s, cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-01", "uitkomst": "prima"}, 422,
                "invalid_data", "R-MON-1")
        refused(s, cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-02", "uitkomst": "ongewijzigd"}, 422,
                "guard_failed", "R-MON-1")
        refused(s, cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-03-31", "uitkomst": "ongewijzigd"}, 422,
                "guard_failed", "R-MON-1")
        want = {"licht": "2028-07-01", "midden": "2027-10-01", "intensief": "2027-08-12"}
        for level, cid in cids.items():
            case = s.fire(cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-01", "uitkomst": "ongewijzigd"})
            assert due(case, "evaluatie") == want[level], (level, case["deadlines"])
            assert case["fields"]["volgende_evaluatie"] == want[level], case["fields"]
            assert case["fields"]["laatste_evaluatie"] == "2027-07-01", case["fields"]
        s.clock(ams("2027-08-12"))
        case = s.fire(cids["intensief"], "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-08-12", "uitkomst": "bijgesteld"})
        assert due(case, "evaluatie") == "2027-11-12", case["deadlines"]
        s.clock(ams("2027-09-01"))
        case = s.fire(cids["licht"], "cr-rotterdam", "evaluatie_vastleggen",
                      {"datum": "2027-09-01", "uitkomst": "ongewijzigd", "regie_intensiteit": "intensief"})
        assert case["fields"]["regie_intensiteit"] == "intensief" and due(case, "evaluatie") == "2027-10-13", case
        # the second year of care (from 1 April 2028)
        s.clock(ams("2028-04-03"))
        want = {"licht": "2028-07-03", "midden": "2028-10-03", "intensief": "2028-07-03"}
        for level, cid in cids.items():
            case = s.fire(cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2028-04-03", "uitkomst": "ongewijzigd"})
            assert due(case, "evaluatie") == want[level], (level, case["deadlines"])
            assert "evaluatie_te_laat" not in case["flags"], case["flags"]
            assert len(case["fields"]["evaluaties"]) >= 2, case["fields"]


def test_r_mon_3_overdue_evaluation_gives_casusregisseur_task():
    """R-MON-3: an evaluation due and not recorded becomes overdue when its day ends: the case is flagged,
    the casusregisseur (only) gets a task; recording it closes the task, clears the flag and schedules
    the next one from the recorded date."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.clock(ams("2027-07-01", "23:59"))
        case = s.get_case(cid, "cr-rotterdam")
        assert "evaluatie_te_laat" not in case["flags"] and due(case, "evaluatie") == "2027-07-01", case
        assert items(s, "cr-rotterdam", cid, "evaluatie_te_laat") == []
        s.clock(ams("2027-07-02", "09:00"))
        case = s.get_case(cid, "cr-rotterdam")
        assert "evaluatie_te_laat" in case["flags"] and deadline(case, "evaluatie") is None, case
        assert case["status"] == "in_zorg", case
        task = one_item(s, "cr-rotterdam", cid, "evaluatie_te_laat", "task", "R-MON-3")
        assert task["open"] is True, task
        for who in ("pr-rotterdam", "tm-rotterdam", "ab-horizon", "cr2-rotterdam"):
            assert items(s, who, cid, "evaluatie_te_laat") == [], who
        e = last_entry(s, cid)
        assert (e["actor"], e["event"], e["rule"], e["time"]) == (
            "system", "evaluatie_termijn_verlopen", "R-MON-3", "2027-07-02T00:00:00+02:00"), e
        s.clock(ams("2027-07-06"))
        case = s.fire(cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-07-05", "uitkomst": "ongewijzigd"})
        assert "evaluatie_te_laat" not in case["flags"] and due(case, "evaluatie") == "2027-10-05", case
        assert open_items(s, "cr-rotterdam", cid, "evaluatie_te_laat") == []


def test_r_mon_2_end_evaluation_8_weeks_before_einddatum():
    """R-MON-2, R-MON-3: the end evaluation is due 8 weeks before the einddatum (2027-12-31 -> 2027-11-05);
    recorded as eindevaluatie earlier than 12 weeks before it is refused; overdue it gives the
    casusregisseur a task; recorded in time nothing fires; a toewijzing with less than 8 weeks left
    has no end-evaluation deadline."""
    with Server(now=T0) as s:
        late, on_time = in_zorg(s), in_zorg(s)
        short = in_zorg(s, einddatum="2027-05-20")
        for cid in (late, on_time):
            d = deadline(s.get_case(cid, "cr-rotterdam"), "eindevaluatie")
            assert d and d["due"] == "2027-11-05" and d["rule"] == "R-MON-2", d
        case = s.get_case(short, "cr-rotterdam")
        assert deadline(case, "eindevaluatie") is None and due(case, "evaluatie") == "2027-07-01", case["deadlines"]
        s.clock(ams("2027-10-07"))
        refused(s, on_time, "cr-rotterdam", "evaluatie_vastleggen",
                {"datum": "2027-10-07", "uitkomst": "ongewijzigd", "soort": "eindevaluatie"}, 422, "guard_failed", "R-MON-2")
        refused(s, on_time, "cr-rotterdam", "evaluatie_vastleggen",
                {"datum": "2027-10-07", "uitkomst": "ongewijzigd", "soort": "slot"}, 422, "invalid_data", "R-MON-2")
        s.clock(ams("2027-11-05"))
        case = s.fire(on_time, "cr-rotterdam", "evaluatie_vastleggen",
                      {"datum": "2027-11-05", "uitkomst": "ongewijzigd", "soort": "eindevaluatie"})
        assert deadline(case, "eindevaluatie") is None and case["fields"]["eindevaluatie_datum"] == "2027-11-05", case
        s.clock(ams("2027-11-06", "09:00"))
        case = s.get_case(late, "cr-rotterdam")
        assert "eindevaluatie_te_laat" in case["flags"] and deadline(case, "eindevaluatie") is None, case
        one_item(s, "cr-rotterdam", late, "eindevaluatie_te_laat", "task", "R-MON-2")
        assert "eindevaluatie_te_laat" not in s.get_case(on_time, "cr-rotterdam")["flags"]
        assert items(s, "cr-rotterdam", on_time, "eindevaluatie_te_laat") == []
        s.clock(ams("2027-11-10"))
        case = s.fire(late, "cr-rotterdam", "evaluatie_vastleggen",
                      {"datum": "2027-11-10", "uitkomst": "ongewijzigd", "soort": "eindevaluatie"})
        assert "eindevaluatie_te_laat" not in case["flags"], case["flags"]
        assert open_items(s, "cr-rotterdam", late, "eindevaluatie_te_laat") == []


def test_r_mon_4_verlenging_window_and_granting_recomputes_deadlines():
    """R-MON-4: the evaluatieformulier for a verlenging is accepted from 12 to 8 weeks before the
    einddatum (2027-10-08 .. 2027-11-05 for 2027-12-31), refused before and after (422 R-MON-4), with
    its fields, the same product and a later einddatum; granting moves the einddatum, re-arms the end
    evaluation from it (2028-06-30 - 8 weeks = 2028-05-05) and moves the window; rejecting keeps it."""
    with Server(now=T0) as s:
        granted, rejected, too_late = in_zorg(s), in_zorg(s), in_zorg(s)
        refused(s, rejected, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2028-06-30"}, 409,
                "not_allowed_in_state")
        s.clock(ams("2027-10-07"))
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", verlenging(), 422, "guard_failed", "R-MON-4")
        s.clock(ams("2027-10-08"))
        refused(s, granted, "pr-rotterdam", "verlenging_aanvragen", verlenging(), 403, "forbidden", "R-AUTH-1")
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", {"product": "45A12", "nieuwe_einddatum": "2028-06-30"},
                422, "invalid_data", "R-MON-4")
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", verlenging(product="45B99"), 422, "guard_failed",
                "R-MON-4")
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", verlenging(einddatum="2027-12-31"), 422,
                "guard_failed", "R-MON-4")
        case = s.fire(granted, "ab-horizon", "verlenging_aanvragen", verlenging())
        assert "verlenging_aangevraagd" in case["state"], case["state"]
        one_item(s, "pr-rotterdam", granted, "verlenging_beoordelen", "task", "R-MON-4")
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", verlenging(), 409, "not_allowed_in_state")
        s.clock(ams("2027-10-12"))
        refused(s, granted, "ab-horizon", "verlenging_toekennen", {"nieuwe_einddatum": "2028-06-30"}, 403, "forbidden",
                "R-AUTH-1")
        refused(s, granted, "pr-rotterdam", "verlenging_toekennen", {}, 422, "invalid_data", "R-MON-4")
        refused(s, granted, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2027-12-01"}, 422,
                "guard_failed", "R-MON-4")
        before = s.get_case(granted, "pr-rotterdam")
        assert due(before, "eindevaluatie") == "2027-11-05", before["deadlines"]
        case = s.fire(granted, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2028-06-30"})
        p = case["fields"]["product"]
        assert p["einddatum"] == "2028-06-30" and p["vorige_einddatum"] == "2027-12-31", p
        d = deadline(case, "eindevaluatie")
        assert d and d["due"] == "2028-05-05" and d["fires_at"] == "2028-05-06T00:00:00+02:00", case["deadlines"]
        assert due(case, "evaluatie") == due(before, "evaluatie"), case["deadlines"]
        assert "geen_verlenging" in case["state"], case["state"]
        assert open_items(s, "pr-rotterdam", granted, "verlenging_beoordelen") == []
        one_item(s, "ab-horizon", granted, "verlenging_toegekend", "notification", "R-MON-4")
        # the window follows the new einddatum: 2028-04-07 .. 2028-05-05
        s.clock(ams("2027-11-01"))
        refused(s, granted, "ab-horizon", "verlenging_aanvragen", verlenging(einddatum="2028-12-31"), 422,
                "guard_failed", "R-MON-4")
        # the last day of the window; a rejection keeps the einddatum and the end-evaluation deadline
        s.clock(ams("2027-11-05"))
        s.fire(rejected, "ab-horizon", "verlenging_aanvragen", verlenging())
        refused(s, rejected, "pr-rotterdam", "verlenging_afwijzen", {}, 422, "invalid_data", "R-MON-4")
        case = s.fire(rejected, "pr-rotterdam", "verlenging_afwijzen", {"reden": "doelen behaald"})
        assert case["fields"]["product"]["einddatum"] == "2027-12-31", case["fields"]["product"]
        assert case["fields"]["verlenging"]["besluit"] == "afgewezen" and due(case, "eindevaluatie") == "2027-11-05"
        one_item(s, "ab-horizon", rejected, "verlenging_afgewezen", "notification", "R-MON-4")
        # one day after the window: refused; the old end-evaluation deadline fired for the rejected case only
        s.clock(ams("2027-11-06"))
        refused(s, too_late, "ab-horizon", "verlenging_aanvragen", verlenging(), 422, "guard_failed", "R-MON-4")
        assert "eindevaluatie_te_laat" in s.get_case(rejected, "pr-rotterdam")["flags"]
        case = s.get_case(granted, "pr-rotterdam")
        assert "eindevaluatie_te_laat" not in case["flags"] and due(case, "eindevaluatie") == "2028-05-05", case
        assert items(s, "cr-rotterdam", granted, "eindevaluatie_te_laat") == []


def test_r_mon_5_verzoek_om_wijziging_with_information_deadline():
    """R-MON-5 (R-TW-7): the aanbieder asks for a wijziging; the procesregisseur answers within 5 working
    days (a deadline) by asking for information, which the aanbieder delivers within 5 working days
    (a deadline; when it passes both get a task); the information closes those tasks; the decision
    (toekennen) changes the product."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.clock(ams("2027-06-07"))  # Monday
        refused(s, cid, "ab-horizon", "informatie_aanleveren", {"informatie": "x"}, 409, "not_allowed_in_state")
        refused(s, cid, "pr-rotterdam", "wijziging_aanvragen", {"reden": "andere hulpvorm"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "wijziging_aanvragen", {}, 422, "invalid_data", "R-MON-5")
        case = s.fire(cid, "ab-horizon", "wijziging_aanvragen", {"reden": "andere hulpvorm", "gewenst_product": "45A02"})
        d = deadline(case, "antwoord_verzoek_om_wijziging")
        assert d and d["due"] == "2027-06-14" and d["rule"] == "R-TW-7", case["deadlines"]
        one_item(s, "pr-rotterdam", cid, "wijziging_beoordelen", "task", "R-MON-5")
        s.clock(ams("2027-06-08"))
        refused(s, cid, "ab-horizon", "informatie_opvragen", {"vraag": "behandelplan"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "pr-rotterdam", "informatie_opvragen", {}, 422, "invalid_data", "R-MON-5")
        case = s.fire(cid, "pr-rotterdam", "informatie_opvragen", {"vraag": "stuur het behandelplan"})
        assert "wijziging_informatie_gevraagd" in case["state"], case["state"]
        d = deadline(case, "informatie_verzoek_om_wijziging")
        assert d and d["due"] == "2027-06-15" and d["rule"] == "R-MON-5", case["deadlines"]
        assert case["fields"]["wijziging"]["informatie_uiterlijk"] == "2027-06-15", case["fields"]["wijziging"]
        assert deadline(case, "antwoord_verzoek_om_wijziging") is None, case["deadlines"]
        assert due(case, "besluit_verzoek_om_wijziging") == "2027-08-03", case["deadlines"]
        one_item(s, "ab-horizon", cid, "informatie_aanleveren", "task", "R-MON-5")
        s.clock(ams("2027-06-15", "23:59"))
        assert items(s, "ab-horizon", cid, "informatietermijn_verlopen") == []
        s.clock(ams("2027-06-16", "09:00"))
        assert "informatie_te_laat" in s.get_case(cid, "pr-rotterdam")["flags"]
        one_item(s, "ab-horizon", cid, "informatietermijn_verlopen", "task", "R-MON-5")
        one_item(s, "pr-rotterdam", cid, "informatietermijn_verlopen", "task", "R-MON-5")
        s.clock(ams("2027-06-17"))
        refused(s, cid, "ab-horizon", "informatie_aanleveren", {}, 422, "invalid_data", "R-MON-5")
        case = s.fire(cid, "ab-horizon", "informatie_aanleveren", {"informatie": "behandelplan v2"})
        assert "wijziging_informatie_ontvangen" in case["state"], case["state"]
        assert open_items(s, "ab-horizon", cid, "informatie_aanleveren") == []
        assert open_items(s, "pr-rotterdam", cid, "informatietermijn_verlopen") == []
        one_item(s, "pr-rotterdam", cid, "informatie_aangeleverd", "notification", "R-MON-5")
        s.clock(ams("2027-06-18"))
        refused(s, cid, "ab-horizon", "wijziging_toekennen", {"product": "45A02"}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(cid, "pr-rotterdam", "wijziging_toekennen", {"product": "45A02"})
        assert case["fields"]["product"]["code"] == "45A02" and case["fields"]["product"]["vorige_code"] == "45A12"
        assert "geen_wijziging" in case["state"] and deadline(case, "besluit_verzoek_om_wijziging") is None, case
        assert open_items(s, "pr-rotterdam", cid, "wijziging_beoordelen") == []


def test_r_mon_6_suspension_lapses_after_8_weeks_route_a_2_months_route_b_c():
    """R-MON-6, R-BE-12: a suspension may resume within 8 weeks on route A (2027-05-03 -> 2027-06-28) and 2 months
    on routes B and C (-> 2027-07-03; from its datum 2027-04-30 -> 2027-06-30); after that the entitlement
    lapses and the case ends (beeindigd, aanspraak_vervallen, JZ588 reden 32, everyone informed); resumed in
    time it does not."""
    with Server(now=T0) as s:
        route_a, resumed_a, route_c = in_zorg(s), in_zorg(s), in_zorg(s, verwijzer="gi")
        route_b = in_zorg_route_b(s)
        assert s.get_case(route_c, "pr-rotterdam")["fields"]["route"] == "C"
        s.clock(ams("2027-05-03"))
        refused(s, route_a, "cr-rotterdam", "zorg_opschorten", {"reden": "vakantie"}, 403, "forbidden", "R-AUTH-1")
        refused(s, route_a, "ab-horizon", "zorg_opschorten", {}, 422, "invalid_data", "R-MON-6")
        refused(s, route_a, "ab-horizon", "zorg_opschorten", {"reden": "x", "datum": "2027-05-04"}, 422, "guard_failed",
                "R-MON-6")
        refused(s, route_a, "ab-horizon", "zorg_hervatten", None, 409, "not_allowed_in_state")
        for cid in (route_a, resumed_a, route_b):
            case = s.fire(cid, "ab-horizon", "zorg_opschorten", {"reden": "de jeugdige wil even pauze"})
            assert case["status"] == "opgeschort", case
            assert due(case, "evaluatie") == "2027-07-01", case["deadlines"]  # monitoring keeps running
            one_item(s, "cr-rotterdam", cid, "zorg_opgeschort", "notification", "R-MON-6")
        case = s.fire(route_c, "ab-horizon", "zorg_opschorten", {"reden": "pauze", "datum": "2027-04-30"})
        want = {route_a: "2027-06-28", resumed_a: "2027-06-28", route_b: "2027-07-03", route_c: "2027-06-30"}
        for cid, day in want.items():
            case = s.get_case(cid, "pr-rotterdam")
            d = deadline(case, "hervatten_na_opschorting")
            assert d and d["due"] == day and d["rule"] == "R-MON-6", (cid, case["deadlines"])
            assert case["fields"]["opschorting"]["hervatten_uiterlijk"] == day, case["fields"]
        s.clock(ams("2027-06-28"))
        case = s.fire(resumed_a, "ab-horizon", "zorg_hervatten", {"toelichting": "weer gestart"})
        assert case["status"] == "in_zorg" and deadline(case, "hervatten_na_opschorting") is None, case
        s.clock(ams("2027-06-28", "23:59"))
        assert s.get_case(route_a, "pr-rotterdam")["status"] == "opgeschort"
        s.clock(ams("2027-06-29", "09:00"))
        case = s.get_case(route_a, "pr-rotterdam")
        assert case["status"] == "beeindigd" and case["closed"] is True and "aanspraak_vervallen" in case["flags"], case
        assert case["deadlines"] == [] and case["fields"]["beeindigd_door"] == "opschorting_verlopen", case
        # R-BE-12: each end records its JZ588 code; RIJ counts the lapse as an end by the jeugdige (32)
        assert case["fields"]["reden_beeindiging"] == "32", case["fields"]
        assert case["fields"]["einddatum_zorg"] == "2027-05-03", case["fields"]
        for who in ("ab-horizon", "cr-rotterdam", "pr-rotterdam"):
            one_item(s, who, route_a, "aanspraak_vervallen", "notification", "R-MON-6")
        e = last_entry(s, route_a)
        assert (e["actor"], e["event"], e["rule"], e["time"]) == (
            "system", "opschorting_verlopen", "R-MON-6", "2027-06-29T00:00:00+02:00"), e
        refused(s, route_a, "ab-horizon", "zorg_hervatten", None, 409, "not_allowed_in_state")
        # 8 weeks are over, 2 months are not: routes B and C still may resume
        assert s.get_case(route_b, "pr-rotterdam")["status"] == "opgeschort"
        assert s.get_case(route_c, "pr-rotterdam")["status"] == "opgeschort"
        s.clock(ams("2027-06-30"))
        assert s.fire(route_c, "ab-horizon", "zorg_hervatten", {"toelichting": "nieuwe start"})["status"] == "in_zorg"
        s.clock(ams("2027-07-03", "23:59"))
        assert s.get_case(route_b, "pr-rotterdam")["status"] == "opgeschort"
        s.clock(ams("2027-07-04", "09:00"))
        case = s.get_case(route_b, "pr-rotterdam")
        assert case["status"] == "beeindigd" and "aanspraak_vervallen" in case["flags"], case
        for cid in (resumed_a, route_c):
            case = s.get_case(cid, "pr-rotterdam")
            assert case["status"] == "in_zorg" and "aanspraak_vervallen" not in case["flags"], case


def test_r_mon_7_crisis_pauses_arrangement():
    """R-MON-7: when the aanbieder calls in the CIT the arrangement is paused (status crisis, casusregisseur
    and procesregisseur informed, monitoring keeps running); it resumes only with a follow-up plan and a
    handover; no suspension during a crisis."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.clock(ams("2027-05-03"))
        refused(s, cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "v", "overdracht": "o"}, 409,
                "not_allowed_in_state")
        for who in ("cr-rotterdam", "pr-rotterdam"):
            refused(s, cid, who, "crisis_melden", {"toelichting": "CIT"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "crisis_melden", {}, 422, "invalid_data", "R-MON-7")
        case = s.fire(cid, "ab-horizon", "crisis_melden", {"toelichting": "CIT ingeschakeld"})
        assert case["status"] == "crisis" and "crisis" in case["state"], case
        assert due(case, "evaluatie") == "2027-07-01", case["deadlines"]
        one_item(s, "cr-rotterdam", cid, "crisis_gemeld", "notification", "R-MON-7")
        one_item(s, "pr-rotterdam", cid, "crisis_gemeld", "notification", "R-MON-7")
        assert [c["status"] for c in s.req("GET", "/v1/cases?status=crisis", TOKEN["pr-rotterdam"])[1]["cases"]] == ["crisis"]
        refused(s, cid, "ab-horizon", "zorg_opschorten", {"reden": "x"}, 409, "not_allowed_in_state")
        s.clock(ams("2027-05-10"))
        refused(s, cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "v"}, 422, "invalid_data", "R-MON-7")
        refused(s, cid, "cr-rotterdam", "crisis_afronden", {"vervolgplan": "v", "overdracht": "o"}, 403, "forbidden",
                "R-AUTH-1")
        case = s.fire(cid, "ab-horizon", "crisis_afronden",
                      {"vervolgplan": "vervolg hulpverleningsplan", "overdracht": "warm"})
        assert case["status"] == "in_zorg" and case["fields"]["crisis"]["vervolgplan"] == "vervolg hulpverleningsplan"
        one_item(s, "cr-rotterdam", cid, "crisis_afgerond", "notification", "R-MON-7")


def test_r_mon_8_einddatum_required_and_12_months_for_begeleiding():
    """R-MON-8: the einddatum is required and after the begindatum; a toekenning for begeleiding (and, per
    ARR, behandeling) lasts at most 12 months, at the toewijzing, in a route B verzoek and at a verlenging
    (at most 12 months past the current einddatum); other arrangements (dyslexie) have no such limit."""
    with Server(now=T0) as s:
        cid = s.create_a()["id"]
        base = {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-04-01", "risicotaxatie": "geen_risico"}
        refused(s, cid, "pr-rotterdam", "toewijzen", base, 422, "invalid_data", "R-MON-8")
        refused(s, cid, "pr-rotterdam", "toewijzen", dict(base, einddatum="2027-04-01"), 422, "guard_failed", "R-MON-8")
        for arr in ("begeleiding_individueel", "behandeling_groep"):
            refused(s, cid, "pr-rotterdam", "toewijzen", dict(base, einddatum="2028-04-01", arrangement=arr), 422,
                    "guard_failed", "R-MON-8")
        refused(s, cid, "pr-rotterdam", "toewijzen", dict(base, einddatum="2027-12-31", arrangement="logeren"), 422,
                "invalid_data", "R-MON-8")
        dys = s.create_a()["id"]
        case = s.fire(dys, "pr-rotterdam", "toewijzen", dict(base, einddatum="2028-10-01", arrangement="dyslexie_behandeling"))
        assert case["fields"]["product"]["einddatum"] == "2028-10-01", case["fields"]
        case = s.fire(cid, "pr-rotterdam", "toewijzen",
                      dict(base, einddatum="2028-03-31", arrangement="begeleiding_groep"))
        assert case["fields"]["product"]["arrangement"] == "begeleiding_groep", case["fields"]
        # route B: the verzoek om toewijzing is checked the same way; nothing is created
        product = {"code": "45A12", "begindatum": "2027-04-01", "einddatum": "2028-05-01",
                   "arrangement": "begeleiding_individueel"}
        st, body = s.create_b(product=product)
        assert_error(st, body, 422, code="guard_failed", rule="R-MON-8")
        del product["einddatum"]
        st, body = s.create_b(product=product)
        assert_error(st, body, 422, code="invalid_data", rule="R-MON-8")
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert len(lst["cases"]) == 2, lst
        # a verlenging of begeleiding: at most 12 months past the current einddatum
        beg = in_zorg(s, arrangement="begeleiding_individueel")
        s.clock(ams("2027-10-11"))
        s.fire(beg, "ab-horizon", "verlenging_aanvragen", verlenging(einddatum="2028-12-31"))
        s.clock(ams("2027-10-12"))
        refused(s, beg, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2028-12-31"}, 422, "guard_failed",
                "R-MON-8")
        case = s.fire(beg, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2028-12-30"})
        assert case["fields"]["product"]["einddatum"] == "2028-12-30", case["fields"]["product"]
        assert due(case, "eindevaluatie") == "2028-11-04", case["deadlines"]


if __name__ == "__main__":
    run(globals())
