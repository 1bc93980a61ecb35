"""HTTP API tests: a Westfriesland case on its own chart (jeugdhulp-westfriesland, WF: the Westfriese
leidraad regievoering), with a region `westfriesland` of gemeente hoorn.

Whether the lokale (wijk)team carries regie follows WF §4.2.2's table (the chart's table regievoering):
every row is assigned once (R-WF-1); where the table says "afhankelijk" the procesregisseur decides
(R-WF-2); a regisseur can be linked anyway (R-WF-3); with regie the casusregisseur draws up the
perspectiefplan (R-WF-4) and the evaluation schedule runs (R-WF-3, R-MON-1); external and GI referrals
(R-WF-5, WF §4.2.4); the aanbieder's input to evaluations with consent (R-WF-6) and segment C's
budget report (R-WF-7, WF §4.2.5).  The arrangement limits come from catalogs/westfriesland.json (ARR's,
WF names none): R-MON-8 and R-ARR-3 at toewijzen, wijziging and verlenging.
"""
import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, TOKEN, Server, assert_error, deadline, make_config, run, tasks  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"

EXTRA = [("pr-hoorn", "procesregisseur", "hoorn"), ("cr-hoorn", "casusregisseur", "hoorn"),
         ("cr2-hoorn", "casusregisseur", "hoorn"), ("cm-westfriesland", "contractmanager", "westfriesland")]
TOKEN.update({aid: "tok-%s-%s" % (aid, hashlib.sha256(aid.encode()).hexdigest()[:12]) for aid, _, _ in EXTRA})

# WF §4.2.2 row by row: (segment, onderdeel, regie_verplicht on the lokale team's own referral; None:
# "afhankelijk", the procesregisseur decides).
TABLE = [("B", "profiel_%d" % i, False) for i in range(1, 5)] + \
        [("B", "profiel_%d" % i, None) for i in range(5, 8)] + \
        [("B", "profiel_8", True), ("B", "dagbesteding", None), ("B", "medicatiecontrole", False),
         ("V", "pleegzorg", False), ("V", "gezinshuis", False), ("V", "verblijf_zonder_behandeling", True),
         ("V", "verblijf_met_behandeling", True), ("V", "logeren", False), ("V", "crisisverblijf", True),
         ("C", "hoog_specialistisch", True), ("C", "hoog_specialistisch_forensisch", True),
         ("C", "dagbesteding", True), ("C", "dagbehandeling", True), ("C", "medicatiecontrole", False),
         ("C", "ambulante_crisishulp", True)]


def wf_config():
    cfg = make_config(T0)
    cfg["regions"]["westfriesland"] = {"chart": "jeugdhulp-westfriesland", "gemeenten": ["hoorn"]}
    cfg["actors"] += [{"id": aid, "role": role, "org": org,
                       "token_sha256": hashlib.sha256(TOKEN[aid].encode()).hexdigest()} for aid, role, org in EXTRA]
    return cfg


def wf_server():
    return Server(config=wf_config())


def aanmelden(s, verwijzer="gemeente", **extra):
    body = {"verwijzer": verwijzer, "gemeente": "hoorn", "toestemming_gegevensdeling": True,
            "jeugdige": {"naam": "Femke Schouten", "geboortedatum": "2013-09-12"}}
    body.update(extra)
    st, case = s.create("pr-hoorn", body)
    assert st == 201, (st, case)
    return case["id"]


# The crisis onderdelen are assigned as ARR's crisis arrangements, at most 6 weeks (R-MON-8).
CRISIS = {"ambulante_crisishulp": "crisishulp_ambulant", "crisisverblijf": "crisishulp_verblijf"}


def toewijzing(segment, onderdeel, **extra):
    d = {"aanbieder": HORIZON, "product": "45A01", "begindatum": "2027-04-01", "einddatum": "2027-12-31",
         "ondersteuningsplan": "PP-2027-0007", "segment": segment, "onderdeel": onderdeel}
    if onderdeel in CRISIS:
        d.update(arrangement=CRISIS[onderdeel], einddatum="2027-05-12")
    d.update(extra)
    return d


def refused(s, cid, who, event, data, status, code, rule=None):
    before = s.get_case(cid, "pr-hoorn")
    st, body = s.event(cid, who, event, data)
    assert_error(st, body, status, code=code, rule=rule)
    after = s.get_case(cid, "pr-hoorn")
    assert after["version"] == before["version"] and after["fields"] == before["fields"], (event, who)


