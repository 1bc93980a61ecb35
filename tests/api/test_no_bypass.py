"""HTTP API tests: the shortcuts around the Rijnmond process that DOMAIN §4.2 closes, each attempted over
HTTP and refused with its rule, and the legitimate path that remains (chart jeugdhulp-rijnmond):

- R-BE-12 no bypass: while the termination procedure is open, and after its approval until the handover,
  the aanbieder cannot end the case another way (zorg_afsluiten with any code, zorg_beeindigen_door_jeugdige,
  a suspension whose lapse would end it); an early end with JZ588 33 exists only as the outcome of the
  approved procedure; an end by the jeugdige inside it needs the casusregisseur's confirmation; every end
  records its JZ588 code.
- R-AUTH-3 1 gezin, 1 plan, 1 casusregisseur: only the assigned casusregisseur acts; a case without one
  gives the procesregisseur a task to assign one, and tasks never go to every casusregisseur of the gemeente.
- R-ESC-6: the escalation to the contractmanager records that the jeugdige was consulted.
- R-ESC-10: stagnatie_opschalen is the zorgbemiddelingsteam's step (role zbt), not a casusregisseur
  shortcut; the procesregisseur may open the ladder.

Every refusal is checked as in test_process.py: status, error code and rule, and nothing changed (the case
view, its history, the inboxes). The proofs over every run are `casusd statechart verify` with the chart's
properties (docs/statecharts.md); these tests are the same rules at the HTTP surface.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, TOKEN, Server, assert_error, run, tasks  # noqa: E402
from test_process import (FORMULIER, GESPREK_AANBIEDER, T0, ams, gesprek, in_zorg, items, last_entry,  # noqa: E402
                          one_item, overwegingen, procedure_to_form, refused, waarschuwing)

# Every way the aanbieder could end the case other than the procedure's own handover.
ENDS = [("zorg_afsluiten", {"reden_beeindiging": code, "einddatum_zorg": "2027-04-26"})
        for code in ("31", "33", "34", "02", "38")] + [
    ("zorg_beeindigen_door_jeugdige", {"einddatum_zorg": "2027-04-26"}),
    ("zorg_opschorten", {"reden": "de jeugdige wil pauze"}),
]


def bypasses_refused(s, cid, where):
    """Every end of ENDS by the aanbieder is refused with 422 guard_failed R-BE-12 and changes nothing."""
    for event, data in ENDS:
        err = refused(s, cid, "ab-horizon", event, data, 422, "guard_failed", "R-BE-12")
        assert "procedure" in err["message"], (where, event, err)
    case = s.get_case(cid, "pr-rotterdam")
    assert case["status"] == "in_zorg" and case["closed"] is False, (where, case)


def test_r_be_12_no_other_end_at_any_step_of_the_procedure():
    """R-BE-12: from the announcement on, at every step (talks, first and second warning, the form
    awaiting the decision) the aanbieder's regular end (31), early end (33), any other JZ588 code, end by
    the jeugdige and suspension are refused with 422 and R-BE-12. The legitimate way out remains: a
    withdrawal (R-BE-10) returns the case to normal care, where the regular end works again."""
    with Server(now=T0) as s:
        cid, withdrawn = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-04-26"))
        for c in (cid, withdrawn):
            s.fire(c, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        bypasses_refused(s, cid, "announced")
        s.clock(ams("2027-05-03"))
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
        s.clock(ams("2027-05-10"))
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10"))
        bypasses_refused(s, cid, "two talks")
        s.clock(ams("2027-05-17"))
        s.fire(cid, "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17"))
        bypasses_refused(s, cid, "first warning")
        s.clock(ams("2027-05-24"))
        s.fire(cid, "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24"))
        bypasses_refused(s, cid, "second warning")
        s.clock(ams("2027-05-25"))
        case = s.fire(cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)
        assert "beeindiging_ter_beoordeling" in case["state"], case["state"]
        bypasses_refused(s, cid, "form awaiting the decision")
        # the legitimate way out: withdraw, then end regularly
        s.fire(withdrawn, "ab-horizon", "beeindiging_intrekken", {"reden": "het gaat beter"})
        case = s.fire(withdrawn, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-05-25"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "31", case


def test_r_be_12_after_approval_only_the_handover_ends_with_33():
    """R-BE-12, R-BE-8: after the casusregisseur's approval, until the handover, every other end is still
    refused (R-BE-12); the warm handover (overdracht_afronden) ends the case with JZ588 33, the only early
    end by the aanbieder."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        procedure_to_form(s, [cid])
        s.clock(ams("2027-05-27"))
        s.fire(cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        bypasses_refused(s, cid, "approved")
        s.clock(ams("2027-06-14"))
        case = s.fire(cid, "ab-horizon", "overdracht_afronden",
                      {"einddatum_zorg": "2027-06-11", "overdracht": "warm overgedragen aan kompas-zorg"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "33", case
        assert case["fields"]["beeindiging"]["uitkomst"] == "overgedragen", case["fields"]


def test_r_be_12_the_toewijzing_expires_during_the_procedure():
    """R-BE-12 with R-MON-9: a toewijzing that expires while the procedure is open ends the procedure with
    the care (its flag goes, stop zorg 31 is the way out); one that expires after the approval leaves the
    handover owed: stop zorg 31 and an extension are refused with R-BE-12, and overdracht_afronden in the
    expired toewijzing ends the case with 33."""
    with Server(now=T0) as s:
        open_cid = in_zorg(s, einddatum="2027-06-04")
        approved = in_zorg(s, einddatum="2027-06-04")
        procedure_to_form(s, [open_cid, approved])
        s.clock(ams("2027-05-27"))
        s.fire(approved, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        s.clock(ams("2027-06-07"))
        for cid in (open_cid, approved):
            case = s.get_case(cid, "pr-rotterdam")
            assert "toewijzing_verlopen" in case["state"] and case["status"] == "beeindigd", case["state"]
        # the open procedure ended with the care
        case = s.get_case(open_cid, "pr-rotterdam")
        assert "beeindiging_loopt" not in case["flags"], case["flags"]
        # the approved one still ends only with its handover
        case = s.get_case(approved, "pr-rotterdam")
        assert "beeindiging_goedgekeurd" in case["flags"], case["flags"]
        task = [t for t in tasks(s.inbox("ab-horizon"), approved) if t["kind"] == "stop_zorg_melden"]
        assert len(task) == 1 and task[0]["rule"] == "R-BE-12" and "overdracht" in task[0]["title"], task
        err = refused(s, approved, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31"}, 422, "guard_failed",
                      "R-BE-12")
        assert "handover" in err["message"], err
        refused(s, approved, "pr-rotterdam", "toewijzing_verlengen",
                {"nieuwe_einddatum": "2027-12-31", "reden": "toch verder"}, 422, "guard_failed", "R-BE-12")
        case = s.fire(approved, "ab-horizon", "overdracht_afronden",
                      {"einddatum_zorg": "2027-06-04", "overdracht": "warm overgedragen aan kompas-zorg"})
        assert case["closed"] is True and case["fields"]["reden_beeindiging"] == "33", case
        # the expired toewijzing without an approval ends with stop zorg 31; no handover there
        refused(s, open_cid, "ab-horizon", "overdracht_afronden",
                {"einddatum_zorg": "2027-06-04", "overdracht": "x"}, 409, "not_allowed_in_state")
        case = s.fire(open_cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31"})
        assert case["closed"] is True and case["fields"]["reden_beeindiging"] == "31", case


def test_r_be_12_reden_33_refused_outside_an_approved_procedure():
    """R-BE-12 (with R-TW-7): outside a termination procedure zorg_afsluiten with reden 33 (voortijdig door
    aanbieder) is refused with R-BE-12 and a message naming the procedure; a code outside JZ588 (99) is
    invalid data (R-TW-7); the regular end (31) and the other codes are accepted and recorded."""
    with Server(now=T0) as s:
        cid, other = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-04-26"))
        err = refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "33", "einddatum_zorg": "2027-04-26"},
                      422, "guard_failed", "R-BE-12")
        assert "approved termination procedure" in err["message"], err
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "99", "einddatum_zorg": "2027-04-26"},
                422, "invalid_data", "R-TW-7")
        case = s.fire(cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-04-26"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "31", case
        case = s.fire(other, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "34", "einddatum_zorg": "2027-04-26"})
        assert case["fields"]["reden_beeindiging"] == "34", case


def test_r_be_12_end_by_the_jeugdige_inside_the_procedure_needs_the_casusregisseur():
    """R-BE-12, R-BE-11: inside the procedure the aanbieder reports the end by the jeugdige
    (einde_door_jeugdige_melden); the case stays in care and the assigned casusregisseur (only) gets a task
    to confirm it. The aanbieder cannot confirm it (403), a colleague casusregisseur neither (R-AUTH-3);
    no second report while one is pending; confirming without a report is refused. Not confirmed, the
    procedure and the care continue; confirmed, the case ends with JZ588 32 and the reported
    einddatum_zorg, and the aanbieder and procesregisseur are told."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.clock(ams("2027-04-26"))
        refused(s, cid, "ab-horizon", "einde_door_jeugdige_melden", {"einddatum_zorg": "2027-04-26", "toelichting": "t"},
                409, "not_allowed_in_state")
        s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        refused(s, cid, "cr-rotterdam", "einde_door_jeugdige_bevestigen", {}, 422, "guard_failed", "R-BE-12")
        refused(s, cid, "ab-horizon", "einde_door_jeugdige_melden", {"einddatum_zorg": "2027-04-26"}, 422,
                "invalid_data", "R-BE-12")
        s.clock(ams("2027-05-03"))
        case = s.fire(cid, "ab-horizon", "einde_door_jeugdige_melden",
                      {"einddatum_zorg": "2027-05-01", "toelichting": "de jeugdige komt niet meer"})
        assert case["status"] == "in_zorg" and "einde_door_jeugdige_gemeld" in case["flags"], case
        one_item(s, "cr-rotterdam", cid, "einde_door_jeugdige_bevestigen", "task", "R-BE-12")
        assert items(s, "cr2-rotterdam", cid, "einde_door_jeugdige_bevestigen") == []
        refused(s, cid, "ab-horizon", "einde_door_jeugdige_melden", {"einddatum_zorg": "2027-05-01", "toelichting": "t"},
                422, "guard_failed", "R-BE-12")
        refused(s, cid, "ab-horizon", "einde_door_jeugdige_bevestigen", {}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "cr2-rotterdam", "einde_door_jeugdige_bevestigen", {}, 422, "guard_failed", "R-AUTH-3")
        # not confirmed: the procedure and the care continue
        case = s.fire(cid, "cr-rotterdam", "einde_door_jeugdige_niet_bevestigen", {"reden": "de jeugdige komt wel"})
        assert case["status"] == "in_zorg" and "beeindiging_gesprekken" in case["state"], case
        assert "einde_door_jeugdige_gemeld" not in case["flags"], case["flags"]
        assert [i for i in items(s, "cr-rotterdam", cid, "einde_door_jeugdige_bevestigen") if i.get("open", True)] == []
        one_item(s, "ab-horizon", cid, "einde_door_jeugdige_niet_bevestigd", "notification", "R-BE-12")
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03"))
        # reported again and confirmed: the end by the jeugdige
        s.clock(ams("2027-05-10"))
        s.fire(cid, "ab-horizon", "einde_door_jeugdige_melden", {"einddatum_zorg": "2027-05-07", "toelichting": "gestopt"})
        case = s.fire(cid, "cr-rotterdam", "einde_door_jeugdige_bevestigen", {"toelichting": "met de ouders besproken"})
        assert case["status"] == "beeindigd" and case["closed"] is True, case
        f = case["fields"]
        assert (f["reden_beeindiging"], f["einddatum_zorg"], f["beeindigd_door"]) == ("32", "2027-05-07", "jeugdige"), f
        assert f["beeindiging"]["uitkomst"] == "beeindigd_door_jeugdige", f["beeindiging"]
        assert f["beeindiging"]["einde_door_jeugdige"]["bevestigd_door"] == "cr-rotterdam", f["beeindiging"]
        e = last_entry(s, cid)
        assert (e["event"], e["actor"], e["role"], e["rule"]) == (
            "einde_door_jeugdige_bevestigen", "cr-rotterdam", "casusregisseur", "R-BE-12"), e
        one_item(s, "pr-rotterdam", cid, "zorg_beeindigd_door_jeugdige", "notification", "R-BE-11")
        assert [i for i in items(s, "cr-rotterdam", cid, None, "task") if i.get("open", True)] == []


def test_r_be_12_suspension_cannot_end_the_case_around_the_procedure():
    """R-BE-12, R-MON-6: a suspension by the jeugdige cannot be reported while the procedure is open (its
    lapse would end the case without the casusregisseur), and no procedure is announced while the care
    is suspended; a suspension outside the procedure that lapses ends the case recording JZ588 32 (RIJ
    counts it as an end by the jeugdige) and the date the care stopped."""
    with Server(now=T0) as s:
        cid, suspended = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-05-03"))
        s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
        refused(s, cid, "ab-horizon", "zorg_opschorten", {"reden": "pauze"}, 422, "guard_failed", "R-BE-12")
        s.fire(suspended, "ab-horizon", "zorg_opschorten", {"reden": "pauze"})
        refused(s, suspended, "ab-horizon", "beeindiging_aankondigen", {"redenen": "x"}, 422, "guard_failed", "R-BE-12")
        s.clock(ams("2027-06-29", "09:00"))
        case = s.get_case(suspended, "pr-rotterdam")
        assert case["status"] == "beeindigd" and "aanspraak_vervallen" in case["flags"], case
        assert (case["fields"]["reden_beeindiging"], case["fields"]["einddatum_zorg"]) == ("32", "2027-05-03"), case


def _create_without_casusregisseur(s, gemeente="rotterdam"):
    st, case = s.create("pr-%s" % gemeente, {
        "verwijzer": "gemeente", "gemeente": gemeente, "regie_intensiteit": "midden",
        "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}})
    assert st == 201 and "casusregisseur" not in case["fields"], (st, case)
    return case["id"]


def test_r_auth_3_a_case_without_casusregisseur():
    """R-AUTH-3: a case registered without a casusregisseur gives the procesregisseur a task to assign one
    (casusregisseur_toewijzen). Every casusregisseur of the gemeente sees the case but none acts on it
    (422, R-AUTH-3), and the tasks meant for the casusregisseur go to none of them (no shared inbox of
    the gemeente's casusregisseurs: the start zorg deadline, the dispute); the procesregisseur still gets
    its own. Once the procesregisseur assigns one, its task closes and that casusregisseur, alone, acts and
    gets the tasks."""
    with Server(now=T0) as s:
        cid = _create_without_casusregisseur(s)
        one_item(s, "pr-rotterdam", cid, "casusregisseur_toewijzen", "task", "R-AUTH-3")
        s.fire(cid, "pr-rotterdam", "toewijzen",
               {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-04-01", "einddatum": "2027-12-31",
                "risicotaxatie": "geen_risico"})
        s.clock(ams("2027-04-09", "09:00"))  # 5 working days passed without start zorg (R-TW-2)
        s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})
        for who in ("cr-rotterdam", "cr2-rotterdam"):
            assert s.get_case(cid, who)["id"] == cid  # colleagues see the case
            refused(s, cid, who, "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"}, 422, "guard_failed",
                    "R-AUTH-3")
            refused(s, cid, who, "overeenstemming_bereiken", {}, 422, "guard_failed", "R-AUTH-3")
            assert tasks(s.inbox(who), cid) == [], (who, s.inbox(who))
        one_item(s, "pr-rotterdam", cid, "start_zorg_termijn_verlopen", "task", "R-TW-2")
        one_item(s, "pr-rotterdam", cid, "arrangement_betwist", "task", "R-TW-4")
        # the procesregisseur assigns one: only that one acts from now on
        s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr-rotterdam"})
        assert [i for i in items(s, "pr-rotterdam", cid, "casusregisseur_toewijzen") if i.get("open", True)] == []
        refused(s, cid, "cr2-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"}, 422,
                "guard_failed", "R-AUTH-3")
        s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        s.fire(cid, "ab-horizon", "start_zorg")
        s.clock(ams("2027-07-12"))  # the first evaluation (3 months after the start, 2027-07-09) is overdue
        one_item(s, "cr-rotterdam", cid, "evaluatie_te_laat", "task", "R-MON-3")
        assert items(s, "cr2-rotterdam", cid, "evaluatie_te_laat") == []


def test_r_auth_3_only_the_assigned_casusregisseur_decides():
    """R-AUTH-3: on a case with an assigned casusregisseur a colleague of the same gemeente sees the case
    but cannot record an evaluation, open the ladder or decide on the termination (422, R-AUTH-3); a GI
    casusregisseur of another organisation assigned to the case does, and then the gemeente's own
    casusregisseur does not. A case created with one gives no assignment task."""
    with Server(now=T0) as s:
        cid, gi = in_zorg(s), in_zorg(s)
        assert items(s, "pr-rotterdam", cid, "casusregisseur_toewijzen") == []
        procedure_to_form(s, [cid])
        s.clock(ams("2027-05-27"))
        refused(s, cid, "cr2-rotterdam", "beeindiging_goedkeuren", overwegingen(), 422, "guard_failed", "R-AUTH-3")
        refused(s, cid, "cr2-rotterdam", "beeindiging_afwijzen", overwegingen(), 422, "guard_failed", "R-AUTH-3")
        refused(s, cid, "cr2-rotterdam", "evaluatie_vastleggen", {"datum": "2027-05-27", "uitkomst": "ongewijzigd"},
                422, "guard_failed", "R-AUTH-3")
        refused(s, cid, "cr2-rotterdam", "stagnatie_melden", {"toelichting": "t"}, 422, "guard_failed", "R-AUTH-3")
        s.fire(cid, "cr-rotterdam", "beeindiging_goedkeuren", overwegingen())
        # a GI casusregisseur (another organisation) assigned to a rotterdam case
        s.fire(gi, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr-schiedam"})
        refused(s, gi, "cr-rotterdam", "stagnatie_melden", {"toelichting": "t"}, 422, "guard_failed", "R-AUTH-3")
        case = s.fire(gi, "cr-schiedam", "stagnatie_melden", {"toelichting": "geen voortgang"})
        assert case["fields"]["escalatie"]["geopend_door"] == "casusregisseur", case["fields"]


def _ladder_at_teammanagers(s, cid):
    s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht arrangement"})
    s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
    s.fire(cid, "cr-rotterdam", "intern_afstemmen", {"afstemming": "met het CDT"})
    s.clock(ams("2027-04-12"))
    s.fire(cid, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER)
    s.fire(cid, "tm-rotterdam", "teammanagers_inschakelen", {})


def test_r_esc_6_consultation_of_the_jeugdige_is_recorded():
    """R-ESC-6: the teammanager escalates to the contractmanager only after consulting the jeugdige
    (without it: 422, R-ESC-6), and the case records that consultation
    (fields.escalatie.jeugdige_geraadpleegd); a new ladder starts without it."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        _ladder_at_teammanagers(s, cid)
        assert "jeugdige_geraadpleegd" not in s.get_case(cid, "pr-rotterdam")["fields"]["escalatie"]
        refused(s, cid, "tm-rotterdam", "contractmanager_inschakelen",
                {"jeugdige_geraadpleegd": False, "verschil_van_inzicht": "v"}, 422, "guard_failed", "R-ESC-6")
        case = s.fire(cid, "tm-rotterdam", "contractmanager_inschakelen",
                      {"jeugdige_geraadpleegd": True, "verschil_van_inzicht": "zwaarte van het arrangement"})
        assert case["fields"]["escalatie"]["jeugdige_geraadpleegd"] is True, case["fields"]["escalatie"]
        s.fire(cid, "tm-rotterdam", "overeenstemming_bereiken", {})
        case = s.fire(cid, "cr-rotterdam", "stagnatie_melden", {"toelichting": "opnieuw geen voortgang"})
        assert "jeugdige_geraadpleegd" not in case["fields"]["escalatie"], case["fields"]["escalatie"]


def test_r_esc_10_stagnation_is_the_zbts_step_and_the_procesregisseur_opens_the_ladder():
    """R-ESC-10: the casusregisseur cannot take the shortcut to the contractmanager (stagnatie_opschalen:
    403, R-AUTH-1, at no escalation and at step 1), nor can the procesregisseur; the region's ZBT does
    (its view anonymised; a ZBT of another region gets 404). The procesregisseur opens the ladder
    (stagnatie_melden) when agreements are not kept; the casusregisseur is told and takes step 1, which
    the procesregisseur cannot (403)."""
    with Server(now=T0) as s:
        cid, opened = in_zorg(s), in_zorg(s)
        s.clock(ams("2027-05-03"))
        for who in ("cr-rotterdam", "pr-rotterdam", "tm-rotterdam"):
            refused(s, cid, who, "stagnatie_opschalen", {"melding_zbt": "geen plek"}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "zbt-holland-noord", "stagnatie_opschalen", {"melding_zbt": "geen plek"}, 404, "not_found")
        # the procesregisseur opens the ladder
        refused(s, opened, "ab-horizon", "stagnatie_melden", {"toelichting": "t"}, 403, "forbidden", "R-AUTH-1")
        case = s.fire(opened, "pr-rotterdam", "stagnatie_melden", {"toelichting": "afspraken niet nagekomen"})
        assert "ladder" in case["state"] and case["fields"]["escalatie"]["geopend_door"] == "procesregisseur", case
        one_item(s, "cr-rotterdam", opened, "escalatie_geopend", "notification", "R-ESC-10")
        e = last_entry(s, opened)
        assert (e["event"], e["actor"], e["role"]) == ("stagnatie_melden", "pr-rotterdam", "procesregisseur"), e
        refused(s, opened, "pr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"}, 403,
                "forbidden", "R-AUTH-1")
        refused(s, opened, "cr-rotterdam", "stagnatie_opschalen", {"melding_zbt": "x"}, 403, "forbidden", "R-AUTH-1")
        s.fire(opened, "cr-rotterdam", "feiten_vastleggen", {"feiten": "f", "doorlopen_stappen": "s"})
        # the ZBT escalates (from no escalation, and from a step of the ladder)
        for c in (cid, opened):
            case = s.fire(c, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "traject stagneert"})
            assert "ladder_contractmanager" in case["state"] and case["anoniem"] is True, case
            one_item(s, "cm-rijnmond", c, "escalatie_contractmanager", "notification", "R-ESC-8")
            one_item(s, "cr-rotterdam", c, "escalatie_contractmanager", "notification", "R-ESC-8")
            assert last_entry(s, c)["role"] == "zbt"


