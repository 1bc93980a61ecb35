"""HTTP API tests: zorgcoördinatie (ZC, regio-zorgcoordinatie-beslismodel) on its own chart
(jeugdhulp-mijov), region mijov with gemeente apeldoorn, configured as a new user would: only
"chart" and "gemeenten".

- R-ZC-1 the decision model of ZC §2, each criterion recorded on the case, and each branch of its outcome;
- R-ZC-2 the product 45A75 only where the decision model has an aanbieder coordinate;
- R-ZC-3 45A75 only to an aanbieder deployed at the same time for another product of the same jeugdige,
  linked by BSN or by gezin (the chart's linked_cases, src/api/linked.c);
- R-ZC-4 45A75 for at most a year; R-ZC-5 at most 52 hours within it (uren_vastleggen); both limits come
  from the chart's catalogue, catalogs/mijov.json, which a region's configuration may replace;
- R-ZC-6 the coordinator's five tasks; R-ZC-7 stagnation reaches the gemeente's toegang.
"""
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, SOURCE_DIR, TOKEN, Server, assert_error, make_config, run, tasks, tmpdir  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"
PR = "pr-apeldoorn"
GI = "cr-gi-mijov"
EXTRA = [(PR, "procesregisseur", "apeldoorn"), (GI, "casusregisseur", "gi-mijov")]
TOKEN.update({aid: "tok-%s-%s" % (aid, hashlib.sha256(aid.encode()).hexdigest()[:12]) for aid, _, _ in EXTRA})

JAAR = {"begindatum": "2027-04-01", "einddatum": "2028-03-31"}
ZC = "45A75"


def mijov_server(catalog=None, extra_args=None):
    cfg = make_config(T0)
    cfg["regions"]["mijov"] = {"chart": "jeugdhulp-mijov", "gemeenten": ["apeldoorn"]}
    if catalog:
        cfg["regions"]["mijov"]["catalog"] = catalog
    cfg["actors"] += [{"id": aid, "role": role, "org": org,
                       "token_sha256": hashlib.sha256(TOKEN[aid].encode()).hexdigest()} for aid, role, org in EXTRA]
    return Server(config=cfg, extra_args=extra_args)


def aanmelden(s, bsn=None, gezin=None, naam="Mees Hoitink"):
    jeugdige = {"naam": naam, "geboortedatum": "2013-09-12"}
    if bsn:
        jeugdige["bsn"] = bsn
    body = {"gemeente": "apeldoorn", "verwijzer": "gemeente", "jeugdige": jeugdige}
    if gezin:
        body["gezin"] = gezin
    st, case = s.create(PR, body)
    assert st == 201, (st, case)
    assert case["chart"].startswith("jeugdhulp-mijov@"), case["chart"]
    return case


def beslis(two=True, nodig=True, kader="vrijwillig", toegang=False, **extra):
    d = {"twee_of_meer_betrokkenen": two, "coordinatie_noodzakelijk": nodig, "kader": kader,
         "toegang_betrokken": toegang}
    d.update(extra)
    return d


def toewijzen(s, cid, aanbieder, code, periode=JAAR):
    return s.event(cid, PR, "toewijzen", {"aanbieder": aanbieder, "product": dict(periode, code=code)})


def refused(s, cid, who, event, data, status, code, rule):
    before = s.get_case(cid, PR)
    st, body = s.event(cid, who, event, data)
    assert_error(st, body, status, code=code, rule=rule)
    after = s.get_case(cid, PR)
    assert after["version"] == before["version"] and after["fields"] == before["fields"], (event, who)


def zc(case):
    return case["fields"]["zorgcoordinatie"]


def deployed(s, bsn=None, gezin=None, aanbieder=HORIZON, naam="Mees Hoitink"):
    """A case of the jeugdige in care with another product (45A01) at aanbieder."""
    other = aanmelden(s, bsn=bsn, gezin=gezin, naam=naam)
    st, body = toewijzen(s, other["id"], aanbieder, "45A01")
    assert st == 200, body
    s.fire(other["id"], "ab-horizon" if aanbieder == HORIZON else "ab-kompas", "start_zorg")
    return other