def open_tasks(s, who, cid, kind):
    return [i for i in tasks(s.inbox(who), cid, kind) if i.get("type") == "task" and i.get("open", True)]


def case_in_zorg(s, segment, onderdeel, verwijzer="gemeente", **extra):
    cid = aanmelden(s, verwijzer)
    s.fire(cid, "pr-hoorn", "toewijzen", toewijzing(segment, onderdeel, **extra))
    case = s.fire(cid, "ab-horizon", "start_zorg")
    assert case["status"] == "in_zorg", case
    return cid, case


def test_table_rows():
    """R-WF-1 (WF §4.2.1, §4.2.2): every row of the table, on the lokale team's own referral: ja gives
    regie_verplicht true (and a regisseur is required, R-WF-3), nee false, afhankelijk none yet and a
    task for the procesregisseur (R-WF-2)."""
    with wf_server() as s:
        for segment, onderdeel, want in TABLE:
            cid = aanmelden(s)
            extra = {"casusregisseur": "cr-hoorn"} if want else {}
            case = s.fire(cid, "pr-hoorn", "toewijzen", toewijzing(segment, onderdeel, **extra))
            f = case["fields"]
            assert (f["segment"], f["onderdeel"]) == (segment, onderdeel), f
            if want is None:
                assert "regie_verplicht" not in f and f["regie"] is False, (segment, onderdeel, f)
                assert len(open_tasks(s, "pr-hoorn", cid, "regie_bepalen")) == 1, (segment, onderdeel)
            else:
                assert f["regie_verplicht"] is want and f["regie"] is want, (segment, onderdeel, f)
                assert not open_tasks(s, "pr-hoorn", cid, "regie_bepalen"), (segment, onderdeel)
            assert bool(open_tasks(s, "cr-hoorn", cid, "perspectiefplan_opstellen")) is bool(want), (segment, onderdeel)


