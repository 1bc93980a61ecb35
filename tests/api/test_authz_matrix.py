"""HTTP API tests: R-AUTH-1 and R-AUTH-2, exhaustively, from the charts themselves.

For every chart in CASUS_SOURCE_DIR/statecharts/*.json the test collects every event name with the
set of roles that may fire it anywhere in the chart (every state's transitions, the create
transitions; timers and `arm` actions add `system`).  Then, on cases in several states, it fires
EVERY event as an actor of EVERY role of the configuration (plus admin):

- the actor cannot see the case (chart `roles` declarations: org_field / actor_field; admin sees
  no case)                                    -> 404 not_found, rule R-AUTH-2
- the role never appears for the event        -> 403 forbidden, rule R-AUTH-1 (also with the right
                                                 expected_version and data the schema would refuse:
                                                 the role is judged first, docs/statecharts.md)
- otherwise                                   -> 200, 409 or 422, precisely: computed from the
                                                 transitions on the active states (leaf up to root)
                                                 and the case view's allowed_events for the caller:
                                                 a transition names the role and the event is in
                                                 allowed_events -> 200 or 422 (guards, schema); a
                                                 transition names the role but allowed_events omits
                                                 it (`when` fails) -> 409; no transition for the event
                                                 is active -> 409; transitions for it are active but
                                                 name only other roles -> 403 or 409 (the docs allow
                                                 both readings; such cases are listed in the output)

and as an actor of a foreign organisation of each role -> 404, with the very body of an unknown
case id (existence does not leak).  After every refused attempt the case is unchanged: version,
state, status and history length.  System (timer) events are refused to every human role.

The matrix runs on all five charts, each in a "world" (a configuration mapping a gemeente to the chart,
a local actor for every role of it and a foreign one of another organisation per role, the chart's
aanmelding and toewijzing bodies):

- jeugdhulp-rijnmond       rotterdam (region rijnmond)
- jeugdhulp-alkmaar        alkmaar (region holland-noord mapped to the Alkmaar chart)
- jeugdhulp-westfriesland  hoorn (region westfriesland): toewijzen with WF's segment and onderdeel,
                           regie_bepalen where the table says "afhankelijk"
- jeugdhulp-mijov          apeldoorn (region mijov): the beslismodel, product {code, begindatum,
                           einddatum}, 45A75; a second world whose casusregisseur is the GI's professional
- jeugdhulp-zuid-limburg   maastricht (region zuid-limburg): toewijzen with an arrangement of
                           catalogs/zuid-limburg.json
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, SOURCE_DIR, TOKEN, Server, assert_error, make_config, run  # noqa: E402

UNKNOWN_ID = "c-999999"
UNKNOWN_EVENT = "bestaat_niet_event"

# --- the charts -------------------------------------------------------------------------------


def load_charts():
    charts = {}
    paths = sorted(glob.glob(os.path.join(SOURCE_DIR, "statecharts", "*.json")))
    assert paths, "no charts in %s/statecharts" % SOURCE_DIR
    for path in paths:
        # The chart as the server runs it: its includes (statecharts/common/) resolved.
        out = subprocess.run([os.environ.get("CASUSD", "build/casusd"), "statechart", "export", "--format", "json",
                              path], capture_output=True, text=True, timeout=120, check=True).stdout
        chart = json.loads(out)
        charts[chart["id"]] = chart
    return charts


def _walk_actions(actions, add):
    for a in actions or []:
        if not isinstance(a, dict):
            continue
        if "arm" in a and a.get("event"):
            add(a["event"], "system")
        for key in ("then", "else"):
            _walk_actions(a.get(key), add)


def event_roles(chart):
    """{event: set of roles that may fire it somewhere in the chart}; timer events carry "system"."""
    roles = {}

    def add(event, role):
        roles.setdefault(event, set()).add(role)

    def transition(t):
        roles.setdefault(t["event"], set())
        for r in t.get("roles", []):
            add(t["event"], r)
        _walk_actions(t.get("actions"), add)

    def state(s):
        for t in s.get("transitions", []):
            transition(t)
        for tm in s.get("timers", []):
            add(tm["event"], "system")
        for key in ("on_entry", "on_exit"):
            _walk_actions(s.get(key), add)
        for child in s.get("states", {}).values():
            state(child)

    for t in chart.get("create", []):
        transition(t)
    state(chart["root"])
    return roles


def chart_index(chart):
    """({state name: state}, {state name: parent name}) -- the root is "" ."""
    states, parent = {}, {}

    def walk(name, s, par):
        states[name] = s
        parent[name] = par
        for child_name, child in s.get("states", {}).items():
            walk(child_name, child, name)

    walk("", chart["root"], None)
    return states, parent


def candidates(index, leaves, event):
    """The transitions for event on the active states (docs/statecharts.md: leaves in document order, each
    from the leaf up to the root)."""
    states, parent = index
    out = []
    for leaf in leaves:
        name = leaf
        while name is not None:
            out += [t for t in states[name].get("transitions", []) if t["event"] == event]
            name = parent[name]
    return out


def visible(chart, actor_id, role, org, fields, notified=None):
    """R-AUTH-2 from the chart's role declarations (docs/statecharts.md): org_field, delegate_org_field or
    actor_field; a role with visible_after_notice only once the case notified it (R-PRIV-1: the case view's
    "notified")."""
    decl = chart["roles"].get(role)
    if decl is None:
        return False  # admin (and any role the chart does not declare) sees no cases
    if decl.get("actor_field") and fields.get(decl["actor_field"]) == actor_id:
        return True
    if decl.get("delegate_org_field") and fields.get(decl["delegate_org_field"]) == org:
        return True
    if decl.get("visible_after_notice") and role not in (notified or {}):
        return False
    return decl.get("org_field") is not None and fields.get(decl["org_field"]) == org


# --- the worlds: which actor plays which role --------------------------------------------------

EXTRA_ACTORS = [("tm-alkmaar", "teammanager", "alkmaar")]
# The newer charts' gemeenten and regions, each with an actor for every role of the configuration
# (procesregisseur, casusregisseur, teammanager, contractmanager, zbt; horizon's aanbieder and manager,
# in Zuid-Limburg mosa's).
MOSA = "mosa-jeugdhulp"
WF_ACTORS = [("pr-hoorn", "procesregisseur", "hoorn"), ("cr-hoorn", "casusregisseur", "hoorn"),
             ("tm-hoorn", "teammanager", "hoorn"), ("cm-westfriesland", "contractmanager", "westfriesland"),
             ("zbt-westfriesland", "zbt", "westfriesland")]
MIJOV_GI = "cr-gi-mijov"  # the GI's professional who holds regie with a maatregel (ZC §2)
MIJOV_ACTORS = [("pr-apeldoorn", "procesregisseur", "apeldoorn"), ("cr-apeldoorn", "casusregisseur", "apeldoorn"),
                ("tm-apeldoorn", "teammanager", "apeldoorn"), ("cm-mijov", "contractmanager", "mijov"),
                ("zbt-mijov", "zbt", "mijov"), (MIJOV_GI, "casusregisseur", "gi-mijov")]
ZL_ACTORS = [("pr-maastricht", "procesregisseur", "maastricht"), ("cr-maastricht", "casusregisseur", "maastricht"),
             ("tm-maastricht", "teammanager", "maastricht"), ("ab-mosa", "aanbieder", MOSA),
             ("abm-mosa", "aanbieder_manager", MOSA), ("cm-zuid-limburg", "contractmanager", "zuid-limburg"),
             ("zbt-zuid-limburg", "zbt", "zuid-limburg")]
TOKENS = dict(TOKEN)
for _aid, _role, _org in EXTRA_ACTORS + WF_ACTORS + MIJOV_ACTORS + ZL_ACTORS:
    TOKENS[_aid] = "tok-%s-%s" % (_aid, hashlib.sha256(_aid.encode()).hexdigest()[:12])


def add_actors(cfg, actors):
    for aid, role, org in actors:
        cfg["actors"].append({"id": aid, "role": role, "org": org,
                              "token_sha256": hashlib.sha256(TOKENS[aid].encode()).hexdigest()})
    return cfg


def alkmaar_config():
    """make_config(), with gemeente alkmaar (region holland-noord) on chart jeugdhulp-alkmaar, and a
    teammanager for alkmaar."""
    cfg = make_config()
    cfg["regions"]["holland-noord"]["chart"] = "jeugdhulp-alkmaar"
    return add_actors(cfg, EXTRA_ACTORS)


def region_config(region, chart, gemeenten, actors, **extra):
    """make_config(), with one more region on chart, and its actors."""
    cfg = make_config()
    cfg["regions"][region] = dict({"chart": chart, "gemeenten": gemeenten}, **extra)
    return add_actors(cfg, actors)


# The bodies Rijnmond and Alkmaar accept (route A's aanmelding, the toegang's toewijzing).
JEUGDIGE = {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}
TOEWIJZING = {"aanbieder": HORIZON, "product": "45A12", "begindatum": "2027-01-04", "einddatum": "2027-12-31"}


class World:
    """Who is who for cases of one gemeente: `local` actors (one per role of the config, plus admin) and
    `foreign` ones (one per role, another organisation of the same kind); the chart's bodies for the
    aanmelding (`create`, default route A's with the gemeente and local casusregisseur) and the toewijzing
    (`toewijzen`, default TOEWIJZING, updated with `toewijzen_extra`)."""

    def __init__(self, config, chart, gemeente, pr, local, foreign, toewijzen_extra=None, create=None,
                 toewijzen=None):
        self.config = config
        self.toewijzen = dict(TOEWIJZING if toewijzen is None else toewijzen, **(toewijzen_extra or {}))
        self.create = create if create is not None else {
            "verwijzer": "gemeente", "gemeente": gemeente, "casusregisseur": local["casusregisseur"],
            "regie_intensiteit": "midden", "toestemming_gegevensdeling": True, "jeugdige": JEUGDIGE}
        self.chart = chart
        self.gemeente = gemeente
        self.pr = pr  # who reads the case for the snapshots
        self.actors = {a["id"]: (a["role"], a["org"]) for a in config["actors"]}
        self.local = local
        self.foreign = foreign
        roles = set(r for r, _ in self.actors.values())
        assert set(local) == roles, "local actors for roles %s, config has %s" % (sorted(local), sorted(roles))
        assert set(foreign) == roles - {"admin"}, "foreign actors for %s, config has %s" % (sorted(foreign), sorted(roles))
        for role, aid in list(local.items()) + list(foreign.items()):
            assert self.actors[aid][0] == role, (aid, role)


def rijnmond_world(charts):
    cfg = make_config()
    return World(cfg, charts["jeugdhulp-rijnmond"], "rotterdam", "pr-rotterdam",
                 local={"procesregisseur": "pr-rotterdam", "casusregisseur": "cr-rotterdam",
                        "teammanager": "tm-rotterdam", "aanbieder": "ab-horizon",
                        "aanbieder_manager": "abm-horizon", "contractmanager": "cm-rijnmond", "zbt": "zbt-rijnmond",
                        "admin": "admin"},
                 foreign={"procesregisseur": "pr-schiedam", "casusregisseur": "cr-schiedam",
                          "teammanager": "tm-schiedam", "aanbieder": "ab-kompas",
                          "aanbieder_manager": "abm-kompas", "contractmanager": "cm-holland-noord",
                          "zbt": "zbt-holland-noord"},
                 toewijzen_extra={"risicotaxatie": "geen_risico"})  # R-SAFE-1: recorded before the start


# Foreign actors of every role for the regions outside rijnmond: rotterdam's, kompas's and rijnmond's.
FOREIGN_RIJNMOND = {"procesregisseur": "pr-rotterdam", "casusregisseur": "cr-rotterdam",
                    "teammanager": "tm-rotterdam", "aanbieder": "ab-kompas",
                    "aanbieder_manager": "abm-kompas", "contractmanager": "cm-rijnmond",
                    "zbt": "zbt-rijnmond"}


def alkmaar_world(charts):
    cfg = alkmaar_config()
    return World(cfg, charts["jeugdhulp-alkmaar"], "alkmaar", "pr-alkmaar",
                 local={"procesregisseur": "pr-alkmaar", "casusregisseur": "cr-alkmaar",
                        "teammanager": "tm-alkmaar", "aanbieder": "ab-horizon",
                        "aanbieder_manager": "abm-horizon", "contractmanager": "cm-holland-noord",
                        "zbt": "zbt-holland-noord", "admin": "admin"},
                 foreign=dict(FOREIGN_RIJNMOND),
                 toewijzen_extra={"ondersteuningsplan": "OP-2027-001"})


def westfriesland_world(charts):
    """Gemeente hoorn (region westfriesland) on jeugdhulp-westfriesland.  The toewijzing names WF
    §4.2.1's segment and onderdeel; segment B profiel 6 is "afhankelijk" (WF §4.2.2): the
    procesregisseur decides the regie afterwards (regie_bepalen)."""
    cfg = region_config("westfriesland", "jeugdhulp-westfriesland", ["hoorn"], WF_ACTORS)
    return World(cfg, charts["jeugdhulp-westfriesland"], "hoorn", "pr-hoorn",
                 local={"procesregisseur": "pr-hoorn", "casusregisseur": "cr-hoorn", "teammanager": "tm-hoorn",
                        "aanbieder": "ab-horizon", "aanbieder_manager": "abm-horizon",
                        "contractmanager": "cm-westfriesland", "zbt": "zbt-westfriesland", "admin": "admin"},
                 foreign=dict(FOREIGN_RIJNMOND),
                 toewijzen=dict(TOEWIJZING, product="45A01"),
                 toewijzen_extra={"ondersteuningsplan": "PP-2027-0007", "segment": "B", "onderdeel": "profiel_6"})


def mijov_world(charts, gi=False):
    """Gemeente apeldoorn (region mijov) on jeugdhulp-mijov (zorgcoördinatie): an aanmelding without
    regie_intensiteit, a toewijzing with product {code, begindatum, einddatum}.  With gi, the local
    casusregisseur is the GI's professional, whom a maatregel's beslismodel makes the casusregisseur (the
    aanmelding names none)."""
    cfg = region_config("mijov", "jeugdhulp-mijov", ["apeldoorn"], MIJOV_ACTORS)
    cr = MIJOV_GI if gi else "cr-apeldoorn"
    create = {"verwijzer": "gemeente", "gemeente": "apeldoorn", "toestemming_gegevensdeling": True,
              "jeugdige": JEUGDIGE}
    if not gi:
        create["casusregisseur"] = cr
    return World(cfg, charts["jeugdhulp-mijov"], "apeldoorn", "pr-apeldoorn",
                 local={"procesregisseur": "pr-apeldoorn", "casusregisseur": cr, "teammanager": "tm-apeldoorn",
                        "aanbieder": "ab-horizon", "aanbieder_manager": "abm-horizon",
                        "contractmanager": "cm-mijov", "zbt": "zbt-mijov", "admin": "admin"},
                 foreign=dict(FOREIGN_RIJNMOND), create=create,
                 toewijzen={"aanbieder": HORIZON,
                            "product": {"code": "45A01", "begindatum": "2027-01-04", "einddatum": "2027-12-31"}})


def zuid_limburg_world(charts):
    """Gemeente maastricht (region zuid-limburg) on jeugdhulp-zuid-limburg: the toewijzing names an
    arrangement of catalogs/zuid-limburg.json (R-ARR-1..4); the aanbieder is mosa-jeugdhulp."""
    cfg = region_config("zuid-limburg", "jeugdhulp-zuid-limburg", ["maastricht"], ZL_ACTORS, gis=["jb-zuid-limburg"])
    return World(cfg, charts["jeugdhulp-zuid-limburg"], "maastricht", "pr-maastricht",
                 local={"procesregisseur": "pr-maastricht", "casusregisseur": "cr-maastricht",
                        "teammanager": "tm-maastricht", "aanbieder": "ab-mosa", "aanbieder_manager": "abm-mosa",
                        "contractmanager": "cm-zuid-limburg", "zbt": "zbt-zuid-limburg", "admin": "admin"},
                 foreign=dict(FOREIGN_RIJNMOND),
                 toewijzen=dict(TOEWIJZING, aanbieder=MOSA, product="45A01"),
                 toewijzen_extra={"arrangement": "begeleiding_individueel", "ondersteuningsplan": "1G1P1R-2027-17"})


# --- requests ---------------------------------------------------------------------------------

def call(s, method, path, who, body=None):
    return s.req(method, path, TOKENS[who], body)


def fire(s, cid, who, event, data=None, expected_version=None):
    b = {"event": event}
    if data is not None:
        b["data"] = data
    if expected_version is not None:
        b["expected_version"] = expected_version
    return call(s, "POST", "/v1/cases/%s/events" % cid, who, b)


def must_fire(s, cid, who, event, data=None):
    st, body = fire(s, cid, who, event, data)
    assert st == 200, "setting up: %s by %s on %s: %s %s" % (event, who, cid, st, body)
    return body


def snapshot(s, world, cid):
    st, case = call(s, "GET", "/v1/cases/" + cid, world.pr)
    assert st == 200, (st, case)
    st, hist = call(s, "GET", "/v1/cases/%s/history" % cid, world.pr)
    assert st == 200, (st, hist)
    return case["version"], tuple(case["state"]), case["status"], len(hist["entries"])


# --- fixtures: a case in a given state ----------------------------------------------------------

def create_a(s, world, **extra):
    """An aanmelding by the toegang (route A): the world's create body, updated with extra."""
    st, case = call(s, "POST", "/v1/cases", world.pr, dict(world.create, **extra))
    assert st == 201, (st, case)
    assert case["status"] == "aangemeld", case
    return case["id"]


def create_b(s, world):
    st, case = call(s, "POST", "/v1/cases", world.local["aanbieder"], {
        "verwijzer": "huisarts", "gemeente": world.gemeente, "aanbieder": HORIZON,
        "casusregisseur": world.local["casusregisseur"],
        "jeugdige": {"naam": "Noor Jansen", "geboortedatum": "2012-02-29"},
        "product": {"code": "45A12", "begindatum": "2027-01-04", "einddatum": "2027-12-31"}})
    assert st == 201, (st, case)
    assert case["status"] == "verzoek_om_toewijzing", case
    return case["id"]


def toegewezen(s, world, cid=None, **extra):
    """A case the toegang assigned: the world's toewijzing, updated with extra."""
    cid = cid or create_a(s, world)
    case = must_fire(s, cid, world.pr, "toewijzen", dict(world.toewijzen, **extra))
    assert case["status"] == "toegewezen", case
    return cid


def in_zorg(s, world, cid=None):
    """A case in care: assigned (or cid) and started by the local aanbieder."""
    cid = cid or toegewezen(s, world)
    case = must_fire(s, cid, world.local["aanbieder"], "start_zorg")
    assert case["status"] == "in_zorg", case
    return cid


def then(base, who_role, event, data, status=None):
    def make(s, world):
        cid = base(s, world)
        case = must_fire(s, cid, world.local[who_role], event, data)
        assert status is None or case["status"] == status, case
        return cid
    make.__name__ = "%s+%s" % (base.__name__, event)
    return make


RIJNMOND_STATES = [
    ("aangemeld", create_a),
    ("verzoek_om_toewijzing", create_b),
    ("toegewezen", toegewezen),
    ("in_zorg", in_zorg),
    ("opgeschort", then(in_zorg, "aanbieder", "zorg_opschorten", {"reden": "ziekenhuisopname"}, "opgeschort")),
    ("beeindiging_procedure", then(in_zorg, "aanbieder", "beeindiging_aankondigen", {"redenen": "geen voortgang"})),
    ("wijziging_in_behandeling", then(in_zorg, "aanbieder", "wijziging_aanvragen", {"reden": "meer uren nodig"})),
    ("escalatieladder", then(toegewezen, "aanbieder", "arrangement_betwisten", {"toelichting": "te licht"})),
]

ALK_BIJ_VERWIJZER = then(in_zorg, "procesregisseur", "escalatie_openen",
                         {"aanleiding": "complexe_situatie", "toelichting": "geen passend aanbod"})

ALKMAAR_STATES = [
    ("aangemeld", create_a),
    ("verzoek_om_toewijzing", create_b),
    ("toegewezen", toegewezen),
    ("in_zorg", in_zorg),
    ("ladder bij_verwijzer", ALK_BIJ_VERWIJZER),
    ("ladder intern_besproken", then(ALK_BIJ_VERWIJZER, "procesregisseur", "intern_bespreken",
                                     {"verslag": "besproken in het team"})),
    # version 2: the parts shared with Rijnmond
    ("opgeschort", then(in_zorg, "aanbieder", "zorg_opschorten", {"reden": "ziekenhuisopname"}, "opgeschort")),
    ("beeindiging_procedure", then(in_zorg, "aanbieder", "beeindiging_aankondigen", {"redenen": "geen voortgang"})),
]


# Westfriesland: segment B profiel 6 is "afhankelijk" (WF §4.2.2): toegewezen with the regie still to
# decide (regie_bepalen open), in care with it decided yes (the monitoring region: evaluations,
# perspectiefplan), segment B dagbesteding in care with it decided no, and a termination procedure (profiel
# 6, the regie still open).
WF_REGIE_JA = {"regie_verplicht": True, "toelichting": "meervoudige problematiek, ook schulden", "casusregisseur": "cr-hoorn"}
WF_REGIE_NEE = {"regie_verplicht": False, "toelichting": "gaat volledig naar school"}


def wf_dagbesteding_zonder_regie(s, world):
    cid = toegewezen(s, world, onderdeel="dagbesteding")
    case = must_fire(s, cid, world.pr, "regie_bepalen", WF_REGIE_NEE)
    assert case["fields"]["regie"] is False, case["fields"]
    return in_zorg(s, world, cid)


def wf_met_regie(s, world):
    cid = in_zorg(s, world)
    case = must_fire(s, cid, world.pr, "regie_bepalen", WF_REGIE_JA)
    assert case["fields"]["regie"] is True and "monitoring" in case["state"], case
    return cid


WESTFRIESLAND_STATES = [
    ("aangemeld", create_a),
    ("toegewezen, regie afhankelijk", toegewezen),
    ("in_zorg zonder regie (besloten)", wf_dagbesteding_zonder_regie),
    ("in_zorg met regie (besloten)", wf_met_regie),
    ("beeindiging_procedure", then(in_zorg, "aanbieder", "beeindiging_aankondigen", {"redenen": "geen voortgang"})),
]

# Mijov (zorgcoördinatie, ZC): the beslismodel (R-ZC-1) with the toegang coordinating, care with 45A01,
# and 45A75 (R-ZC-2..5) to an aanbieder deployed for the same jeugdige (linked by BSN, R-ZC-3); with a
# maatregel the GI's professional holds regie (mijov_world(gi=True)).
MIJOV_BSN = "123456782"


def beslis(toegang, **extra):
    return dict({"twee_of_meer_betrokkenen": True, "coordinatie_noodzakelijk": True, "kader": "vrijwillig",
                 "toegang_betrokken": toegang}, **extra)


BESLIS_GI = beslis(True, kader="jeugdreclassering", regisseur=MIJOV_GI)


def mijov_45a75(s, world):
    """The jeugdige in care at horizon with 45A01, and a case of theirs whose beslismodel has an aanbieder
    coordinate: 45A75 to horizon, started."""
    jeugdige = dict(JEUGDIGE, bsn=MIJOV_BSN)
    in_zorg(s, world, toegewezen(s, world, create_a(s, world, jeugdige=jeugdige)))
    cid = create_a(s, world, jeugdige=jeugdige)
    must_fire(s, cid, world.pr, "beslismodel_vastleggen", beslis(False))
    toegewezen(s, world, cid, product=dict(world.toewijzen["product"], code="45A75"))
    case = must_fire(s, cid, world.local["aanbieder"], "start_zorg")
    assert case["status"] == "in_zorg" and case["fields"]["zorgcoordinatie"]["aanbieder"] == HORIZON, case
    return cid


def mijov_gi(s, world):
    cid = create_a(s, world)
    case = must_fire(s, cid, world.pr, "beslismodel_vastleggen", BESLIS_GI)
    assert case["fields"]["casusregisseur"] == MIJOV_GI, case["fields"]
    assert case["fields"]["zorgcoordinatie"]["uitkomst"] == "regie_bij_gi", case["fields"]
    return cid


def mijov_gi_in_zorg(s, world):
    return in_zorg(s, world, toegewezen(s, world, mijov_gi(s, world)))


MIJOV_STATES = [
    ("aangemeld", create_a),
    ("aangemeld, de toegang coördineert", then(create_a, "procesregisseur", "beslismodel_vastleggen", beslis(True))),
    ("toegewezen", toegewezen),
    ("in_zorg", in_zorg),
    ("in_zorg 45A75", mijov_45a75),
]
MIJOV_GI_STATES = [
    ("aangemeld, regie bij de GI", mijov_gi),
    ("in_zorg, regie bij de GI", mijov_gi_in_zorg),
]

# Zuid-Limburg: begeleiding individueel from the catalogue; a wijziging (the aanpassing region) and a
# termination procedure while in care.
ZUID_LIMBURG_STATES = [
    ("aangemeld", create_a),
    ("toegewezen", toegewezen),
    ("in_zorg", in_zorg),
    ("wijziging_ingediend", then(in_zorg, "aanbieder", "wijziging_aanvragen",
                                 {"product": "45A02", "reden": "behandeling in plaats van begeleiding"})),
    ("beeindiging_procedure", then(in_zorg, "aanbieder", "beeindiging_aankondigen", {"redenen": "geen voortgang"})),
]

# --- the matrix -------------------------------------------------------------------------------

class Matrix:
    def __init__(self, s, world, label, factory):
        self.s = s
        self.world = world
        self.label = label
        self.factory = factory
        self.roles = event_roles(world.chart)
        self.index = chart_index(world.chart)
        self.failures = []
        self.ambiguous = set()
        self.counts = {}
        self.fresh()

    def fresh(self):
        """A new case in the state (after an attempt succeeded, or at the start)."""
        s, w = self.s, self.world
        self.cid = self.factory(s, w)
        st, case = call(s, "GET", "/v1/cases/" + self.cid, w.pr)
        assert st == 200, (st, case)
        assert case["chart"].startswith(w.chart["id"] + "@"), (self.label, case["chart"])  # the mapping took
        self.fields = case["fields"]
        self.notified = case.get("notified", {})
        self.state = case["state"]
        self.snap = snapshot(s, w, self.cid)
        self.allowed = {}
        for role, aid in w.local.items():
            st, view = call(s, "GET", "/v1/cases/" + self.cid, aid)
            vis = visible(w.chart, aid, role, w.actors[aid][1], self.fields, self.notified)
            if vis:
                assert st == 200, "%s (%s) should see %s (%s): %s %s" % (aid, role, self.cid, self.label, st, view)
                self.allowed[aid] = set(view["allowed_events"])
            else:
                assert_error(st, view, 404, code="not_found")
        for role, aid in w.foreign.items():
            assert not visible(w.chart, aid, role, w.actors[aid][1], self.fields, self.notified), (aid, self.fields)
            st, view = call(s, "GET", "/v1/cases/" + self.cid, aid)
            assert_error(st, view, 404, code="not_found")

    def fail(self, msg):
        self.failures.append("[%s %s] %s" % (self.label, self.state, msg))

    def unchanged(self, what):
        after = snapshot(self.s, self.world, self.cid)
        if after != self.snap:
            self.fail("%s changed the case: %r -> %r" % (what, self.snap, after))
            self.fresh()
            return False
        return True

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def check_error(self, what, st, body, want, code, rule=None):
        try:
            assert_error(st, body, want, code=code, rule=rule)
            return True
        except AssertionError as e:
            self.fail("%s: %s" % (what, e))
            return False

    def attempt_local(self, event, role, aid):
        w = self.world
        may = role in self.roles.get(event, set())
        vis = visible(w.chart, aid, role, w.actors[aid][1], self.fields, self.notified)
        what = "%s by %s (%s)" % (event, aid, role)
        st, body = fire(self.s, self.cid, aid, event, {})
        if not vis:
            self.count("404 not visible")
            self.check_error(what + " on a case it cannot see", st, body, 404, "not_found", "R-AUTH-2")
            self.unchanged(what)
            return
        allowed_now = event in self.allowed[aid]
        if not may:
            # R-AUTH-1: the role never fires this event anywhere in the chart
            self.count("403")
            if allowed_now:
                self.fail("%s: allowed_events lists an event the role may never fire" % what)
            if self.check_error(what + " (the role never fires it)", st, body, 403, "forbidden", "R-AUTH-1") and \
                    self.unchanged(what):
                # the role is judged before the version and the data (docs/statecharts.md, step 2 before 3)
                st, body = fire(self.s, self.cid, aid, event, {"x_hostile": [1, 2, 3]}, expected_version=self.snap[0])
                if self.check_error(what + " with expected_version and bad data", st, body, 403, "forbidden",
                                    "R-AUTH-1"):
                    self.unchanged(what + " with expected_version")
            else:
                self.unchanged(what)
            return
        cands = candidates(self.index, self.state, event)
        admitting = [c for c in cands if role in c.get("roles", [])]
        if cands and not admitting:
            # The role fires this event elsewhere, but the transitions for it on the active states name
            # other roles.  docs/statecharts.md says both "none admits the role -> 403" and "the role may
            # fire the event elsewhere but not now -> 409": either is accepted, and recorded.
            want = (403, 409)
        elif not admitting:
            want = (409,)           # not on the active states at all: not now
        elif allowed_now:
            want = (200, 422)       # allowed now; guards and the data schema may still refuse
        else:
            want = (409,)           # a transition names the role, but its `when` does not hold
        if st not in (200, 409, 422) + ((403,) if want == (403, 409) else ()):
            self.fail("%s: %s, want 200, 409 or 422: %s" % (what, st, body))
            self.unchanged(what)
            return
        if st not in want:
            self.fail("%s: %s, want %s (active %s, allowed_events %s): %s"
                      % (what, st, want, list(self.state), sorted(self.allowed[aid]), str(body)[:300]))
        if allowed_now and not admitting:
            self.fail("%s: allowed_events lists it, but no active transition names the role" % what)
        if want == (403, 409):
            self.ambiguous.add("%s by %s in %s -> %s" % (event, role, "/".join(self.state), st))
        if st == 200:
            self.count("200")
            if body.get("version") != self.snap[0] + 1:
                self.fail("%s: 200 but version %r after %r" % (what, body.get("version"), self.snap[0]))
            self.fresh()
            return
        self.count(str(st))
        self.check_error(what, st, body, st, None, "R-AUTH-1" if st == 403 else None)
        self.unchanged(what)

    def attempt_foreign(self, event, role, aid):
        what = "%s by foreign %s (%s)" % (event, aid, role)
        st_u, unknown = fire(self.s, UNKNOWN_ID, aid, event, {})
        st, body = fire(self.s, self.cid, aid, event, {})
        self.count("404 foreign")
        if self.check_error(what, st, body, 404, "not_found", "R-AUTH-2") and (st, body) != (st_u, unknown):
            self.fail("%s: differs from an unknown id (existence leaks): %r vs %r" % (what, body, unknown))
        self.unchanged(what)

    def run(self):
        w = self.world
        events = sorted(self.roles) + [UNKNOWN_EVENT]
        for event in events:
            for role, aid in sorted(w.local.items()):
                if event == UNKNOWN_EVENT:
                    st, body = fire(self.s, self.cid, aid, event, {})
                    vis = visible(w.chart, aid, role, w.actors[aid][1], self.fields, self.notified)
                    if vis:
                        self.check_error("an unknown event by %s" % aid, st, body, 400, "unknown_event")
                    else:
                        self.check_error("an unknown event by %s" % aid, st, body, 404, "not_found")
                    self.unchanged("an unknown event by %s" % aid)
                else:
                    self.attempt_local(event, role, aid)
            for role, aid in sorted(w.foreign.items()):
                self.attempt_foreign(event, role, aid)
        return self


def run_matrix(world, states):
    failures, summary = [], []
    with Server(config=world.config) as s:
        for label, factory in states:
            m = Matrix(s, world, label, factory).run()
            failures += m.failures
            summary.append("%s: %s" % (label, ", ".join("%s x%d" % kv for kv in sorted(m.counts.items()))))
            summary += ["  role fires the event elsewhere, not on the active states: " + a for a in sorted(m.ambiguous)]
            assert m.counts.get("403", 0) > 0 and m.counts.get("404 foreign", 0) > 0, (label, m.counts)
    print("     " + "\n     ".join(summary))
    assert not failures, "%d authorisation failure(s):\n   - %s" % (len(failures), "\n   - ".join(failures[:60]))


# --- tests ------------------------------------------------------------------------------------

def test_charts_declare_roles_and_system_events():
    """The matrix is meaningful: every chart has timer events that only `system` fires, and every role a
    transition names is declared (or system)."""
    for cid, chart in load_charts().items():
        roles = event_roles(chart)
        declared = set(chart["roles"])
        used = set().union(*roles.values())
        assert used <= declared | {"system"}, (cid, used - declared)
        system_only = [e for e, r in roles.items() if r == {"system"}]
        assert system_only, (cid, "no timer events")
        # The zorgcoördinatie chart (jeugdhulp-mijov) is small: 18 events.
        assert len(roles) >= (15 if cid == "jeugdhulp-mijov" else 20), (cid, len(roles))


def test_matrix_rijnmond():
    """R-AUTH-1, R-AUTH-2: every event of jeugdhulp-rijnmond x every role (plus admin, plus a foreign
    organisation per role) on rotterdam cases in aangemeld, verzoek_om_toewijzing, toegewezen, in_zorg,
    opgeschort, a termination procedure, a wijziging and the escalation ladder."""
    charts = load_charts()
    run_matrix(rijnmond_world(charts), RIJNMOND_STATES)


def test_matrix_alkmaar():
    """R-AUTH-1, R-AUTH-2: every event of jeugdhulp-alkmaar x every role (plus admin, plus a foreign
    organisation per role) on alkmaar cases (gemeente alkmaar mapped to the Alkmaar chart) in
    aangemeld, verzoek_om_toewijzing, toegewezen, in_zorg and two steps of the escalation ladder."""
    charts = load_charts()
    world = alkmaar_world(charts)
    with Server(config=world.config) as s:  # the mapping took: alkmaar cases run on the Alkmaar chart
        cid = create_a(s, world)
        st, case = call(s, "GET", "/v1/cases/" + cid, world.pr)
        assert case["chart"].startswith("jeugdhulp-alkmaar@"), case["chart"]
    run_matrix(world, ALKMAAR_STATES)


def test_matrix_westfriesland():
    """R-AUTH-1, R-AUTH-2: every event of jeugdhulp-westfriesland x every role (plus admin, plus a foreign
    organisation per role) on hoorn cases (region westfriesland) in aangemeld, toegewezen with the regie
    still to decide (segment B profiel 6), in_zorg with the regie decided no (segment B dagbesteding) and
    yes (regie_bepalen: the monitoring region), and a termination procedure."""
    run_matrix(westfriesland_world(load_charts()), WESTFRIESLAND_STATES)


def test_matrix_mijov():
    """R-AUTH-1, R-AUTH-2: every event of jeugdhulp-mijov x every role (plus admin, plus a foreign
    organisation per role) on apeldoorn cases (region mijov) in aangemeld (before and after a beslismodel
    that has the toegang coordinate), toegewezen, in_zorg with 45A01 and in_zorg with 45A75 (zorgcoördinatie
    by the aanbieder); then, with the GI's professional as the casusregisseur, a case whose beslismodel
    (a maatregel) gives the GI regie, aangemeld and in_zorg."""
    charts = load_charts()
    run_matrix(mijov_world(charts), MIJOV_STATES)
    run_matrix(mijov_world(charts, gi=True), MIJOV_GI_STATES)


def test_matrix_zuid_limburg():
    """R-AUTH-1, R-AUTH-2: every event of jeugdhulp-zuid-limburg x every role (plus admin, plus a foreign
    organisation per role) on maastricht cases (region zuid-limburg, arrangement begeleiding individueel)
    in aangemeld, toegewezen, in_zorg, a wijziging (wijziging_ingediend) and a termination procedure."""
    run_matrix(zuid_limburg_world(load_charts()), ZUID_LIMBURG_STATES)


def test_system_events_refused_to_every_human_role():
    """R-AUTH-1: the timer events (fired by `system` only) are 403 for every human role that sees the
    case, in all five charts (a case in care; in Rijnmond also one assigned, in Mijov one with 45A75),
    whatever the data or expected_version; foreign actors get 404."""
    charts = load_charts()
    for world, states in ((rijnmond_world(charts), [("in_zorg", in_zorg), ("toegewezen", toegewezen)]),
                          (alkmaar_world(charts), [("in_zorg", in_zorg)]),
                          (westfriesland_world(charts), [("in_zorg met regie", wf_met_regie)]),
                          (mijov_world(charts), [("in_zorg 45A75", mijov_45a75)]),
                          (zuid_limburg_world(charts), [("in_zorg", in_zorg)])):
        with Server(config=world.config) as s:
            for label, factory in states:
                cid = factory(s, world)
                before = snapshot(s, world, cid)
                st, case = call(s, "GET", "/v1/cases/" + cid, world.pr)
                fields = case["fields"]
                system_events = sorted(e for e, r in event_roles(world.chart).items() if r == {"system"})
                assert system_events, world.chart["id"]
                for event in system_events:
                    for role, aid in sorted(world.local.items()):
                        for data, ev in (({}, None), (None, before[0]), ({"x": 1}, before[0] + 1)):
                            st, body = fire(s, cid, aid, event, data, ev)
                            if visible(world.chart, aid, role, world.actors[aid][1], fields, case.get("notified")):
                                if ev is not None and ev != before[0]:
                                    assert st in (403, 409), (event, aid, st, body)
                                else:
                                    assert_error(st, body, 403, code="forbidden", rule="R-AUTH-1")
                            else:
                                assert_error(st, body, 404, code="not_found")
                    for role, aid in sorted(world.foreign.items()):
                        st, body = fire(s, cid, aid, event, {})
                        assert_error(st, body, 404, code="not_found")
                assert snapshot(s, world, cid) == before, (label, "changed by a system event attempt")


def test_actor_named_system_cannot_fire_timer_events():
    """R-AUTH-1: a configuration actor whose role is "system" either keeps the server from starting or
    gets nowhere: it sees no case and fires no timer event (timer events are the server's own)."""
    charts = load_charts()
    world = rijnmond_world(charts)
    cfg = make_config()
    tok = "tok-evil-system-" + hashlib.sha256(b"evil").hexdigest()[:12]
    cfg["actors"].append({"id": "evil", "role": "system", "org": "rotterdam",
                          "token_sha256": hashlib.sha256(tok.encode()).hexdigest()})
    s = Server(config=cfg)
    try:
        s.start()
    except AssertionError:
        return  # refused to start on such a configuration: fine
    try:
        cid = in_zorg(s, world)
        before = snapshot(s, world, cid)
        for event in sorted(e for e, r in event_roles(world.chart).items() if "system" in r):
            st, body = s.req("POST", "/v1/cases/%s/events" % cid, tok, {"event": event, "data": {}})
            assert st in (403, 404), (event, st, body)
            assert_error(st, body, st)
        st, body = s.req("GET", "/v1/cases/" + cid, tok)
        assert_error(st, body, 404, code="not_found")
        assert snapshot(s, world, cid) == before
    finally:
        s.stop()


def test_closed_case_refuses_everything():
    """A closed case (zorg_afsluiten -> beeindigd) accepts no event: every event by every local role is
    403 (role never fires it), 409 (it does) or 404 (cannot see the case) -- never 200 -- and nothing
    changes; foreign actors get 404."""
    charts = load_charts()
    world = rijnmond_world(charts)
    roles = event_roles(world.chart)
    with Server(config=world.config) as s:
        cid = in_zorg(s, world)
        must_fire(s, cid, "ab-horizon", "zorg_afsluiten", {"reden_beeindiging": "20", "einddatum_zorg": "2027-01-04"})
        st, case = call(s, "GET", "/v1/cases/" + cid, world.pr)
        assert case["closed"] is True and case["status"] == "beeindigd", case
        fields = case["fields"]
        before = snapshot(s, world, cid)
        failures = []
        for event in sorted(roles):
            for role, aid in sorted(world.local.items()):
                st, body = fire(s, cid, aid, event, {})
                if not visible(world.chart, aid, role, world.actors[aid][1], fields, case.get("notified")):
                    want = (404,)
                elif role not in roles[event]:
                    want = (403,)
                else:
                    want = (409,)
                if st not in want:
                    failures.append("%s by %s on a closed case: %s, want %s: %s" % (event, aid, st, want, body))
            for role, aid in sorted(world.foreign.items()):
                st, body = fire(s, cid, aid, event, {})
                if st != 404:
                    failures.append("%s by foreign %s: %s %s" % (event, aid, st, body))
        assert snapshot(s, world, cid) == before
        assert not failures, "%d attempt(s) on a closed case answered wrongly, e.g.:%s" % (
            len(failures), "\n   - ".join([""] + failures[:12]))


if __name__ == "__main__":
    run(globals())