def coordination_case(s, bsn="123456782"):
    """A jeugdige in care at horizon, and a case whose decision model designates an aanbieder, given
    45A75 at horizon and started."""
    other = deployed(s, bsn=bsn)
    case = aanmelden(s, bsn=bsn)
    s.fire(case["id"], PR, "beslismodel_vastleggen", beslis(toegang=False))
    st, body = toewijzen(s, case["id"], HORIZON, ZC)
    assert st == 200, body
    s.fire(case["id"], "ab-horizon", "start_zorg")
    coordination_case.other = other["id"]
    return case["id"]


def test_beslismodel_uitkomsten():
    """R-ZC-1: each criterion is recorded and the outcome names who coordinates (ZC §2), per branch."""
    with mijov_server() as s:
        # Vrijwillig, the toegang involved: the CJG/wijkteam (procesregisseur) coordinates.
        cid = aanmelden(s)["id"]
        case = s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=True))
        z = zc(case)
        assert z["beslismodel"] == {"twee_of_meer_betrokkenen": True, "coordinatie_noodzakelijk": True,
                                    "kader": "vrijwillig", "toegang_betrokken": True,
                                    "vastgelegd_op": "2027-04-01"}, z
        assert (z["uitkomst"], z["coordinator"], z["coordinator_rol"], z["nodig"]) == \
            ("toegang_coordineert", "toegang", "procesregisseur", True), z
        assert tasks(s.inbox(PR), cid, "zorgcoordinatie_taken")[0]["rule"] == "R-ZC-6"
        # ... or hands it to an aanbieder (ZC §2 "draagt deze over").
        z = zc(s.fire(cid, PR, "zorgcoordinatie_overdragen", {}))
        assert (z["uitkomst"], z["coordinator_rol"]) == ("overgedragen_aan_aanbieder", "aanbieder"), z

        # Vrijwillig without the toegang: the CJG/wijkteam designates an aanbieder; preventieve
        # jeugdbescherming counts as vrijwillig.
        for kader in ("vrijwillig", "preventieve_jeugdbescherming"):
            cid = aanmelden(s)["id"]
            z = zc(s.fire(cid, PR, "beslismodel_vastleggen", beslis(kader=kader, toegang=False)))
            assert (z["uitkomst"], z["coordinator_rol"], z["maatregel"]) == \
                ("toegang_wijst_aanbieder_aan", "aanbieder", False), (kader, z)
            assert tasks(s.inbox(PR), cid, "zorgcoordinator_aanwijzen")[0]["rule"] == "R-ZC-1"

        # Criteria 1 and 2 not both: no zorgcoördinatie, nobody coordinates.
        for two, nodig in ((True, False), (False, True), (False, False)):
            cid = aanmelden(s)["id"]
            z = zc(s.fire(cid, PR, "beslismodel_vastleggen", beslis(two=two, nodig=nodig, toegang=True)))
            assert (z["uitkomst"], z["nodig"]) == ("geen_zorgcoordinatie", False) and "coordinator" not in z, z
            st, body = s.event(cid, PR, "uitvoeringsplan_opstellen", {"opgesteld_met": ["client_gezin"]})
            assert_error(st, body, 409)

        # A maatregel (criterion 3, on its own): always zorgcoördinatie, regie with the GI's professional.
        for kader in ("kinderbeschermingsmaatregel", "jeugdreclassering"):
            cid = aanmelden(s)["id"]
            refused(s, cid, PR, "beslismodel_vastleggen", beslis(two=False, nodig=False, kader=kader),
                    422, None, "R-ZC-1")
            z = zc(s.fire(cid, PR, "beslismodel_vastleggen",
                          beslis(two=False, nodig=False, kader=kader, toegang=True, regisseur=GI)))
            assert (z["uitkomst"], z["coordinator"], z["coordinator_rol"], z["nodig"], z["maatregel"]) == \
                ("regie_bij_gi", "gi", "casusregisseur", True, True), z
            assert tasks(s.inbox(GI), cid, "zorgcoordinatie_taken")[0]["rule"] == "R-ZC-6"
            # The GI's professional coordinates; the toegang does not (R-ZC-6).
            refused(s, cid, PR, "uitvoeringsplan_opstellen", {"opgesteld_met": ["toegang"]}, 422, None, "R-ZC-6")
            s.fire(cid, GI, "uitvoeringsplan_opstellen", {"opgesteld_met": ["client_gezin", "toegang"]})
            # No separate product with a maatregel (ZC §4).
            refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)},
                    422, None, "R-ZC-2")