def test_impossible_combinations():
    """R-WF-1: an onderdeel outside its segment (WF §4.2.1) is 422 with the rule id; R-WF-3: a
    toewijzing that gives regie needs a regisseur."""
    with wf_server() as s:
        cid = aanmelden(s)
        for segment, onderdeel in [("B", "pleegzorg"), ("V", "profiel_1"), ("C", "profiel_8"), ("V", "dagbesteding"),
                                   ("B", "hoog_specialistisch"), ("C", "crisisverblijf"), ("V", "ambulante_crisishulp")]:
            refused(s, cid, "pr-hoorn", "toewijzen", toewijzing(segment, onderdeel, casusregisseur="cr-hoorn"),
                    422, None, "R-WF-1")
        refused(s, cid, "pr-hoorn", "toewijzen", toewijzing("A", "profiel_1"), 422, "invalid_data", "R-WF-1")
        refused(s, cid, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_9"), 422, "invalid_data", "R-WF-1")
        refused(s, cid, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_8"), 422, None, "R-WF-3")


def test_afhankelijk_decision():
    """R-WF-2 (WF §4.2.2): profiel 5-7 and segment B dagbesteding: the procesregisseur decides, with a
    toelichting; only there, only once, and only the procesregisseur (R-AUTH-1)."""
    with wf_server() as s:
        cid = aanmelden(s)
        s.fire(cid, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_6"))
        besluit = {"regie_verplicht": True, "toelichting": "meervoudige problematiek, ook schulden", "casusregisseur": "cr-hoorn"}
        refused(s, cid, "ab-horizon", "regie_bepalen", besluit, 403, None)
        refused(s, cid, "pr-hoorn", "regie_bepalen", {"regie_verplicht": True}, 422, "invalid_data", "R-WF-2")
        refused(s, cid, "pr-hoorn", "regie_bepalen", {"regie_verplicht": True, "toelichting": "complex"}, 422, None, "R-WF-3")
        case = s.fire(cid, "pr-hoorn", "regie_bepalen", besluit)
        f = case["fields"]
        assert f["regie_verplicht"] is True and f["regie"] is True and f["casusregisseur"] == "cr-hoorn", f
        assert f["regie_besluit"]["toelichting"] == besluit["toelichting"], f
        assert not open_tasks(s, "pr-hoorn", cid, "regie_bepalen")
        assert len(open_tasks(s, "cr-hoorn", cid, "perspectiefplan_opstellen")) == 1
        refused(s, cid, "pr-hoorn", "regie_bepalen", besluit, 422, None, "R-WF-2")
        # dagbesteding in segment B: not (fully) at school? the procesregisseur says no regie.
        cid2 = aanmelden(s)
        s.fire(cid2, "pr-hoorn", "toewijzen", toewijzing("B", "dagbesteding"))
        case = s.fire(cid2, "pr-hoorn", "regie_bepalen", {"regie_verplicht": False, "toelichting": "gaat volledig naar school"})
        assert case["fields"]["regie_verplicht"] is False and case["fields"]["regie"] is False, case["fields"]
        assert not open_tasks(s, "pr-hoorn", cid2, "regie_bepalen")
        # where the table decides, nobody overrides it with regie_bepalen
        cid3 = aanmelden(s)
        s.fire(cid3, "pr-hoorn", "toewijzen", toewijzing("V", "pleegzorg"))
        refused(s, cid3, "pr-hoorn", "regie_bepalen", besluit, 422, None, "R-WF-2")


def test_perspectiefplan():
    """R-WF-4 (WF §4, §4.2.3): with regie the casusregisseur has a task to draw up the perspectiefplan;
    only the assigned one records it (R-AUTH-3); without regie there is none to record."""
    with wf_server() as s:
        cid = aanmelden(s)
        s.fire(cid, "pr-hoorn", "toewijzen", toewijzing("V", "verblijf_met_behandeling", casusregisseur="cr-hoorn"))
        assert len(open_tasks(s, "cr-hoorn", cid, "perspectiefplan_opstellen")) == 1
        plan = {"datum": "2027-04-01", "referentie": "PP-HRN-12", "resultaten": "weer naar school"}
        refused(s, cid, "cr2-hoorn", "perspectiefplan_vastleggen", plan, 422, None, "R-AUTH-3")
        refused(s, cid, "cr-hoorn", "perspectiefplan_vastleggen", dict(plan, datum="2027-05-01"), 422, None, "R-WF-4")
        case = s.fire(cid, "cr-hoorn", "perspectiefplan_vastleggen", plan)
        assert case["fields"]["perspectiefplan"] == {"datum": "2027-04-01", "referentie": "PP-HRN-12"}, case["fields"]
        assert not open_tasks(s, "cr-hoorn", cid, "perspectiefplan_opstellen")
        cid2 = aanmelden(s, casusregisseur="cr-hoorn")
        s.fire(cid2, "pr-hoorn", "toewijzen", toewijzing("V", "logeren"))
        assert not open_tasks(s, "cr-hoorn", cid2, "perspectiefplan_opstellen")
        refused(s, cid2, "cr-hoorn", "perspectiefplan_vastleggen", plan, 422, None, "R-WF-4")


def test_evaluation_schedule_with_and_without_regie():
    """R-WF-3, R-MON-1 (WF §4.2.2, §4.2.3): with regie the evaluation schedule runs from the start of
    care (first tussenevaluatie 3 months after the start, end evaluation 8 weeks before the einddatum);
    without regie there is none, unless the gemeente links a regisseur anyway."""
    with wf_server() as s:
        cid, case = case_in_zorg(s, "C", "hoog_specialistisch", casusregisseur="cr-hoorn")
        assert case["fields"]["volgende_evaluatie"] == "2027-07-01", case["fields"]
        assert deadline(case, "evaluatie") and deadline(case, "eindevaluatie"), case["deadlines"]
        cid2, case2 = case_in_zorg(s, "B", "profiel_2")
        assert "volgende_evaluatie" not in case2["fields"], case2["fields"]
        assert not deadline(case2, "evaluatie") and not deadline(case2, "eindevaluatie"), case2["deadlines"]
        s.fire(cid2, "pr-hoorn", "casusregisseur_wijzigen", {"casusregisseur": "cr-hoorn"})
        refused(s, cid2, "cr-hoorn", "evaluatie_vastleggen", {"datum": "2027-04-01", "uitkomst": "ongewijzigd"}, 409, None)
        refused(s, cid2, "ab-horizon", "regisseur_koppelen", {"toelichting": "x"}, 403, None)
        s.clock("2027-05-03T09:00:00+02:00")
        case2 = s.fire(cid2, "pr-hoorn", "regisseur_koppelen", {"toelichting": "de complexiteit neemt toe (WF §4.2.2)"})
        f = case2["fields"]
        assert f["regie"] is True and f["regisseur_gekoppeld"] is True and f["regie_verplicht"] is False, f
        assert f["volgende_evaluatie"] == "2027-08-03", f
        assert deadline(case2, "evaluatie") and deadline(case2, "eindevaluatie"), case2["deadlines"]
        assert len(open_tasks(s, "cr-hoorn", cid2, "perspectiefplan_opstellen")) == 1
        refused(s, cid2, "pr-hoorn", "regisseur_koppelen", {"toelichting": "nog eens"}, 422, None, "R-WF-3")
        s.fire(cid2, "cr-hoorn", "evaluatie_vastleggen", {"datum": "2027-05-03", "uitkomst": "ongewijzigd"})


def test_external_referrals():
    """R-WF-5 (WF §4.2.4): after a referral by a medisch specialist, huisarts or jeugdarts the lokale team
    carries regie for segment B profiel 8, segment V verblijf and crisisverblijf and segment C; for the
    rest regie is optional: none, no decision task, but the gezin and aanbieder may ask for a regisseur."""
    with wf_server() as s:
        for verwijzer, segment, onderdeel, want in [("huisarts", "B", "profiel_8", True), ("jeugdarts", "V", "crisisverblijf", True),
                                                    ("medisch_specialist", "C", "medicatiecontrole", True),
                                                    ("medisch_specialist", "V", "verblijf_zonder_behandeling", True),
                                                    ("huisarts", "B", "profiel_6", False), ("jeugdarts", "V", "pleegzorg", False),
                                                    ("huisarts", "B", "dagbesteding", False)]:
            cid = aanmelden(s, verwijzer)
            extra = {"casusregisseur": "cr-hoorn"} if want else {}
            f = s.fire(cid, "pr-hoorn", "toewijzen", toewijzing(segment, onderdeel, **extra))["fields"]
            assert f["route"] == "externe_verwijzing" and f["regie_verplicht"] is want and f["regie"] is want, (verwijzer, onderdeel, f)
            assert not open_tasks(s, "pr-hoorn", cid, "regie_bepalen"), (verwijzer, onderdeel)
            if not want:
                refused(s, cid, "pr-hoorn", "regie_bepalen", {"regie_verplicht": True, "toelichting": "x", "casusregisseur": "cr-hoorn"},
                        422, None, "R-WF-2")
                f = s.fire(cid, "pr-hoorn", "regisseur_koppelen", {"casusregisseur": "cr-hoorn", "toelichting": "aanmelding door gezin en aanbieder"})["fields"]
                assert f["regie"] is True and f["regie_bij"] == "lokaal_team", f


def test_gi_referral():
    """R-WF-5 (WF §4.2.4, Jeugdwet): after a referral by a GI the regie lies with the GI; the lokale team
    is told to align with it, takes no regie and links no regisseur."""
    with wf_server() as s:
        cid = aanmelden(s, "gi")
        note = tasks(s.inbox("pr-hoorn"), cid, "gi_verwijzing")
        assert len(note) == 1 and note[0]["rule"] == "R-WF-5", note
        f = s.fire(cid, "pr-hoorn", "toewijzen", toewijzing("V", "verblijf_met_behandeling"))["fields"]
        assert f["route"] == "gi" and f["regie_bij"] == "gi" and f["regie_verplicht"] is False and f["regie"] is False, f
        assert not open_tasks(s, "pr-hoorn", cid, "regie_bepalen")
        refused(s, cid, "pr-hoorn", "regisseur_koppelen", {"casusregisseur": "cr-hoorn", "toelichting": "x"}, 422, None, "R-WF-5")
        case = s.fire(cid, "ab-horizon", "start_zorg")
        assert not deadline(case, "evaluatie"), case["deadlines"]


def test_aanbieder_input_with_consent():
    """R-WF-6 (WF §4.2.5): at evaluations the aanbieder gives input to the procesregisseur only after the
    client's consent; without an evaluation schedule (no regie) there is nothing to give input to."""
    with wf_server() as s:
        cid, _ = case_in_zorg(s, "B", "profiel_8", casusregisseur="cr-hoorn")
        inp = {"datum": "2027-04-01", "input": "de doelen uit het perspectiefplan lopen op schema"}
        refused(s, cid, "ab-horizon", "evaluatie_input_leveren", inp, 422, None, "R-WF-6")
        s.fire(cid, "cr-hoorn", "toestemming_evaluatie_input_vastleggen", {"toestemming": False})
        refused(s, cid, "ab-horizon", "evaluatie_input_leveren", inp, 422, None, "R-WF-6")
        refused(s, cid, "cr2-hoorn", "toestemming_evaluatie_input_vastleggen", {"toestemming": True}, 422, None, "R-AUTH-3")
        s.fire(cid, "cr-hoorn", "toestemming_evaluatie_input_vastleggen", {"toestemming": True})
        case = s.fire(cid, "ab-horizon", "evaluatie_input_leveren", inp)
        assert case["fields"]["evaluatie_input_laatst"] == "2027-04-01", case["fields"]
        note = tasks(s.inbox("pr-hoorn"), cid, "evaluatie_input")
        assert len(note) == 1 and note[0]["rule"] == "R-WF-6", note
        cid2, _ = case_in_zorg(s, "B", "profiel_1")
        s.fire(cid2, "pr-hoorn", "toestemming_evaluatie_input_vastleggen", {"toestemming": True})
        refused(s, cid2, "ab-horizon", "evaluatie_input_leveren", inp, 422, None, "R-MON-1")


def test_budget_shortfall_segment_c():
    """R-WF-7 (WF §4.2.5): a segment C aanbieder whose toewijzing's budget falls short tells the
    procesregisseur in time, in agreement with the gezin: a task; the procesregisseur's answer closes
    it. Not in segments B and V."""
    with wf_server() as s:
        cid, _ = case_in_zorg(s, "C", "dagbehandeling", casusregisseur="cr-hoorn")
        melding = {"afgestemd_met_gezin": True, "toelichting": "de hulpvraag vraagt meer dagdelen dan het budget dekt"}
        refused(s, cid, "ab-horizon", "budget_ontoereikend_melden", dict(melding, afgestemd_met_gezin=False), 422, None, "R-WF-7")
        refused(s, cid, "pr-hoorn", "budget_ontoereikend_melden", melding, 403, None)
        case = s.fire(cid, "ab-horizon", "budget_ontoereikend_melden", melding)
        assert "budget_ontoereikend" in case["flags"], case
        t = open_tasks(s, "pr-hoorn", cid, "budget_ontoereikend")
        assert len(t) == 1 and t[0]["rule"] == "R-WF-7", t
        refused(s, cid, "ab-horizon", "budget_ontoereikend_melden", melding, 422, None, "R-WF-7")
        case = s.fire(cid, "pr-hoorn", "budget_melding_afhandelen", {"besluit": "evaluatiegesprek"})
        assert "budget_ontoereikend" not in case["flags"] and case["fields"]["budget_melding"]["besluit"] == "evaluatiegesprek"
        assert not open_tasks(s, "pr-hoorn", cid, "budget_ontoereikend")
        cid2, _ = case_in_zorg(s, "V", "verblijf_met_behandeling", casusregisseur="cr-hoorn")
        refused(s, cid2, "ab-horizon", "budget_ontoereikend_melden", melding, 422, None, "R-WF-7")


def test_verlenging_keeps_the_schedule():
    """R-WF-3, R-MON-9 (WF §4.2.5: a verlenging on the lokale toegang's decision): an expired toewijzing
    extended by the procesregisseur returns to care with its evaluation schedule when the case has
    regie, and without one when it has none."""
    with wf_server() as s:
        cid, _ = case_in_zorg(s, "V", "verblijf_met_behandeling", casusregisseur="cr-hoorn")
        cid2, _ = case_in_zorg(s, "V", "gezinshuis")
        s.clock("2028-01-02T09:00:00+01:00")
        for c, regie in ((cid, True), (cid2, False)):
            case = s.get_case(c, "pr-hoorn")
            assert case["status"] == "beeindigd" and "toewijzing_verlopen" in case["flags"], case
            case = s.fire(c, "pr-hoorn", "toewijzing_verlengen", {"nieuwe_einddatum": "2028-06-30", "reden": "doelen nog niet bereikt"})
            assert case["status"] == "in_zorg", case
            assert bool(deadline(case, "eindevaluatie")) is regie, (regie, case["deadlines"])


def test_catalogue_westfriesland():
    """R-MON-8, R-ARR-3 (catalogs/westfriesland.json; WF names no limits, so ARR's): the chart names the
    catalogue; crisishulp lasts at most 6 weeks and behandeling start 10 contacts, at toewijzen,
    wijziging and verlenging; the arrangement regie is refused after a GI referral (WF §4.2.4: the regie
    lies with the GI) and accepted on the lokale team's own referral."""
    with wf_server() as s:
        st, chart = s.req("GET", "/v1/statecharts/jeugdhulp-westfriesland", TOKEN["pr-hoorn"])
        assert st == 200 and chart["catalog"] == "westfriesland", chart.get("catalog")
        arr = chart["tables"]["arrangementen"]
        assert arr["crisishulp_ambulant"]["maximale_duur"] == {"weeks": 6}, arr["crisishulp_ambulant"]
        assert arr["regie"]["inzet_door"] == ["procesregisseur"] and arr["regie"]["niet_bij_gi"] is True
        cid = aanmelden(s)
        crisis = toewijzing("C", "ambulante_crisishulp", casusregisseur="cr-hoorn", arrangement="crisishulp_ambulant")
        # WF's crisis onderdelen are ARR's crisis arrangements: without it, or as another, refused (R-MON-8)
        no_arr = toewijzing("C", "ambulante_crisishulp", casusregisseur="cr-hoorn")
        del no_arr["arrangement"]
        refused(s, cid, "pr-hoorn", "toewijzen", no_arr, 422, "guard_failed", "R-MON-8")
        refused(s, cid, "pr-hoorn", "toewijzen", toewijzing("V", "crisisverblijf", casusregisseur="cr-hoorn",
                                                             arrangement="begeleiding_individueel"),
                422, "guard_failed", "R-MON-8")
        refused(s, cid, "pr-hoorn", "toewijzen", dict(crisis, einddatum="2027-05-13"), 422, "guard_failed", "R-MON-8")
        refused(s, cid, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_1", arrangement="behandeling_start",
                                                             aantal_contacten=11), 422, "guard_failed", "R-MON-8")
        s.fire(cid, "pr-hoorn", "toewijzen", dict(crisis, einddatum="2027-05-12"))
        s.fire(cid, "ab-horizon", "start_zorg")
        refused(s, cid, "pr-hoorn", "toewijzing_verlengen", {"nieuwe_einddatum": "2027-06-30", "reden": "nog onrustig"},
                422, "guard_failed", "R-MON-8")
        refused(s, cid, "pr-hoorn", "toewijzing_aanpassen", {"soort": "aanpassing", "reden_wijziging": "02",
                                                              "arrangement": "behandeling_start", "aantal_contacten": 12},
                422, "guard_failed", "R-MON-8")
        gi = aanmelden(s, "gi")
        refused(s, gi, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_1", arrangement="regie"), 422, "guard_failed",
                "R-ARR-3")
        s.fire(gi, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_1", arrangement="begeleiding_individueel"))
        s.fire(gi, "ab-horizon", "start_zorg")
        refused(s, gi, "pr-hoorn", "toewijzing_aanpassen", {"soort": "aanpassing", "reden_wijziging": "02",
                                                             "arrangement": "regie"}, 422, "guard_failed", "R-ARR-3")
        own = aanmelden(s)
        case = s.fire(own, "pr-hoorn", "toewijzen", toewijzing("B", "profiel_1", arrangement="regie"))
        assert case["fields"]["product"]["arrangement"] == "regie", case["fields"]["product"]


GESPREK = {"verslag": "verslag", "afspraken": "op tijd komen", "ouders_aanwezig": True}
FORMULIER = {"ondertekend_door": "M. de Manager",
             "bijlagen": {"gespreksverslagen": ["verslag-1", "verslag-2"], "afspraken": "op tijd komen",
                          "eerste_waarschuwing": "dossier/w-1", "tweede_waarschuwing": "dossier/w-2"}}
OVERWEGINGEN = {"overwegingen": {"a_gedrag_door_aandoening": "nee", "b_beeindiging_voorkomen": "ja",
                                 "c_procedure_gevolgd": "ja", "d_continuering_geregeld": "ja, andere aanbieder"}}


def ter_beoordeling(s, cid):
    """The aanbieder's termination procedure up to the signed consent form (R-BE-1..6)."""
    s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld tegen medewerkers"})
    for _ in range(2):
        s.fire(cid, "ab-horizon", "gesprek_vastleggen", dict(GESPREK, datum="2027-04-01"))
    for event in ("eerste_waarschuwing_versturen", "tweede_waarschuwing_versturen"):
        s.fire(cid, "ab-horizon", event, {"datum": "2027-04-01", "niet_nagekomen_afspraken": "op tijd komen",
                                          "kopie": "dossier/w"})
    case = s.fire(cid, "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)
    assert "beeindiging_ter_beoordeling" in case["state"], case["state"]


def test_beeindiging_zonder_regie():
    """R-BE-7, R-BE-1, R-AUTH-3 (WF silent on termination; the shared procedure with the parameter
    beslissers): a case without regie has no casusregisseur, so the procesregisseur (the lokale (wijk)team)
    is told of the announcement, gets the task to judge the request and decides; on a case with regie the
    casusregisseur decides and the procesregisseur may not (R-AUTH-3)."""
    with wf_server() as s:
        cid, case = case_in_zorg(s, "V", "gezinshuis")
        assert case["fields"]["regie"] is False and "casusregisseur" not in case["fields"], case["fields"]
        ter_beoordeling(s, cid)
        assert [i["rule"] for i in tasks(s.inbox("pr-hoorn"), cid, "beeindiging_aangekondigd")] == ["R-BE-1"]
        t = open_tasks(s, "pr-hoorn", cid, "beeindiging_beoordelen")
        assert len(t) == 1 and t[0]["rule"] == "R-BE-7", t
        case = s.get_case(cid, "pr-hoorn")
        assert "beeindiging_goedkeuren" in case["allowed_events"], case["allowed_events"]
        refused(s, cid, "cr-hoorn", "beeindiging_goedkeuren", OVERWEGINGEN, 422, "guard_failed", "R-AUTH-3")
        case = s.fire(cid, "pr-hoorn", "beeindiging_goedkeuren", OVERWEGINGEN)
        assert "beeindiging_goedgekeurd" in case["state"] and case["status"] == "in_zorg", case
        assert not open_tasks(s, "pr-hoorn", cid, "beeindiging_beoordelen")
        case = s.fire(cid, "ab-horizon", "overdracht_afronden", {"einddatum_zorg": "2027-04-01", "overdracht": "warm"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "33", case

        # With regie the case's casusregisseur decides, not the procesregisseur.
        cid2, _ = case_in_zorg(s, "V", "verblijf_met_behandeling", casusregisseur="cr-hoorn")
        ter_beoordeling(s, cid2)
        assert not open_tasks(s, "pr-hoorn", cid2, "beeindiging_beoordelen")
        assert len(open_tasks(s, "cr-hoorn", cid2, "beeindiging_beoordelen")) == 1
        refused(s, cid2, "pr-hoorn", "beeindiging_afwijzen", OVERWEGINGEN, 422, "guard_failed", "R-AUTH-3")
        case = s.fire(cid2, "cr-hoorn", "beeindiging_afwijzen", OVERWEGINGEN)
        assert case["fields"]["beeindiging"]["uitkomst"] == "afgewezen", case["fields"]["beeindiging"]

        # A procesregisseur named as the case's casusregisseur is still no casusregisseur: it cannot decide
        # by naming itself (R-AUTH-3: only the assigned casusregisseur, in that role, decides).
        cid3, _ = case_in_zorg(s, "V", "verblijf_met_behandeling", casusregisseur="cr-hoorn")
        ter_beoordeling(s, cid3)
        s.fire(cid3, "pr-hoorn", "casusregisseur_wijzigen", {"casusregisseur": "pr-hoorn"})
        refused(s, cid3, "pr-hoorn", "beeindiging_goedkeuren", OVERWEGINGEN, 422, "guard_failed", "R-AUTH-3")


def test_einde_door_jeugdige_zonder_regie():
    """R-BE-12 (no bypass): inside the procedure an end by the jeugdige needs the confirmation of the
    casusregisseur; on a case without one the procesregisseur confirms it (the parameter beslissers)."""
    with wf_server() as s:
        cid, _ = case_in_zorg(s, "B", "profiel_1")
        s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld tegen medewerkers"})
        s.fire(cid, "ab-horizon", "einde_door_jeugdige_melden", {"einddatum_zorg": "2027-04-01", "toelichting": "gezin verhuisd"})
        t = open_tasks(s, "pr-hoorn", cid, "einde_door_jeugdige_bevestigen")
        assert len(t) == 1 and t[0]["rule"] == "R-BE-12", t
        case = s.fire(cid, "pr-hoorn", "einde_door_jeugdige_bevestigen", {"toelichting": "gezin verhuisd"})
        assert case["status"] == "beeindigd" and case["fields"]["reden_beeindiging"] == "32", case


if __name__ == "__main__":
    run(globals())
