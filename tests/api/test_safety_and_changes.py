"""HTTP API tests (chart jeugdhulp-rijnmond): safety (R-SAFE-1), the procesregisseur's aanpassing of the
toewijzing (R-MON-10) and the arrangement's limits (R-MON-8), on a real server.

R-SAFE-1 (DOMAIN 4.2): a risicotaxatie is recorded before or at the start (routes A and C); a Meldcode
melding and a calamiteit are events with their own tasks, and the casusregisseur and procesregisseur are
told at once (their inboxes); a handover while a safety risk is recorded is warm (the receiving aanbieder
confirms). Route C: when the crisis team takes over, the aanbieder sends stop zorg.

R-MON-10 (DOMAIN 4.2): the procesregisseur starts an aanpassing, op- or afschaling of the toewijzing, with a
JZ002 reason; other roles get 403, a missing reason 422.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, Server, assert_error, deadline, run, tasks  # noqa: E402

MON = "2027-01-04T09:00:00+01:00"  # Monday 4 January 2027


def refused(s, cid, who, event, data, status, code, rule=None):
    """An event that must be refused and change nothing."""
    before = s.get_case(cid, "pr-rotterdam")
    st, body = s.event(cid, who, event, data)
    assert_error(st, body, status, code=code, rule=rule)
    assert s.get_case(cid, "pr-rotterdam") == before, "%s by %s changed the case" % (event, who)


def open_items(s, who, cid, kind, type_):
    return [i for i in tasks(s.inbox(who), cid, kind, type_) if i.get("open", True)]


def test_r_safe_1_risicotaxatie_meldcode_calamiteit_warm_handover():
    """R-SAFE-1: start refused without a risicotaxatie (route A), then a risk makes the handover warm; a
    Meldcode melding and a calamiteit reach the casusregisseur and procesregisseur as tasks at once."""
    with Server(now=MON) as s:
        cid = s.create_a(casusregisseur="cr-rotterdam")["id"]
        st, _ = s.toewijzen(cid, risicotaxatie=None)
        assert st == 200
        refused(s, cid, "ab-horizon", "start_zorg", None, 422, "guard_failed", "R-SAFE-1")
        refused(s, cid, "cr2-rotterdam", "risicotaxatie_vastleggen", {"uitkomst": "risico"}, 422, "guard_failed",
                "R-AUTH-3")
        case = s.fire(cid, "cr-rotterdam", "risicotaxatie_vastleggen", {"uitkomst": "risico", "toelichting": "zorgen"})
        assert "veiligheidsrisico" in case["flags"], case["flags"]
        refused(s, cid, "ab-horizon", "start_zorg", None, 422, "guard_failed", "R-SAFE-1")
        case = s.fire(cid, "ab-horizon", "start_zorg", {"warme_overdracht_bevestigd": True})
        assert case["status"] == "in_zorg", case
        refused(s, cid, "ab-horizon", "meldcode_melding_doen", {"gemeld_bij": "politie", "toelichting": "x"}, 422,
                "invalid_data", "R-SAFE-1")
        s.fire(cid, "ab-horizon", "meldcode_melding_doen", {"gemeld_bij": "veilig_thuis", "toelichting": "signalen"})
        s.fire(cid, "ab-horizon", "calamiteit_melden", {"toelichting": "ernstig incident"})
        for who in ("cr-rotterdam", "pr-rotterdam"):
            for kind in ("meldcode_melding", "calamiteit"):
                found = open_items(s, who, cid, kind, "task")
                assert len(found) == 1 and found[0]["rule"] == "R-SAFE-1", (who, kind, s.inbox(who))
        assert open_items(s, "cr2-rotterdam", cid, "meldcode_melding", "task") == []
        s.fire(cid, "cr-rotterdam", "veiligheidsmelding_afhandelen", {"afspraken": "veiligheidsplan"})
        for who in ("cr-rotterdam", "pr-rotterdam"):
            assert open_items(s, who, cid, "meldcode_melding", "task") == [], s.inbox(who)


def test_r_safe_1_route_c_crisis_stop_zorg():
    """R-SAFE-1, route C: the crisis team takes over, the aanbieder gets a task to send stop zorg (JZ588 20);
    the crisis is not closed without it."""
    with Server(now=MON) as s:
        cid = s.create_a(verwijzer="gi", casusregisseur="cr-rotterdam")["id"]
        s.toewijzen(cid)
        s.fire(cid, "ab-horizon", "start_zorg")
        s.fire(cid, "ab-horizon", "crisis_melden", {"toelichting": "CIT ingeschakeld"})
        assert len(open_items(s, "ab-horizon", cid, "stop_zorg_na_crisis", "task")) == 1, s.inbox("ab-horizon")
        refused(s, cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "v", "overdracht": "o"}, 422, "guard_failed",
                "R-SAFE-1")
        case = s.fire(cid, "ab-horizon", "stop_zorg_na_crisis_melden", {})
        assert case["fields"]["crisis"]["stop_zorg"]["reden_beeindiging"] == "20", case["fields"]
        assert open_items(s, "ab-horizon", cid, "stop_zorg_na_crisis", "task") == []
        case = s.fire(cid, "ab-horizon", "crisis_afronden", {"vervolgplan": "v", "overdracht": "o"})
        assert case["status"] == "in_zorg", case


def test_r_mon_10_aanpassing_by_the_procesregisseur_and_r_mon_8():
    """R-MON-10: the procesregisseur adjusts the toewijzing with a JZ002 reason (others 403; no reason 422);
    R-MON-8: the arrangement's maximum (crisishulp 6 weeks) holds for it too."""
    with Server(now=MON) as s:
        cid = s.create_a(casusregisseur="cr-rotterdam")["id"]
        s.toewijzen(cid)
        s.fire(cid, "ab-horizon", "start_zorg")
        data = {"soort": "afschaling", "reden_wijziging": "04", "einddatum": "2027-06-30"}
        for who in ("ab-horizon", "cr-rotterdam"):
            refused(s, cid, who, "toewijzing_aanpassen", data, 403, "forbidden", "R-AUTH-1")
        refused(s, cid, "pr-rotterdam", "toewijzing_aanpassen", {"soort": "afschaling", "einddatum": "2027-06-30"},
                422, "invalid_data", "R-MON-10")
        refused(s, cid, "pr-rotterdam", "toewijzing_aanpassen",
                {"soort": "opschaling", "reden_wijziging": "03", "arrangement": "crisishulp_ambulant"}, 422,
                "guard_failed", "R-MON-8")
        case = s.fire(cid, "pr-rotterdam", "toewijzing_aanpassen", data)
        assert case["fields"]["product"]["einddatum"] == "2027-06-30", case["fields"]
        assert case["fields"]["toewijzing_aanpassing"]["reden_wijziging"] == "04", case["fields"]
        assert deadline(case, "einde_toewijzing")["due"] == "2027-06-30", case["deadlines"]
        assert len(tasks(s.inbox("ab-horizon"), cid, "toewijzing_aangepast", "notification")) == 1
        last = s.history(cid, "pr-rotterdam")[-1]
        assert (last["event"], last["rule"]) == ("toewijzing_aanpassen", "R-MON-10"), last


if __name__ == "__main__":
    run(globals())