def test_45a75_alleen_voor_ingezette_aanbieder():
    """R-ZC-2, R-ZC-3, R-ZC-4: 45A75 only where an aanbieder coordinates, only to an aanbieder deployed
    for another product of the same jeugdige (by BSN or by gezin), and for at most a year."""
    with mijov_server() as s:
        # R-ZC-2: without the decision model, or when it names the toegang, no 45A75.
        cid = aanmelden(s, bsn="111222333")["id"]
        deployed(s, bsn="111222333")
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-2")
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=True))
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-2")

        # Linked by BSN: horizon is deployed (45A01, in zorg), kompas is not.
        cid = aanmelden(s, bsn="111222333")["id"]
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=False))
        refused(s, cid, PR, "toewijzen", {"aanbieder": KOMPAS, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-3")
        # R-ZC-4: a year at most.
        refused(s, cid, PR, "toewijzen",
                {"aanbieder": HORIZON, "product": {"code": ZC, "begindatum": "2027-04-01", "einddatum": "2028-04-01"}},
                422, None, "R-ZC-4")
        st, case = toewijzen(s, cid, HORIZON, ZC)
        assert st == 200, case
        assert zc(case)["aanbieder"] == HORIZON and zc(case)["uren"] == 0 and zc(case)["maximale_uren"] == 52, case
        assert tasks(s.inbox("ab-horizon"), cid, "zorgcoordinatie_taken")[0]["rule"] == "R-ZC-6"

        # Another jeugdige (another BSN): horizon is not deployed for them.
        cid = aanmelden(s, bsn="999888777")["id"]
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=False))
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-3")
        # A toewijzing that only waits for its start counts too (toegewezen); a 45A75 itself does not.
        other = aanmelden(s, bsn="999888777")
        assert toewijzen(s, other["id"], KOMPAS, "45A01")[0] == 200
        st, case = toewijzen(s, cid, KOMPAS, ZC)
        assert st == 200, case

        # Linked by gezin (no BSN): the gezin's other case is in care at kompas.
        deployed(s, gezin="G-7", aanbieder=KOMPAS, naam="Fenna Hoitink")
        cid = aanmelden(s, gezin="G-7", naam="Jesse Hoitink")["id"]
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(kader="preventieve_jeugdbescherming", toegang=False))
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-3")
        assert toewijzen(s, cid, KOMPAS, ZC)[0] == 200

        # A case that ended no longer counts.
        other = deployed(s, bsn="444555666")
        s.fire(other["id"], "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "31"})
        cid = aanmelden(s, bsn="444555666")["id"]
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=False))
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": dict(JAAR, code=ZC)}, 422, None, "R-ZC-3")


def test_uren_hoogstens_52():
    """R-ZC-5: the aanbieder records hours; up to 52 in the toewijzing's year, past 52 refused (422)."""
    with mijov_server() as s:
        cid = coordination_case(s)
        s.fire(cid, "ab-horizon", "uren_vastleggen", {"uren": 40, "datum": "2027-04-01"})
        refused(s, cid, "ab-horizon", "uren_vastleggen", {"uren": 12.5, "datum": "2027-04-01"}, 422, None, "R-ZC-5")
        case = s.fire(cid, "ab-horizon", "uren_vastleggen", {"uren": 11.5, "datum": "2027-04-01"})
        case = s.fire(cid, "ab-horizon", "uren_vastleggen", {"uren": 0.5, "datum": "2027-04-01"})
        assert zc(case)["uren"] == 52, zc(case)
        assert [r["uren"] for r in zc(case)["urenregistratie"]] == [40, 11.5, 0.5], zc(case)
        refused(s, cid, "ab-horizon", "uren_vastleggen", {"uren": 0.5, "datum": "2027-04-01"}, 422, None, "R-ZC-5")
        # A day outside the toewijzing's period, or ahead of today.
        cid2 = coordination_case(s, bsn="222333444")
        refused(s, cid2, "ab-horizon", "uren_vastleggen", {"uren": 1, "datum": "2027-03-31"}, 422, None, "R-ZC-5")
        refused(s, cid2, "ab-horizon", "uren_vastleggen", {"uren": 1, "datum": "2027-04-02"}, 422, None, "R-ZC-5")
        st, body = s.event(cid2, "ab-horizon", "uren_vastleggen", {"uren": 53, "datum": "2027-04-01"})
        assert_error(st, body, 422, rule="R-ZC-5")
        # Only on a zorgcoördinatie product (another product has no hours here).
        st, body = s.event(coordination_case.other, "ab-horizon", "uren_vastleggen", {"uren": 1, "datum": "2027-04-01"})
        assert_error(st, body, 409)


