"""HTTP API tests: the toewijzing ends (R-MON-9) on both charts, and in Alkmaar the one assigned
casusregisseur (R-AUTH-3, ALK §4.1.3), on a real server with the manual clock.

R-MON-9 (DOMAIN 4.2): at the einddatum without a granted verlenging the case does not stay in zorg. The day
after the einddatum (its last day) the timer einde_toewijzing moves the case out of care into
toewijzing_verlopen: status beeindigd, not yet closed; the aanbieder gets a task to report stop zorg
(JW307, JZ588 31), the procesregisseur a task to extend or let it end; 5 working days after the einddatum
an unreported stop is overdue (flag and task). The procesregisseur may extend a toewijzing on its own
initiative, outside the aanbieder's verlenging window, with a reason (toewijzing_verlengen: nieuwe_einddatum,
reden), in care and after the expiry; a verlenging re-arms the end.

R-AUTH-3 (DOMAIN 4.2, Alkmaar clause; ALK §4.1.3): a casusregisseur is always assigned, and only the
assigned one (fields.casusregisseur) fires casusregisseur events; colleagues of the gemeente see the case
but do not act.

The shared harness config runs gemeente alkmaar on the Rijnmond chart; the Alkmaar tests here pass their
own config in which region holland-noord runs jeugdhulp-alkmaar, with a casusregisseur at the aanbieder
(cr-horizon) and a second casusregisseur of the gemeente (cr2-alkmaar).
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, TOKEN, Server, assert_error, deadline, make_config, run, tasks  # noqa: E402

EXTRA = [("cr-horizon", "casusregisseur", HORIZON), ("cr2-alkmaar", "casusregisseur", "alkmaar")]
TOKEN.update({aid: "tok-%s-%s" % (aid, hashlib.sha256(aid.encode()).hexdigest()[:12]) for aid, _, _ in EXTRA})

WATCHED = ("pr-rotterdam", "cr-rotterdam", "ab-horizon", "pr-alkmaar", "cr-alkmaar", "cr2-alkmaar", "cr-horizon")


def server(alkmaar=False, now=None):
    """The harness config with the extra actors; with alkmaar, region holland-noord runs jeugdhulp-alkmaar."""
    cfg = make_config(now) if now else make_config()
    if alkmaar:
        cfg["regions"]["holland-noord"]["chart"] = "jeugdhulp-alkmaar"
    cfg["actors"] += [{"id": aid, "role": role, "org": org,
                       "token_sha256": hashlib.sha256(TOKEN[aid].encode()).hexdigest()} for aid, role, org in EXTRA]
    return Server(config=cfg)


def alkmaar_server():
    return server(alkmaar=True, now="2027-04-01T09:00:00+02:00")


def snapshot(s, cid, viewer):
    return s.get_case(cid, viewer), s.history(cid, viewer), {w: s.inbox(w) for w in WATCHED}


def refused(s, cid, who, event, data, status, code, rule=None, viewer="pr-rotterdam"):
    """An event that must be refused (status, code, rule) and change nothing: case, history, inboxes."""
    before = snapshot(s, cid, viewer)
    st, body = s.event(cid, who, event, data)
    err = assert_error(st, body, status, code=code, rule=rule)
    assert snapshot(s, cid, viewer) == before, "%s by %s changed the case, its history or an inbox" % (event, who)
    return err


def open_tasks(s, who, cid, kind):
    return [i for i in tasks(s.inbox(who), cid, kind, "task") if i.get("open", True)]


def one_task(s, who, cid, kind, rule):
    found = open_tasks(s, who, cid, kind)
    assert len(found) == 1, "%s: want one open task %s on %s: %r" % (who, kind, cid, s.inbox(who))
    assert found[0]["rule"] == rule, found[0]
    return found[0]


def rijnmond_in_zorg(s, einddatum="2027-03-31"):
    """Route A, rotterdam: assigned to horizon on 4 January 2027 with this einddatum, care started."""
    cid = s.create_a()["id"]
    st, body = s.toewijzen(cid, begindatum="2027-01-04", einddatum=einddatum)
    assert st == 200, body
    case = s.fire(cid, "ab-horizon", "start_zorg")
    assert case["status"] == "in_zorg", case
    return cid


# --- Rijnmond ----------------------------------------------------------------------------

def test_r_mon_9_case_expires_at_the_einddatum_with_its_tasks():
    """R-MON-9: a case in care whose einddatum passes without a verlenging leaves care: the day after the
    einddatum it is status beeindigd in toewijzing_verlopen, not closed; the system's step is in the history;
    the aanbieder has a task to report stop zorg, the procesregisseur a task to extend or let it end, the
    casusregisseur is told; nothing of care is possible any more. 5 working days after the einddatum the
    unreported stop is overdue (flag, tasks). Stop zorg then records JZ588 31 and closes every task."""
    with server() as s:
        cid = rijnmond_in_zorg(s)
        d = deadline(s.get_case(cid, "pr-rotterdam"), "einde_toewijzing")
        assert d is not None and d["due"] == "2027-03-31" and d["rule"] == "R-MON-9", d
        assert d["fires_at"] == "2027-04-01T00:00:00+02:00", d
        s.clock("2027-03-31T23:00:00+02:00")  # the einddatum is the toewijzing's last day
        assert s.get_case(cid, "pr-rotterdam")["status"] == "in_zorg"
        s.clock("2027-04-01T09:00:00+02:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert case["status"] == "beeindigd" and case["state"] == ["toewijzing_verlopen", "geen_escalatie"], case
        assert case["closed"] is False and "toewijzing_verlopen" in case["flags"], case
        assert case["fields"]["toewijzing_verlopen_op"] == "2027-04-01", case["fields"]
        last = s.history(cid, "pr-rotterdam")[-1]
        assert (last["event"], last["actor"], last["rule"]) == ("einddatum_bereikt", "system", "R-MON-9"), last
        assert last["from"] != last["to"] and "toewijzing_verlopen" in str(last["to"]), last
        one_task(s, "ab-horizon", cid, "stop_zorg_melden", "R-MON-9")
        one_task(s, "pr-rotterdam", cid, "toewijzing_verlopen", "R-MON-9")
        told = tasks(s.inbox("cr-rotterdam"), cid, "toewijzing_verlopen", "notification")
        assert len(told) == 1 and told[0]["rule"] == "R-MON-9", s.inbox("cr-rotterdam")
        # stop zorg; the safety events of R-SAFE-1 stay possible on the whole traject
        assert s.get_case(cid, "ab-horizon")["allowed_events"] == [
            "risicotaxatie_vastleggen", "meldcode_melding_doen", "calamiteit_melden", "zorg_afsluiten"]
        # nothing of care any more
        refused(s, cid, "cr-rotterdam", "evaluatie_vastleggen", {"datum": "2027-04-01", "uitkomst": "ongewijzigd"},
                409, "not_allowed_in_state")
        refused(s, cid, "ab-horizon", "zorg_opschorten", {"reden": "x"}, 409, "not_allowed_in_state")
        refused(s, cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "x"}, 409, "not_allowed_in_state")
        # stop zorg: by the aanbieder, JZ588 31, care ended no later than the einddatum
        refused(s, cid, "pr-rotterdam", "zorg_afsluiten", {}, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "33"}, 422, "invalid_data", "R-MON-9")
        refused(s, cid, "ab-horizon", "zorg_afsluiten", {"einddatum_zorg": "2027-04-01"}, 422, "guard_failed",
                "R-MON-9")
        # Wed 31 March + 5 working days: Thu 1, Fri 2 (Goede Vrijdag is optional, off), Mon 5, Tue 6, Wed 7 April
        d = deadline(s.get_case(cid, "pr-rotterdam"), "stop_zorg")
        assert d["due"] == "2027-04-07" and d["rule"] == "R-MON-9", d
        s.clock("2027-04-09T09:00:00+02:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert "stop_zorg_te_laat" in case["flags"] and case["status"] == "beeindigd", case
        one_task(s, "pr-rotterdam", cid, "stop_zorg_te_laat", "R-MON-9")
        one_task(s, "ab-horizon", cid, "stop_zorg_te_laat", "R-MON-9")
        case = s.fire(cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31",
                                                           "eindrapportage": "doelen behaald"})
        assert case["closed"] is True and case["state"] == ["beeindigd"], case
        assert case["fields"]["reden_beeindiging"] == "31" and case["fields"]["einddatum_zorg"] == "2027-03-31"
        assert "stop_zorg_te_laat_gemeld" in case["flags"], case["flags"]
        for who, kind in (("ab-horizon", "stop_zorg_melden"), ("pr-rotterdam", "toewijzing_verlopen"),
                          ("pr-rotterdam", "stop_zorg_te_laat"), ("ab-horizon", "stop_zorg_te_laat")):
            assert open_tasks(s, who, cid, kind) == [], (who, kind)


def test_r_mon_9_suspended_care_ends_too_and_open_work_is_closed():
    """R-MON-9: opgeschort (or crisis) is care under the toewijzing as well: the einddatum ends it; a pending
    verzoek om wijziging and its task end with the care (nobody can act on them any more)."""
    with server() as s:
        cid = rijnmond_in_zorg(s, einddatum="2027-02-28")
        s.fire(cid, "ab-horizon", "wijziging_aanvragen", {"reden": "zwaardere hulp nodig"})
        one_task(s, "pr-rotterdam", cid, "wijziging_beoordelen", "R-MON-5")
        assert s.fire(cid, "ab-horizon", "zorg_opschorten", {"reden": "ziekenhuisopname"})["status"] == "opgeschort"
        s.clock("2027-03-01T09:00:00+01:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert case["status"] == "beeindigd" and "toewijzing_verlopen" in case["state"], case
        assert [d["kind"] for d in case["deadlines"]] == ["stop_zorg"], case["deadlines"]
        assert open_tasks(s, "pr-rotterdam", cid, "wijziging_beoordelen") == []
        one_task(s, "pr-rotterdam", cid, "toewijzing_verlopen", "R-MON-9")


def test_r_mon_9_procesregisseur_extends_the_toewijzing():
    """R-MON-9: the procesregisseur extends a toewijzing on its own initiative, outside the aanbieder's
    window (12-8 weeks before the einddatum), with a reason: the einddatum moves, the end and the end
    evaluation follow it, the reason is recorded. Other roles 403, another gemeente 404, bad data 422 with the
    rule; each refusal changes nothing. After the expiry the procesregisseur may still extend, which puts the
    case back into care (never into the past)."""
    with server() as s:
        cid = rijnmond_in_zorg(s, einddatum="2027-12-31")
        s.clock("2027-05-03T09:00:00+02:00")  # far outside the aanbieder's window
        ok = {"nieuwe_einddatum": "2028-03-31", "reden": "de doelen vragen meer tijd"}
        refused(s, cid, "ab-horizon", "verlenging_aanvragen",
                {"product": "45A12", "reden": "x", "aanpassing_behandelplan": "y", "nieuwe_einddatum": "2028-03-31"},
                422, "guard_failed", "R-MON-4")
        for who in ("ab-horizon", "cr-rotterdam", "tm-rotterdam", "abm-horizon"):
            refused(s, cid, who, "toewijzing_verlengen", ok, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "pr-schiedam", "toewijzing_verlengen", ok, 404, "not_found")
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", {"nieuwe_einddatum": "2028-03-31"}, 422,
                "invalid_data", "R-MON-9")
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", {"reden": "x"}, 422, "invalid_data", "R-MON-9")
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", {"nieuwe_einddatum": "31-03-2028", "reden": "x"},
                422, "invalid_data", "R-MON-9")
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", {"nieuwe_einddatum": "2028-02-30", "reden": "x"},
                422, "invalid_data", "R-MON-9")
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", dict(ok, reden=""), 422, "invalid_data", "R-MON-9")
        for same_or_earlier in ("2027-12-31", "2027-09-30"):
            refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", dict(ok, nieuwe_einddatum=same_or_earlier), 422,
                    "guard_failed", "R-MON-9")
        case = s.fire(cid, "pr-rotterdam", "toewijzing_verlengen", ok)
        assert case["status"] == "in_zorg", case
        product = case["fields"]["product"]
        assert product["einddatum"] == "2028-03-31" and product["vorige_einddatum"] == "2027-12-31", product
        assert case["fields"]["toewijzing_verlengd"] == {"op": "2027-05-03", "vorige_einddatum": "2027-12-31",
                                                         "nieuwe_einddatum": "2028-03-31",
                                                         "reden": "de doelen vragen meer tijd"}, case["fields"]
        assert deadline(case, "einde_toewijzing")["due"] == "2028-03-31", case["deadlines"]
        assert deadline(case, "eindevaluatie")["due"] == "2028-02-04", case["deadlines"]  # 8 weeks before
        last = s.history(cid, "pr-rotterdam")[-1]
        assert (last["event"], last["actor"], last["rule"]) == ("toewijzing_verlengen", "pr-rotterdam", "R-MON-9")
        assert last["data"]["reden"] == "de doelen vragen meer tijd", last
        assert tasks(s.inbox("ab-horizon"), cid, "toewijzing_verlengd", "notification"), s.inbox("ab-horizon")
        # the old einddatum passes: still in care; the new one: expired
        s.clock("2028-01-03T09:00:00+01:00")
        assert s.get_case(cid, "pr-rotterdam")["status"] == "in_zorg"
        s.clock("2028-04-03T09:00:00+02:00")
        case = s.get_case(cid, "pr-rotterdam")
        assert case["status"] == "beeindigd" and "toewijzing_verlopen" in case["state"], case
        # extended after the expiry: in care again, until the new date (not one in the past)
        refused(s, cid, "pr-rotterdam", "toewijzing_verlengen", dict(ok, nieuwe_einddatum="2028-04-02"), 422,
                "guard_failed", "R-MON-9")
        refused(s, cid, "ab-horizon", "toewijzing_verlengen", dict(ok, nieuwe_einddatum="2028-06-30"), 403,
                "forbidden", "R-AUTH-1")
        case = s.fire(cid, "pr-rotterdam", "toewijzing_verlengen",
                      {"nieuwe_einddatum": "2028-06-30", "reden": "overdracht naar nieuwe aanbieder loopt"})
        assert case["status"] == "in_zorg" and "zorg_loopt" in case["state"], case
        assert "toewijzing_verlopen" not in case["flags"] and case["closed"] is False, case
        assert deadline(case, "einde_toewijzing")["due"] == "2028-06-30", case["deadlines"]
        assert deadline(case, "stop_zorg") is None, case["deadlines"]
        # the evaluation schedule is kept: the evaluation that fell due meanwhile is due today (R-MON-1)
        assert deadline(case, "evaluatie")["due"] == "2028-04-03", case["deadlines"]
        assert open_tasks(s, "ab-horizon", cid, "stop_zorg_melden") == []
        assert open_tasks(s, "pr-rotterdam", cid, "toewijzing_verlopen") == []


def test_r_mon_9_granted_verlenging_rearms_the_end():
    """R-MON-9 with R-MON-4: a verlenging the aanbieder asked for in its window and the procesregisseur granted
    moves the end of the toewijzing: the case stays in care past the old einddatum."""
    with server() as s:
        cid = rijnmond_in_zorg(s, einddatum="2027-06-30")
        s.clock("2027-04-14T09:00:00+02:00")  # 11 weeks before the einddatum
        s.fire(cid, "ab-horizon", "verlenging_aanvragen",
               {"product": "45A12", "reden": "doelen nog niet behaald", "aanpassing_behandelplan": "meer sessies",
                "nieuwe_einddatum": "2027-12-31"})
        case = s.fire(cid, "pr-rotterdam", "verlenging_toekennen", {"nieuwe_einddatum": "2027-12-31"})
        assert deadline(case, "einde_toewijzing")["due"] == "2027-12-31", case["deadlines"]
        s.clock("2027-07-01T09:00:00+02:00")
        assert s.get_case(cid, "pr-rotterdam")["status"] == "in_zorg"


def test_r_mon_9_start_reported_after_the_einddatum():
    """R-MON-9: a start reported after the einddatum records the start (within the toewijzing's period), but
    the toewijzing has ended: the case is expired, stop zorg is due; a start after the einddatum itself is
    refused."""
    with server() as s:
        cid = s.create_a()["id"]
        st, body = s.toewijzen(cid, begindatum="2027-01-04", einddatum="2027-01-15")
        assert st == 200, body
        s.clock("2027-01-18T09:00:00+01:00")
        refused(s, cid, "ab-horizon", "start_zorg", None, 422, "guard_failed", "R-MON-9")
        refused(s, cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-16"}, 422, "guard_failed", "R-MON-9")
        case = s.fire(cid, "ab-horizon", "start_zorg", {"startdatum": "2027-01-11"})
        assert case["status"] == "beeindigd" and "toewijzing_verlopen" in case["state"], case
        assert case["fields"]["startdatum"] == "2027-01-11" and case["closed"] is False, case
        one_task(s, "ab-horizon", cid, "stop_zorg_melden", "R-MON-9")
        assert open_tasks(s, "pr-rotterdam", cid, "start_zorg_termijn_verlopen") == []
        case = s.fire(cid, "ab-horizon", "zorg_afsluiten", {"einddatum_zorg": "2027-01-15"})
        assert case["closed"] is True and case["fields"]["reden_beeindiging"] == "31", case


# --- Alkmaar -----------------------------------------------------------------------------

ALK_JEUGDIGE = {"naam": "Jip Vredenburgh", "geboortedatum": "2014-02-11"}
ALK_TOEWIJZEN = {"aanbieder": HORIZON, "product": "45A01", "begindatum": "2027-04-01", "einddatum": "2027-06-30",
                 "ondersteuningsplan": "OP-2027-0042"}


def test_r_auth_3_alkmaar_casusregisseur_always_assigned():
    """R-AUTH-3 (ALK §4.1.3: "Binnen alle jeugdhulp wordt altijd een casusregisseur aangewezen"): a verzoek
    without a casusregisseur gives the lokaal toegangsteam a task to assign one (not every casusregisseur of the
    gemeente: neither does the start-zorg task); care does not start without one; the aanbieder, which provides
    the care, supplies it at the start; the task closes."""
    with alkmaar_server() as s:
        st, verzoek = s.create("ab-horizon", {
            "verwijzer": "huisarts", "gemeente": "alkmaar", "aanbieder": HORIZON, "jeugdige": ALK_JEUGDIGE,
            "product": {"code": "45A01", "begindatum": "2027-04-01", "einddatum": "2027-12-31"}})
        assert st == 201 and verzoek["chart"] == "jeugdhulp-alkmaar@2", verzoek
        cid = verzoek["id"]
        one_task(s, "pr-alkmaar", cid, "casusregisseur_aanwijzen", "R-AUTH-3")
        s.fire(cid, "pr-alkmaar", "toewijzing_toekennen")
        s.clock("2027-04-12T09:00:00+02:00")  # 5 working days passed without start zorg
        one_task(s, "pr-alkmaar", cid, "start_zorg_termijn_verlopen", "R-TW-2")
        for who in ("cr-alkmaar", "cr2-alkmaar"):
            assert tasks(s.inbox(who), cid) == [], (who, s.inbox(who))
        refused(s, cid, "ab-horizon", "start_zorg", None, 422, "guard_failed", "R-AUTH-3", viewer="pr-alkmaar")
        refused(s, cid, "ab-horizon", "start_zorg", {"casusregisseur": ""}, 422, "invalid_data", "R-AUTH-3",
                viewer="pr-alkmaar")
        st, _ = s.req("GET", "/v1/cases/" + cid, TOKEN["cr-horizon"])
        assert st == 404  # not yet the case's casusregisseur
        case = s.fire(cid, "ab-horizon", "start_zorg", {"casusregisseur": "cr-horizon"})
        assert case["status"] == "in_zorg" and case["fields"]["casusregisseur"] == "cr-horizon", case
        assert case["fields"]["casusregisseur_sinds"] == "2027-04-12", case["fields"]
        assert open_tasks(s, "pr-alkmaar", cid, "casusregisseur_aanwijzen") == []
        assert tasks(s.inbox("pr-alkmaar"), cid, "casusregisseur_gewijzigd", "notification")
        assert s.get_case(cid, "cr-horizon")["status"] == "in_zorg"  # the assigned one sees it
        # a case that has its casusregisseur: the aanbieder names no other one at the start
        st, c2 = s.create("pr-alkmaar", {"verwijzer": "gemeente", "gemeente": "alkmaar", "casusregisseur": "cr-alkmaar",
                                        "jeugdige": ALK_JEUGDIGE})
        assert st == 201 and open_tasks(s, "pr-alkmaar", c2["id"], "casusregisseur_aanwijzen") == [], c2
        s.fire(c2["id"], "pr-alkmaar", "toewijzen", dict(ALK_TOEWIJZEN, einddatum="2027-12-31"))
        refused(s, c2["id"], "ab-horizon", "start_zorg", {"casusregisseur": "cr-horizon"}, 422, "guard_failed",
                "R-TW-5", viewer="pr-alkmaar")
        assert s.fire(c2["id"], "ab-horizon", "start_zorg")["fields"]["casusregisseur"] == "cr-alkmaar"


def test_r_auth_3_alkmaar_only_the_assigned_casusregisseur_acts():
    """R-AUTH-3: only the case's own casusregisseur fires casusregisseur events (actor.id vs
    fields.casusregisseur, 422 R-AUTH-3 otherwise); colleagues of the gemeente see the case but do not act; on
    a case without one no casusregisseur acts. The assigned one at the aanbieder may open the ladder, but is no
    lokaal toegangsteam (R-ESC-9); once the gemeente's casusregisseur is assigned, it acts for the team and the
    previous one neither acts nor sees the case."""
    with alkmaar_server() as s:
        open_ = {"aanleiding": "complexe_situatie", "toelichting": "vastgelopen"}
        st, case = s.create("pr-alkmaar", {"verwijzer": "gemeente", "gemeente": "alkmaar", "jeugdige": ALK_JEUGDIGE})
        assert st == 201, case
        cid = case["id"]
        assert s.get_case(cid, "cr-alkmaar")["status"] == "aangemeld"  # a colleague sees it
        refused(s, cid, "cr-alkmaar", "escalatie_openen", open_, 422, "guard_failed", "R-AUTH-3", viewer="pr-alkmaar")
        s.fire(cid, "pr-alkmaar", "toewijzen", dict(ALK_TOEWIJZEN, einddatum="2027-12-31"))
        s.fire(cid, "ab-horizon", "start_zorg", {"casusregisseur": "cr-horizon"})
        refused(s, cid, "cr-alkmaar", "escalatie_openen", open_, 422, "guard_failed", "R-AUTH-3", viewer="pr-alkmaar")
        case = s.fire(cid, "cr-horizon", "escalatie_openen", open_)
        assert "bij_verwijzer" in case["state"] and case["fields"]["escalatie"]["geopend_door"] == "casusregisseur"
        refused(s, cid, "cr-horizon", "intern_bespreken", {"verslag": "x"}, 422, "guard_failed", "R-ESC-9",
                viewer="pr-alkmaar")
        refused(s, cid, "cr-alkmaar", "intern_bespreken", {"verslag": "x"}, 422, "guard_failed", "R-AUTH-3",
                viewer="pr-alkmaar")
        s.fire(cid, "pr-alkmaar", "intern_bespreken", {"verslag": "geen passend antwoord"})
        # the lokaal toegangsteam takes over the casusregie: cr-alkmaar acts, the others do not
        s.fire(cid, "pr-alkmaar", "casusregisseur_wijzigen", {"casusregisseur": "cr-alkmaar"})
        regionaal = {"verslag": "ook regionaal niet", "anoniem": True}
        refused(s, cid, "cr2-alkmaar", "regionaal_bespreken", regionaal, 422, "guard_failed", "R-AUTH-3",
                viewer="pr-alkmaar")
        st, body = s.event(cid, "cr-horizon", "regionaal_bespreken", regionaal)
        assert_error(st, body, 404, code="not_found")  # no longer the case's: it does not see it
        case = s.fire(cid, "cr-alkmaar", "regionaal_bespreken", regionaal)
        assert "regionaal_besproken" in case["state"], case["state"]
        refused(s, cid, "cr2-alkmaar", "overeenstemming_bereiken", {}, 422, "guard_failed", "R-AUTH-3",
                viewer="pr-alkmaar")
        case = s.fire(cid, "cr-alkmaar", "overeenstemming_bereiken", {"afspraken": "passende hulp gevonden"})
        assert "geen_escalatie" in case["state"], case["state"]
        events = [(e["event"], e["actor"]) for e in s.history(cid, "pr-alkmaar") if e["role"] == "casusregisseur"]
        assert events == [("escalatie_openen", "cr-horizon"), ("regionaal_bespreken", "cr-alkmaar"),
                          ("overeenstemming_bereiken", "cr-alkmaar")], events


def test_r_mon_9_alkmaar_toewijzing_ends_and_is_extended():
    """R-MON-9 on the Alkmaar chart: the day after the einddatum the case leaves care (toewijzing_verlopen, stop
    zorg due); the aanbieder's pending aanvraag cannot be granted on it (422 R-MON-9); the lokaal toegangsteam's
    procesregisseur extends it (ALK §2.3.2: a verlenging "terwijl de einddatum van de toewijzing is bereikt"),
    only it (403 for others); expired again, stop zorg records JZ588 31 and closes the case."""
    with alkmaar_server() as s:
        st, case = s.create("pr-alkmaar", {"verwijzer": "gemeente", "gemeente": "alkmaar", "casusregisseur": "cr-alkmaar",
                                          "jeugdige": ALK_JEUGDIGE})
        cid = case["id"]
        s.fire(cid, "pr-alkmaar", "toewijzen", ALK_TOEWIJZEN)
        s.fire(cid, "ab-horizon", "start_zorg")
        s.clock("2027-04-08T09:00:00+02:00")  # 12 weeks before 30 June
        s.fire(cid, "ab-horizon", "verlenging_aanvragen", {
            "product": "45A01", "reden": "doelen nog niet behaald", "aanpassing_behandelplan": "meer sessies",
            "nieuwe_einddatum": "2027-09-30", "toestemming_ouders_gevraagd": True, "toestemming_ouders": True})
        s.clock("2027-07-01T09:00:00+02:00")
        case = s.get_case(cid, "pr-alkmaar")
        assert case["status"] == "beeindigd" and "toewijzing_verlopen" in case["state"], case
        assert "verlenging_aangevraagd" in case["state"] and case["closed"] is False, case
        one_task(s, "ab-horizon", cid, "stop_zorg_melden", "R-MON-9")
        one_task(s, "pr-alkmaar", cid, "toewijzing_verlopen", "R-MON-9")
        refused(s, cid, "pr-alkmaar", "verlenging_toekennen", {}, 422, "guard_failed", "R-MON-9", viewer="pr-alkmaar")
        for who in ("ab-horizon", "cr-alkmaar"):
            refused(s, cid, who, "toewijzing_verlengen", {"nieuwe_einddatum": "2027-09-30", "reden": "x"}, 403,
                    "forbidden", "R-AUTH-1", viewer="pr-alkmaar")
        refused(s, cid, "pr-alkmaar", "toewijzing_verlengen", {"nieuwe_einddatum": "2027-06-30", "reden": "x"}, 422,
                "guard_failed", "R-MON-9", viewer="pr-alkmaar")
        case = s.fire(cid, "pr-alkmaar", "toewijzing_verlengen",
                      {"nieuwe_einddatum": "2027-09-30", "reden": "evaluatieformulier te laat beoordeeld"})
        assert case["status"] == "in_zorg" and deadline(case, "einde_toewijzing")["due"] == "2027-09-30", case
        s.fire(cid, "pr-alkmaar", "verlenging_afwijzen", {"reden": "al verlengd door de toegang"})
        s.clock("2027-10-01T09:00:00+02:00")
        assert s.get_case(cid, "pr-alkmaar")["status"] == "beeindigd"
        case = s.fire(cid, "ab-horizon", "zorg_afsluiten", {})
        assert case["closed"] is True and case["fields"]["reden_beeindiging"] == "31", case
        assert case["fields"]["einddatum_zorg"] == "2027-09-30", case["fields"]


if __name__ == "__main__":
    run(globals())
