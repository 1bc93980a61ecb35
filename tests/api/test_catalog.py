"""HTTP API tests: the arrangement catalogue as data (issue 11 part 3; docs/statecharts.md, "Catalogue").

Region zuid-limburg runs jeugdhulp-zuid-limburg, whose toewijzen, wijziging (toewijzing_aanpassen) and
verlenging check the arrangement against catalogs/zuid-limburg.json, the full catalogue of ARR:
R-MON-8 (maximum duration, contacts), R-ARR-1 (in the catalogue, its unit, its volume), R-ARR-2 (length
band, complexity, variant), R-ARR-3 (who may deploy it: regie only by the lokale toegang, not when a GI
is involved), R-ARR-4 (which may not run together).  A region's configuration may name another catalogue
("catalog"); a bad catalogue stops the server at start with its JSON path.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, SOURCE_DIR, TOKEN, Server, assert_error, make_config, run, tmpdir  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"
MOSA = "mosa-jeugdhulp"
EXTRA = [("pr-maastricht", "procesregisseur", "maastricht"), ("cr-maastricht", "casusregisseur", "maastricht"),
         ("ab-mosa", "aanbieder", MOSA), ("abm-mosa", "aanbieder_manager", MOSA),
         ("cm-zuid-limburg", "contractmanager", "zuid-limburg")]
TOKEN.update({aid: "tok-%s-%s" % (aid, hashlib.sha256(aid.encode()).hexdigest()[:12]) for aid, _, _ in EXTRA})
JEUGDIGE = {"naam": "Lieke Vaessen", "geboortedatum": "2013-09-12"}


def zl_config(catalog=None, **regions):
    cfg = make_config(T0)
    # "gis": the GI that may be named as already involved (R-ARR-3); the server checks the name (R-TW-1).
    cfg["regions"]["zuid-limburg"] = {"chart": "jeugdhulp-zuid-limburg", "gemeenten": ["maastricht"],
                                      "gis": ["jb-zuid-limburg"]}
    if catalog:
        cfg["regions"]["zuid-limburg"]["catalog"] = catalog
    for name, extra in regions.items():
        cfg["regions"][name.replace("_", "-")].update(extra)
    cfg["actors"] += [{"id": aid, "role": role, "org": org,
                       "token_sha256": hashlib.sha256(TOKEN[aid].encode()).hexdigest()} for aid, role, org in EXTRA]
    return cfg


def aanmelden(s, **extra):
    body = {"verwijzer": "gemeente", "gemeente": "maastricht", "casusregisseur": "cr-maastricht",
            "jeugdige": JEUGDIGE}
    body.update(extra)
    st, case = s.create("pr-maastricht", body)
    assert st == 201, (st, case)
    return case["id"]


def toewijzen(arrangement, begindatum="2027-04-01", einddatum="2028-03-31", **extra):
    data = {"aanbieder": MOSA, "product": "45A01", "begindatum": begindatum, "einddatum": einddatum,
            "arrangement": arrangement, "ondersteuningsplan": "1G1P1R-2027-17"}
    data.update(extra)
    return data


def refused(s, cid, event, data, rule, who="pr-maastricht"):
    before = s.get_case(cid, who)
    st, body = s.event(cid, who, event, data)
    err = assert_error(st, body, 422, code="guard_failed", rule=rule)
    after = s.get_case(cid, who)
    assert after["version"] == before["version"] and after["fields"] == before["fields"], event
    return err


def test_zuid_limburg_end_to_end():
    """Zuid-Limburg: the lokale toegang registers and assigns begeleiding individueel (lang, midden, in
    contactmomenten), the aanbieder starts, the toegang changes the arrangement to behandeling individueel
    (a wijziging, R-MON-10 with the catalogue's checks), extends it, and the aanbieder ends the care."""
    with Server(config=zl_config()) as s:
        st, chart = s.req("GET", "/v1/statecharts/jeugdhulp-zuid-limburg", TOKEN["pr-maastricht"])
        assert st == 200 and chart["catalog"] == "zuid-limburg", chart.get("catalog")
        arr = chart["tables"]["arrangementen"]
        assert arr["crisishulp_ambulant"]["maximale_duur"] == {"weeks": 6}, arr["crisishulp_ambulant"]
        assert arr["verblijf"]["eenheid"] == "etmalen" and arr["logeren"]["eenheid"] == "etmalen"
        assert arr["regie"]["inzet_door"] == ["procesregisseur"] and arr["regie"]["niet_bij_gi"] is True
        cid = aanmelden(s)
        case = s.fire(cid, "pr-maastricht", "toewijzen",
                      toewijzen("begeleiding_individueel", duur="lang", complexiteit="midden",
                                eenheid="contactmomenten", omvang=40))
        assert case["status"] == "toegewezen", case
        p = case["fields"]["product"]
        assert (p["arrangement"], p["duur"], p["complexiteit"], p["eenheid"], p["omvang"]) == \
            ("begeleiding_individueel", "lang", "midden", "contactmomenten", 40), p
        case = s.fire(cid, "ab-mosa", "start_zorg", {"startdatum": "2027-04-01"})
        assert case["status"] == "in_zorg", case
        case = s.fire(cid, "pr-maastricht", "toewijzing_aanpassen",
                      {"soort": "opschaling", "reden_wijziging": "03", "arrangement": "behandeling_individueel",
                       "complexiteit": "hoog"})
        assert case["fields"]["product"]["arrangement"] == "behandeling_individueel", case["fields"]["product"]
        assert case["fields"]["product"]["complexiteit"] == "hoog", case["fields"]["product"]
        case = s.fire(cid, "pr-maastricht", "toewijzing_verlengen",
                      {"nieuwe_einddatum": "2028-09-30", "reden": "behandeling loopt nog"})
        assert case["fields"]["product"]["einddatum"] == "2028-09-30", case["fields"]["product"]
        case = s.fire(cid, "ab-mosa", "zorg_afsluiten", {"reden_beeindiging": "02", "einddatum_zorg": "2027-04-01"})
        assert case["status"] == "beeindigd", case


def test_r_mon_8_limits_from_the_catalogue():
    """R-MON-8: the 6 weeks of crisishulp and the 10 contacts of behandeling start come from the
    catalogue, at toewijzen, wijziging and verlenging; crisishulp is not extended at all (the catalogue's
    "verlengbaar": false, ARR: after 6 weeks the help that fits)."""
    with Server(config=zl_config()) as s:
        cid = aanmelden(s)
        refused(s, cid, "toewijzen", toewijzen("crisishulp_ambulant", einddatum="2027-05-13"), "R-MON-8")
        refused(s, cid, "toewijzen", toewijzen("crisishulp_verblijf", einddatum="2027-06-30"), "R-MON-8")
        refused(s, cid, "toewijzen", toewijzen("behandeling_start", aantal_contacten=11), "R-MON-8")
        refused(s, cid, "toewijzen", toewijzen("begeleiding_groep", einddatum="2028-04-01"), "R-MON-8")
        # 6 weeks less a day is inside the limit
        s.fire(cid, "pr-maastricht", "toewijzen", toewijzen("crisishulp_ambulant", einddatum="2027-05-12"))
        s.fire(cid, "ab-mosa", "start_zorg", {"startdatum": "2027-04-01"})
        refused(s, cid, "toewijzing_verlengen", {"nieuwe_einddatum": "2027-06-30", "reden": "nog niet stabiel"},
                "R-MON-8")
        # crisishulp is 6 weeks in all ("verlengbaar": false): not even a week more, although 2027-05-19 lies
        # within 6 weeks of the current einddatum
        err = refused(s, cid, "toewijzing_verlengen", {"nieuwe_einddatum": "2027-05-19", "reden": "nog niet stabiel"},
                      "R-MON-8")
        assert "not extended" in err["message"], err
        refused(s, cid, "toewijzing_aanpassen", {"soort": "aanpassing", "reden_wijziging": "02",
                                                 "arrangement": "behandeling_start", "aantal_contacten": 12},
                "R-MON-8")


def test_r_arr_1_catalogue_unit_and_volume():
    """R-ARR-1: verblijf, logeren, pleegzorg and crisisverblijf are counted in etmalen (ARR), begeleiding
    groep in dagdelen; another unit is refused, the catalogue's unit accepted."""
    with Server(config=zl_config()) as s:
        cid = aanmelden(s)
        err = refused(s, cid, "toewijzen", toewijzen("verblijf", eenheid="uren", omvang=200), "R-ARR-1")
        assert "unit" in err["message"], err
        refused(s, cid, "toewijzen", toewijzen("logeren", eenheid="uren"), "R-ARR-1")
        refused(s, cid, "toewijzen", toewijzen("begeleiding_groep", eenheid="contactmomenten"), "R-ARR-1")
        case = s.fire(cid, "pr-maastricht", "toewijzen", toewijzen("verblijf", eenheid="etmalen", omvang=120,
                                                                   variant="lvb"))
        assert case["fields"]["product"]["eenheid"] == "etmalen", case["fields"]["product"]


def test_r_arr_2_bands_complexity_variants():
    """R-ARR-2: begeleiding groep kort is 1 t/m 4 maanden, lang 5 t/m 12 (ARR); begeleiding individueel
    kort 1 t/m 6; pleegzorg has no complexity levels, only its variants plus/basis/voogdij."""
    with Server(config=zl_config()) as s:
        cid = aanmelden(s)
        refused(s, cid, "toewijzen", toewijzen("begeleiding_groep", einddatum="2027-09-30", duur="kort"), "R-ARR-2")
        refused(s, cid, "toewijzen", toewijzen("begeleiding_individueel", einddatum="2027-06-30", duur="lang"),
                "R-ARR-2")
        refused(s, cid, "toewijzen", toewijzen("crisishulp_ambulant", einddatum="2027-05-01", duur="kort"), "R-ARR-2")
        refused(s, cid, "toewijzen", toewijzen("pleegzorg", complexiteit="hoog"), "R-ARR-2")
        refused(s, cid, "toewijzen", toewijzen("pleegzorg", variant="luxe"), "R-ARR-2")
        refused(s, cid, "toewijzen", toewijzen("verblijf", variant="plus"), "R-ARR-2")
        case = s.fire(cid, "pr-maastricht", "toewijzen",
                      toewijzen("begeleiding_groep", einddatum="2027-07-31", duur="kort", complexiteit="laag",
                                eenheid="dagdelen"))
        assert case["fields"]["product"]["duur"] == "kort", case["fields"]["product"]


def test_r_arr_3_regie_only_by_the_toegang_and_not_with_a_gi():
    """R-ARR-3 (ARR Regie): regie is deployed by the lokale toegang only, and not when a gecertificeerde
    instelling is already involved; toewijzing_aanpassen to regie is refused the same way."""
    with Server(config=zl_config()) as s:
        with_gi = aanmelden(s, gi="jb-zuid-limburg")
        err = refused(s, with_gi, "toewijzen", toewijzen("regie"), "R-ARR-3")
        assert "gecertificeerde instelling" in err["message"], err
        s.fire(with_gi, "pr-maastricht", "toewijzen", toewijzen("begeleiding_individueel"))
        s.fire(with_gi, "ab-mosa", "start_zorg", {"startdatum": "2027-04-01"})
        refused(s, with_gi, "toewijzing_aanpassen",
                {"soort": "aanpassing", "reden_wijziging": "02", "arrangement": "regie"}, "R-ARR-3")
        cid = aanmelden(s)
        case = s.fire(cid, "pr-maastricht", "toewijzen", toewijzen("regie", eenheid="trajecten"))
        assert case["fields"]["product"]["arrangement"] == "regie", case


def test_r_arr_3_rijnmond_regie_not_in_route_c():
    """R-ARR-3 in Rijnmond (catalogs/rijnmond.json): regie is the lokale toegang's; in route C a GI is
    involved (fields.gi), so neither the GI's procesregisseur nor the ZBT assigns regie there, while the
    Toegang does in route A."""
    with Server(config=zl_config()) as s:
        regie = {"aanbieder": "horizon-jeugdzorg", "product": "45A01", "begindatum": "2027-04-01",
                 "einddatum": "2028-03-31", "arrangement": "regie"}
        st, case = s.create("pr-jb-rijnmond", {"verwijzer": "rechter", "gemeente": "rotterdam",
                                               "jeugdige": JEUGDIGE})
        assert st == 201 and case["fields"]["gi"] == "jb-rijnmond", (st, case)
        for who in ("pr-jb-rijnmond", "zbt-rijnmond"):
            st, body = s.event(case["id"], who, "toewijzen", regie)
            assert_error(st, body, 422, code="guard_failed", rule="R-ARR-3")
        st, body = s.event(case["id"], "pr-jb-rijnmond", "toewijzen", dict(regie, arrangement="begeleiding_individueel"))
        assert st == 200, (st, body)
        a = s.create_a()["id"]
        st, body = s.event(a, "pr-rotterdam", "toewijzen", regie)
        assert st == 200 and body["fields"]["product"]["arrangement"] == "regie", (st, body)


def test_r_arr_4_samenloop():
    """R-ARR-4: dyslexie does not run alongside individuele or groeps- behandeling (ARR, both ways);
    crisishulp may run alongside any other arrangement."""
    with Server(config=zl_config()) as s:
        cid = aanmelden(s)
        refused(s, cid, "toewijzen", toewijzen("dyslexie_behandeling", samenloop_met="behandeling_individueel"),
                "R-ARR-4")
        refused(s, cid, "toewijzen", toewijzen("behandeling_groep", samenloop_met="dyslexie_diagnose"), "R-ARR-4")
        case = s.fire(cid, "pr-maastricht", "toewijzen",
                      toewijzen("crisishulp_ambulant", einddatum="2027-05-01", samenloop_met="begeleiding_individueel"))
        assert case["fields"]["product"]["samenloop_met"] == "begeleiding_individueel", case


def charts_dir_with(catalogs):
    """A --charts folder: the bundled charts and fragments, and catalogs/<name>.json for each given."""
    d = tmpdir("casus-catalog-")
    shutil.copytree(os.path.join(SOURCE_DIR, "statecharts"), os.path.join(d, "charts"))
    os.mkdir(os.path.join(d, "charts", "catalogs"))
    for name, doc in catalogs.items():
        with open(os.path.join(d, "charts", "catalogs", name + ".json"), "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return os.path.join(d, "charts")


def bundled(name):
    with open(os.path.join(SOURCE_DIR, "catalogs", name + ".json")) as f:
        return json.load(f)


def test_region_overrides_the_catalogue():
    """A region's "catalog" replaces its chart's default: region holland-noord runs the Rijnmond chart with
    a catalogue in which crisishulp ambulant lasts at most 2 weeks (R-MON-8 reads the region's limit), while
    rijnmond keeps the chart's 6 weeks; zuid-limburg with a catalogue that lets a GI case have regie."""
    kort = bundled("rijnmond")
    kort["catalog"] = "rijnmond-kort"
    kort["arrangementen"]["crisishulp_ambulant"]["maximale_duur"] = {"weeks": 2}
    vrij = bundled("zuid-limburg")
    vrij["catalog"] = "zuid-limburg-proef"
    del vrij["arrangementen"]["regie"]["niet_bij_gi"]
    charts = charts_dir_with({"rijnmond-kort": kort, "zuid-limburg-proef": vrij})
    cfg = zl_config(catalog="zuid-limburg-proef", holland_noord={"catalog": "rijnmond-kort"})
    with Server(config=cfg, extra_args=["--charts", charts]) as s:
        three_weeks = {"aanbieder": "horizon-jeugdzorg", "product": "45A01", "begindatum": "2027-04-01",
                       "einddatum": "2027-04-21", "arrangement": "crisishulp_ambulant"}
        a = s.create_a(gemeente="alkmaar", pr="pr-alkmaar")["id"]
        st, body = s.event(a, "pr-alkmaar", "toewijzen", three_weeks)
        assert_error(st, body, 422, code="guard_failed", rule="R-MON-8")
        r = s.create_a()["id"]
        st, body = s.event(r, "pr-rotterdam", "toewijzen", three_weeks)
        assert st == 200, (st, body)
        cid = aanmelden(s, gi="jb-zuid-limburg")
        case = s.fire(cid, "pr-maastricht", "toewijzen", toewijzen("regie"))
        assert case["fields"]["product"]["arrangement"] == "regie", case
        # Each case records the catalogue its region checks it against.
        assert case["catalogus"] == "zuid-limburg-proef@%d" % vrij["version"], case.get("catalogus")
        assert s.get_case(a, "pr-alkmaar")["catalogus"] == "rijnmond-kort@%d" % kort["version"]
        assert s.get_case(r, "pr-rotterdam")["catalogus"] == "rijnmond@%d" % kort["version"]


def test_allowed_events_see_the_region_catalogue():
    """allowed_events evaluates a transition's "when" with the region's catalogue, as applying the event
    does: a zuid-limburg chart whose toewijzen is offered only to the roles that may deploy regie (R-ARR-3,
    the catalogue's inzet_door) lists toewijzen for the procesregisseur under the chart's default
    catalogue; under a region catalogue that names another role it lists it no more, and firing it is
    refused the same way."""
    with open(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-zuid-limburg.json")) as f:
        chart = json.load(f)
    t = next(t for t in chart["root"]["states"]["traject"]["states"]["aangemeld"]["transitions"]
             if t["event"] == "toewijzen")
    t["when"] = {"path": "actor.role", "in": {"table": {"name": "arrangementen", "key": "regie", "column": "inzet_door"}}}
    ander = bundled("zuid-limburg")
    ander["catalog"] = "zuid-limburg-ander"
    ander["arrangementen"]["regie"]["inzet_door"] = ["casusregisseur"]
    charts = charts_dir_with({"zuid-limburg-ander": ander})
    with open(os.path.join(charts, "jeugdhulp-zuid-limburg.json"), "w") as f:
        json.dump(chart, f)
    for catalog, offered in ((None, True), ("zuid-limburg-ander", False)):
        with Server(config=zl_config(catalog=catalog), extra_args=["--charts", charts]) as s:
            cid = aanmelden(s)
            case = s.get_case(cid, "pr-maastricht")
            assert ("toewijzen" in case["allowed_events"]) is offered, (catalog, case["allowed_events"])
            st, listed = s.req("GET", "/v1/cases", TOKEN["pr-maastricht"])
            item = next(i for i in listed["cases"] if i["id"] == cid)
            assert ("toewijzen" in item["allowed_events"]) is offered, (catalog, item["allowed_events"])
            st, body = s.event(cid, "pr-maastricht", "toewijzen", toewijzen("begeleiding_individueel"))
            assert (st == 200) is offered, (catalog, st, body)


def test_case_records_its_catalogue():
    """A case records the catalogue and version it was checked against ("catalogus": "<id>@<version>"),
    and the history entry that first used it says so: created under the bundled zuid-limburg version v, the
    case keeps zuid-limburg@v while nothing changes; after the catalogue file's version v + 1 is installed
    the next event is checked against it, and the case and that event's history entry show it."""
    charts = charts_dir_with({})
    v = bundled("zuid-limburg")["version"]
    old, new = "zuid-limburg@%d" % v, "zuid-limburg@%d" % (v + 1)
    s = Server(config=zl_config(), extra_args=["--charts", charts])
    with s:
        cid = aanmelden(s)
        case = s.get_case(cid, "pr-maastricht")
        assert case["catalogus"] == old, case.get("catalogus")
        s.fire(cid, "pr-maastricht", "toewijzen", toewijzen("begeleiding_individueel"))
        h = s.history(cid, "pr-maastricht")
        assert [e.get("catalogus") for e in h] == [old, None], h
        s.stop()
        nieuw = bundled("zuid-limburg")
        nieuw["version"] = v + 1
        with open(os.path.join(charts, "catalogs", "zuid-limburg.json"), "w") as f:
            json.dump(nieuw, f)
        s.start()
        assert s.get_case(cid, "pr-maastricht")["catalogus"] == old
        case = s.fire(cid, "ab-mosa", "start_zorg", {"startdatum": "2027-04-01"})
        assert case["catalogus"] == new, case.get("catalogus")
        h = s.history(cid, "pr-maastricht")
        assert [e.get("catalogus") for e in h] == [old, None, new], h


def serve_fails(cfg, charts=None):
    d = tmpdir("casus-catalog-")
    path = os.path.join(d, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    args = [CASUSD, "serve", "--config", path, "--listen", "127.0.0.1:0", "--data", os.path.join(d, "data")]
    if charts:
        args += ["--charts", charts]
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "listening on" not in p.stdout, (p.returncode, p.stdout)
    return p.stderr


def test_bad_catalogue_refused_at_start():
    """A region naming a catalogue that does not load or does not fit the schema, or a chart whose default
    catalogue is bad, stops the server at start, the message naming the region or chart, the catalogue
    and the JSON path of the problem."""
    bad = bundled("zuid-limburg")
    bad["catalog"] = "kapot"
    bad["arrangementen"]["verblijf"]["eenheid"] = "liters"
    bad["arrangementen"]["dyslexie_diagnose"]["niet_samen_met"] = ["bestaat_niet"]
    charts = charts_dir_with({"kapot": bad, "rijnmond": "{\"catalog\": \"rijnmond\", "})
    err = serve_fails(zl_config(catalog="kapot"), charts)
    assert 'catalogue \"rijnmond\"' in err or 'catalogue "rijnmond"' in err, err  # the chart's default does not parse
    os.remove(os.path.join(charts, "catalogs", "rijnmond.json"))
    err = serve_fails(zl_config(catalog="kapot"), charts)
    assert 'region "zuid-limburg": catalogue "kapot" is invalid: $.arrangementen.' in err, err
    assert "run casusd catalog check" in err, err
    err = serve_fails(zl_config(catalog="bestaat-niet"), charts)
    assert 'catalogue "bestaat-niet"' in err and "none bundled" in err, err
    # casusd catalog check names every problem by its path
    path = os.path.join(charts, "catalogs", "kapot.json")
    p = subprocess.run([CASUSD, "catalog", "check", path], capture_output=True, text=True)
    assert p.returncode == 1, p
    assert "$.arrangementen.verblijf.eenheid: not a unit" in p.stdout, p.stdout
    assert "$.arrangementen.dyslexie_diagnose.niet_samen_met[0]: \"bestaat_niet\" is not an arrangement" \
        in p.stdout, p.stdout
    p = subprocess.run([CASUSD, "catalog", "check"] +
                       [os.path.join(SOURCE_DIR, "catalogs", n + ".json") for n in ("rijnmond", "alkmaar", "zuid-limburg", "westfriesland", "mijov")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.count(": ok (") == 5, p.stdout
    # A chart that names a catalogue and also declares the table itself
    with open(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-zuid-limburg.json")) as f:
        chart = json.load(f)
    chart["tables"]["arrangementen"] = {"x": {}}
    cpath = os.path.join(charts, "jeugdhulp-zuid-limburg.json")
    with open(cpath, "w") as f:
        json.dump(chart, f)
    p = subprocess.run([CASUSD, "statechart", "check", cpath], capture_output=True, text=True)
    assert p.returncode == 1 and "comes from the catalogue" in p.stdout, p.stdout


def test_demo_config_has_zuid_limburg():
    """The embedded demo serves region zuid-limburg (gemeente maastricht) with its actors."""
    with open(os.path.join(SOURCE_DIR, "config", "demo.json")) as f:
        demo = json.load(f)
    assert demo["regions"]["zuid-limburg"] == {"chart": "jeugdhulp-zuid-limburg",
                                              "gemeenten": ["maastricht", "heerlen", "sittard-geleen"]}
    ids = {a["id"]: a for a in demo["actors"]}
    for aid in ("pr-maastricht", "cr-maastricht", "ab-mosa", "abm-mosa", "cm-zuid-limburg"):
        assert ids[aid]["token_sha256"] == hashlib.sha256(("demo-" + aid).encode()).hexdigest(), aid


if __name__ == "__main__":
    run(globals())