def test_vijf_taken():
    """R-ZC-6: the coordinator's five tasks (ZC §1): the uitvoeringsplan (draw up, adjust), coordinating
    (MDO, holding those responsible to it), aanspreekpunt for the client/gezin and for the gemeente, and
    contact with the toegang; only the coordinator does them."""
    with mijov_server() as s:
        cid = coordination_case(s)
        plan = {"opgesteld_met": ["client_gezin", "professionals", "informele_zorg", "toegang"]}
        # The toegang is not the coordinator here.
        refused(s, cid, PR, "uitvoeringsplan_opstellen", plan, 422, None, "R-ZC-6")
        st, body = s.event(cid, "ab-horizon", "mdo_plannen", {"datum": "2027-04-15"})
        assert_error(st, body, 409)  # an MDO coordinates a plan that exists
        assert tasks(s.inbox("ab-horizon"), cid, "zorgcoordinatie_taken")[0]["open"] is True
        case = s.fire(cid, "ab-horizon", "uitvoeringsplan_opstellen", plan)                          # 1
        assert case["fields"]["uitvoeringsplan"]["opgesteld_met"] == plan["opgesteld_met"]
        assert not [i for i in tasks(s.inbox("ab-horizon"), cid, "zorgcoordinatie_taken") if i.get("open")]
        s.fire(cid, "ab-horizon", "uitvoeringsplan_bijstellen", {"reden": "school erbij betrokken"})   # 1
        s.fire(cid, "ab-horizon", "mdo_plannen", {"datum": "2027-04-15", "deelnemers": ["school", "ggz"]})  # 2
        s.fire(cid, "ab-horizon", "betrokkene_aanspreken", {"betrokkene": "ggz", "afspraak": "intake binnen 2 weken"})
        s.fire(cid, "ab-horizon", "aanspreekpunt_vastleggen", {"voor": "client_gezin", "contactgegevens": "06-1"})  # 3
        case = s.fire(cid, "ab-horizon", "aanspreekpunt_vastleggen", {"voor": "gemeente", "contactgegevens": "06-1"})  # 4
        assert case["fields"]["aanspreekpunt"] == {"client_gezin": "ab-horizon", "gemeente": "ab-horizon"}
        s.fire(cid, "ab-horizon", "toegang_informeren", {"reden": "minder_maatwerk_nodig"})             # 5
        item = tasks(s.inbox(PR), cid, "maatwerk_bijstellen")[0]
        assert item["rule"] == "R-ZC-6" and item["open"], item
        s.fire(cid, PR, "maatwerk_signaal_afhandelen", {"besluit": "afschalen besproken"})
        assert not [i for i in tasks(s.inbox(PR), cid, "maatwerk_bijstellen") if i.get("open")]