def test_r_esc_10_zbt_stagnatie_only_where_the_ladder_is():
    """R-ESC-10: stagnatie_opschalen is the ZBT's step, and only where the ladder is: a case that is assigned
    or in care. A registered case without a toewijzing, and a closed case, refuse it (409) and change
    nothing; an assigned case takes it."""
    with Server(now=T0) as s:
        aangemeld = s.create_a()["id"]
        refused(s, aangemeld, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "stagnatie"}, 409,
                "not_allowed_in_state")
        closed = in_zorg(s)
        s.fire(closed, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31", "einddatum_zorg": "2027-04-01"})
        st, body = s.event(closed, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "stagnatie"})
        assert st in (409, 410) and body["error"]["code"] in ("not_allowed_in_state", "case_closed"), (st, body)
        assigned = in_zorg(s)
        case = s.fire(assigned, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "stagnatie"})
        assert "ladder_contractmanager" in case["state"], case["state"]
        assert case["fields"]["escalatie"]["doorlopen_ladderstappen"] == ["zbt_stagnatie_opgeschaald"], case


def test_r_priv_1_r_esc_6_contractmanager_sees_the_steps_taken():
    """R-PRIV-1 with RIJ ladder step 6 ("met de doorlopen stappen"): the case records which ladder steps were
    taken as the chart's own step codes (fields.escalatie.doorlopen_ladderstappen), and the contractmanager
    the case reached sees them, while the free text of the steps (facts, the steps as told, the talk) stays
    withheld."""
    with Server(now=T0) as s:
        cid = in_zorg(s)
        s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht arrangement"})
        s.fire(cid, "cr-rotterdam", "feiten_vastleggen", {"feiten": "GEHEIM-FEITEN", "doorlopen_stappen": "GEHEIM-STAPPEN"})
        s.fire(cid, "cr-rotterdam", "intern_afstemmen", {"afstemming": "GEHEIM-CDT"})
        s.clock(ams("2027-04-12"))
        s.fire(cid, "cr-rotterdam", "gesprek_aanbieder_voeren", GESPREK_AANBIEDER)
        s.fire(cid, "tm-rotterdam", "teammanagers_inschakelen", {})
        s.fire(cid, "tm-rotterdam", "contractmanager_inschakelen",
               {"jeugdige_geraadpleegd": True, "verschil_van_inzicht": "zwaarte van het arrangement"})
        want = ["1_feiten_en_stappen_vastgelegd", "2_intern_afgestemd", "3_gesprek_aanbieder_gevoerd",
                "5_teammanagers_ingeschakeld", "6_contractmanager_ingeschakeld"]
        assert s.get_case(cid, "pr-rotterdam")["fields"]["escalatie"]["doorlopen_ladderstappen"] == want
        st, _, raw = s.raw("GET", "/v1/cases/" + cid, TOKEN["cm-rijnmond"])
        assert st == 200, raw
        esc = json.loads(raw)["fields"]["escalatie"]
        assert esc["doorlopen_ladderstappen"] == want, esc
        assert esc["verschil_van_inzicht"] == "zwaarte van het arrangement", esc
        assert b"GEHEIM" not in raw and "doorlopen_stappen" not in esc and "feiten" not in esc, raw


if __name__ == "__main__":
    run(globals())