def test_stagnatie_bereikt_toegang():
    """R-ZC-7: stagnation (ZC §3), reported by anyone involved or by the coordinator (ZC §1 taak 5),
    gives the gemeente's toegang (CJG/wijkteam, the procesregisseur) a task; it takes it up."""
    with mijov_server() as s:
        cid = coordination_case(s)
        case = s.fire(cid, "ab-horizon", "stagnatie_melden", {"knelpunt": "onoplosbaar_knelpunt"})
        assert "stagnatie" in case["flags"], case["flags"]
        item = tasks(s.inbox(PR), cid, "zorgcoordinatie_stagnatie")[0]
        assert item["rule"] == "R-ZC-7" and item["open"], item
        st, body = s.event(cid, "ab-horizon", "stagnatie_oppakken", {"afspraken": "x"})
        assert_error(st, body, 403)
        case = s.fire(cid, PR, "stagnatie_oppakken", {"afspraken": "MDO met de toegang op 12 april"})
        assert "stagnatie" not in case["flags"]
        assert not [i for i in tasks(s.inbox(PR), cid, "zorgcoordinatie_stagnatie") if i.get("open")]
        # The coordinator says the coordination gets stuck (taak 5): the same task.
        s.fire(cid, "ab-horizon", "toegang_informeren", {"reden": "zorgcoordinatie_loopt_vast"})
        assert [i for i in tasks(s.inbox(PR), cid, "zorgcoordinatie_stagnatie") if i.get("open")]
        # With a maatregel the GI's professional reports it too.
        gcid = aanmelden(s)["id"]
        s.fire(gcid, PR, "beslismodel_vastleggen", beslis(two=False, nodig=False, kader="jeugdreclassering",
                                                          toegang=True, regisseur=GI))
        s.fire(gcid, GI, "stagnatie_melden", {"knelpunt": "regievoering_komt_niet_tot_stand"})
        assert tasks(s.inbox(PR), gcid, "zorgcoordinatie_stagnatie")[0]["rule"] == "R-ZC-7"


def test_limieten_uit_de_catalogus():
    """R-ZC-4, R-ZC-5 from the catalogue: the chart names catalogs/mijov.json (45A75: a year, 52 hours, in
    uren); a region whose configuration names another catalogue (6 months, 20 hours) gets those limits,
    with the same refusals and rule ids."""
    with open(os.path.join(SOURCE_DIR, "catalogs", "mijov.json")) as f:
        kort = json.load(f)
    z = kort["arrangementen"]["zorgcoordinatie"]
    assert (z["productcodes"], z["eenheid"], z["maximale_duur"], z["maximale_omvang"]) == \
        ([ZC], "uren", {"months": 12}, 52), z
    kort["catalog"] = "mijov-kort"
    z["maximale_duur"], z["maximale_omvang"] = {"months": 6}, 20
    d = tmpdir("casus-mijov-")
    shutil.copytree(os.path.join(SOURCE_DIR, "statecharts"), os.path.join(d, "charts"))
    os.mkdir(os.path.join(d, "charts", "catalogs"))
    with open(os.path.join(d, "charts", "catalogs", "mijov-kort.json"), "w") as f:
        json.dump(kort, f)
    with mijov_server() as s:
        st, chart = s.req("GET", "/v1/statecharts/jeugdhulp-mijov", TOKEN[PR])
        assert st == 200 and chart["catalog"] == "mijov", chart.get("catalog")
    with mijov_server(catalog="mijov-kort", extra_args=["--charts", os.path.join(d, "charts")]) as s:
        deployed(s, bsn="123456782")
        cid = aanmelden(s, bsn="123456782")["id"]
        s.fire(cid, PR, "beslismodel_vastleggen", beslis(toegang=False))
        refused(s, cid, PR, "toewijzen", {"aanbieder": HORIZON, "product": {"code": ZC, "begindatum": "2027-04-01",
                                                                            "einddatum": "2027-10-01"}},
                422, None, "R-ZC-4")
        st, case = toewijzen(s, cid, HORIZON, ZC, {"begindatum": "2027-04-01", "einddatum": "2027-09-30"})
        assert st == 200 and zc(case)["maximale_uren"] == 20, (st, case)
        s.fire(cid, "ab-horizon", "start_zorg")
        refused(s, cid, "ab-horizon", "uren_vastleggen", {"uren": 20.5, "datum": "2027-04-01"}, 422, None, "R-ZC-5")
        case = s.fire(cid, "ab-horizon", "uren_vastleggen", {"uren": 20, "datum": "2027-04-01"})
        assert zc(case)["uren"] == 20, zc(case)


if __name__ == "__main__":
    run(globals())
