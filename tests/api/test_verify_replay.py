"""The verifier's counterexample scripts, replayed over HTTP on a real casusd (issue 9).

`casusd statechart verify CHART --trace-out SCRIPT` writes a shortest counterexample as a script
(docs/statecharts.md, "Verifying a chart", "Output"):

    [{"step", "role", "actor": {"id", "org"}, "event", "data", "now", "state", "status",
      "create"?: true}, ...]
    a move of the clock: {"role": "system", "event": null, "clock": true, "now",
                          "timers": [{"timer", "event", "due", "taken"}], "state", "status"}

Each test runs the verifier, starts a server (`--clock manual` at the script's first `now`, the
verified chart file in its `--charts` dir, a token for every actor the script names: its id, role
and org) and replays the script step by step: the create as POST /v1/cases, each event as
POST /v1/cases/{id}/events, each clock move as PUT /v1/admin/clock.  After every step the server
must agree with the verifier: the case's active states and status (GET /v1/cases/{id}), and the
history entries the step wrote (one per event, as that actor and role; one per timer the script
says was taken, at its deadline's fire time, in the script's order).
"""
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, MAX_PAGES, SOURCE_DIR, TOKEN, Server, run, tmpdir  # noqa: E402

CHART = os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-rijnmond.json")
# The R-BE-12 bypass (5 steps) lies past about 49 000 configurations of its slice since the toewijzing
# screens, bridges, is checked against its arrangement, records its risicotaxatie and carries iJw keys
# (issue 10): about 22 s here.
MAX_STATES = "60000"
VERIFY_TIMEOUT_S = 300.0
# The value the verifier gives a role's organisation field that no create body holds and the server
# sets (the region: "regio"): "<field>-1" (src/verify/model.c).  The script does not carry it; the
# server's region gets that name unless an actor of such a role names it (a contractmanager's org).
SERVER_FIELD_VALUE = "%s-1"


# --- the verifier ------------------------------------------------------------------------

def verify(chart_path, want_rc):
    """Runs the verifier on chart_path with --trace-out; returns the script."""
    d = tmpdir("casus-replay-verify-")
    script = os.path.join(d, "trace.json")
    p = subprocess.run([CASUSD, "statechart", "verify", chart_path, "--trace-out", script,
                        "--max-states", MAX_STATES], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=VERIFY_TIMEOUT_S)
    assert p.returncode == want_rc, "verify exited %d, want %d:\n%s\n%s" % (
        p.returncode, want_rc, p.stdout[-3000:], p.stderr[-2000:])
    with open(script) as f:
        steps = json.load(f)
    shutil.rmtree(d, ignore_errors=True)
    return steps


def plant(properties):
    """A copy of the Rijnmond chart with only `properties`, in a temporary dir; returns its path."""
    with open(CHART) as f:
        chart = json.load(f)
    chart["properties"] = properties
    path = os.path.join(tmpdir("casus-replay-chart-"), os.path.basename(CHART))
    with open(path, "w") as f:
        json.dump(chart, f, indent=1)
    return path


# --- the server for a script ------------------------------------------------------------------

def token_of(aid, role, org):
    return "tok-replay-" + hashlib.sha256(("%s|%s|%s" % (aid, role, org)).encode()).hexdigest()[:24]


def script_server(chart_path, script):
    """A Server (not started) for the script: the chart file alone in its --charts dir, one region
    with the create's gemeente (and its GI, when it names one), a token for every actor of the script
    and the admin (the clock),
    the manual clock at the first step's `now`.  Returns (server, {actor id: token})."""
    with open(chart_path) as f:
        chart = json.load(f)
    org_fields = {role: decl.get("org_field") for role, decl in chart["roles"].items()}
    actors, gemeenten, gis = {}, set(), set()
    for st in script:
        if st.get("clock"):
            continue
        a = st["actor"]
        who = (st["role"], a["org"])
        assert actors.setdefault(a["id"], who) == who, \
            "actor id %r appears as %r and as %r: one config cannot hold both" % (a["id"], actors[a["id"]], who)
        if st.get("create"):
            gemeenten.add(st["data"]["gemeente"])
            if isinstance(st["data"].get("gi"), str):  # route C: a GI the region must list (R-TW-1)
                gis.add(st["data"]["gi"])
    assert gemeenten, "the script has no create step"
    assert "admin" not in actors, "the script names an actor 'admin'"
    # The region: the verifier's value of a server-set organisation field (regio), or the org of
    # an actor whose role is organised by it (a contractmanager's org must be a region name).
    regions = {org for aid, (role, org) in actors.items() if org_fields.get(role) == "regio"}
    assert len(regions) <= 1, regions
    region = regions.pop() if regions else script[0].get("server_fields", {}).get("regio", SERVER_FIELD_VALUE % "regio")
    tokens = {aid: token_of(aid, role, org) for aid, (role, org) in actors.items()}
    config = {
        "description": "generated by tests/api/test_verify_replay.py",
        "regions": {region: dict({"chart": chart["id"], "gemeenten": sorted(gemeenten)},
                                  **({"gis": sorted(gis)} if gis else {}))},
        "actors": [{"id": aid, "role": role, "org": org,
                    "token_sha256": hashlib.sha256(tokens[aid].encode()).hexdigest()}
                   for aid, (role, org) in sorted(actors.items())]
                  + [{"id": "admin", "role": "admin", "org": "casusd",
                      "token_sha256": hashlib.sha256(TOKEN["admin"].encode()).hexdigest()}],
        "now": script[0]["now"],
        "rate_limit": {"writes_per_second": 0},
    }
    charts = tmpdir("casus-replay-charts-")
    shutil.copy(chart_path, os.path.join(charts, os.path.basename(chart_path)))
    chart_ref = "%s@%s" % (chart["id"], chart["version"])
    assert script[0]["chart"] == chart_ref, (script[0]["chart"], chart_ref)
    return Server(config=config, extra_args=["--charts", charts]), tokens, chart_ref


# --- the replay -------------------------------------------------------------------------------

def instant(text):
    return datetime.datetime.fromisoformat(text)


def history_after(s, cid, token, after):
    """The history entries with seq > after, page after page (bounded)."""
    entries, path = [], "/v1/cases/%s/history?after=%d&limit=1000" % (cid, after)
    for _ in range(MAX_PAGES):
        st, body = s.req("GET", path, token)
        assert st == 200, "GET history of %s: %s %s" % (cid, st, body)
        entries += body["entries"]
        if body["next"] is None:
            return entries
        path = "/v1/cases/%s/history?after=%d&limit=1000" % (cid, body["next"])
    raise AssertionError("history of %s: more than %d pages" % (cid, MAX_PAGES))


def replay(chart_path, script):
    """Replays the script on a server of its own; asserts agreement after every step.  Returns
    [(step, case view after it, history entries it wrote)]."""
    assert isinstance(script, list) and script, script
    assert script[0].get("create") is True, script[0]
    assert len(script) <= 64, "more steps than --depth allows: %d" % len(script)
    s, tokens, chart_ref = script_server(chart_path, script)
    seen = []
    with s:
        cid, now, reader, seq = None, script[0]["now"], None, 0
        for n, st in enumerate(script):
            where = "step %s (%s)" % (st.get("step"), "clock to " + st["now"] if st.get("clock") else st["event"])
            assert st.get("step") == n + 1, "%s: steps are numbered from 1 in order" % where
            assert "message" not in st, "%s: a step with a finding of its own: %s" % (where, st["message"])
            if st.get("clock"):
                assert cid is not None and st["role"] == "system" and st["event"] is None, where
                assert instant(st["now"]) > instant(now), "%s: the clock does not move forward from %s" % (where, now)
                st_code, before = s.req("GET", "/v1/cases/%s" % cid, tokens[reader])
                assert st_code == 200, "%s: GET case as %s: %s %s" % (where, reader, st_code, before)
                armed = {d["timer"]: d for d in before["deadlines"] if d.get("timer")}
                body = s.clock(st["now"])
                assert body.get("now") == st["now"], "%s: PUT /v1/admin/clock answered %r" % (where, body)
                now = st["now"]
                entries = history_after(s, cid, tokens[reader], seq)
                taken = [t for t in st["timers"] if t["taken"]]
                # Every deadline that came due in this move is one the script fired, and the other way round
                # for the timers that were armed before it (a timer armed and fired within the move is not).
                due = sorted(name for name, d in armed.items() if instant(d["fires_at"]) <= instant(now))
                fired_armed = sorted(t["timer"] for t in st["timers"] if t["timer"] in armed)
                assert due == fired_armed, "%s: timers due on the server %r, fired by the verifier %r (%r)" % (
                    where, due, fired_armed, st["timers"])
                got = [(e["event"], e["actor"], e["role"]) for e in entries]
                want = [(t["event"], "system", "system") for t in taken]
                assert got == want, "%s: history entries %r, the script's taken timers %r" % (where, got, want)
                for t, e in zip(taken, entries):
                    d = armed.get(t["timer"])
                    if d is not None:
                        assert (d["event"], d["due"]) == (t["event"], t["due"]), \
                            "%s: timer %s on the server %r, in the script %r" % (where, t["timer"], d, t)
                        assert e["time"] == d["fires_at"] == t["fires_at"], \
                            "%s: %s fired at %s, its deadline says %s, the script %s" % (
                                where, t["event"], e["time"], d["fires_at"], t["fires_at"])
            else:
                aid = st["actor"]["id"]
                token = tokens[aid]
                if st["now"] != now:  # an event at a later time than the step before without a clock step
                    assert instant(st["now"]) > instant(now), "%s: the clock does not move forward" % where
                    s.clock(st["now"])
                    now = st["now"]
                    seq = max([seq] + [e["seq"] for e in history_after(s, cid, token, seq)]) if cid else seq
                if st.get("create"):
                    assert cid is None, "%s: a second create" % where
                    status, body = s.req("POST", "/v1/cases", token, st["data"])
                    assert status == 201, "%s: POST /v1/cases as %s: %s %s" % (where, aid, status, body)
                    cid = body["id"]
                    assert body["created"] == st["now"], "%s: created at %s, the script's now %s" % (
                        where, body["created"], st["now"])
                else:
                    assert cid is not None, where
                    req = {"event": st["event"]}
                    if st.get("data") is not None:
                        req["data"] = st["data"]
                    status, body = s.req("POST", "/v1/cases/%s/events" % cid, token, req)
                    assert status == 200, "%s: POST %s as %s (%s, %s): %s %s" % (
                        where, st["event"], aid, st["role"], st["actor"]["org"], status, body)
                assert (body["state"], body["status"]) == (st["state"], st["status"]), \
                    "%s: the reply's state %r status %r, the script's %r %r" % (
                        where, body["state"], body["status"], st["state"], st["status"])
                reader = aid
                entries = history_after(s, cid, token, seq)
                got = [(e["event"], e["actor"], e["role"]) for e in entries]
                assert got == [(st["event"], aid, st["role"])], "%s: history entries %r" % (where, got)
                assert entries[0]["time"] == now, "%s: written at %s, the script's now %s" % (
                    where, entries[0]["time"], now)
            seq = max([seq] + [e["seq"] for e in entries])
            st_code, case = s.req("GET", "/v1/cases/%s" % cid, tokens[reader])
            assert st_code == 200, "%s: GET case as %s: %s %s" % (where, reader, st_code, case)
            assert case["chart"] == chart_ref, "%s: the case runs %s, the script %s" % (where, case["chart"], chart_ref)
            assert case["state"] == st["state"], "%s: server states %r, verifier states %r" % (
                where, case["state"], st["state"])
            assert case["status"] == st["status"], "%s: server status %r, verifier status %r" % (
                where, case["status"], st["status"])
            assert sorted(case.get("flags", [])) == sorted(st["flags"]), "%s: server flags %r, verifier flags %r" % (
                where, case.get("flags"), st["flags"])
            seen.append((st, case, entries))
    return seen


# --- the tests ---------------------------------------------------------------------------------

def test_r_be_12_trace_replays_on_the_server():
    """Issue 9, R-BE-12: the bypass the Rijnmond chart had before R-BE-12 was enforced (a copy without
    zorg_afsluiten's R-BE-12 guards, with the property geen_einde_tijdens_beeindigingsprocedure), violated
    in 5 steps: aanmelden, toewijzen, start_zorg, beeindiging_aankondigen, zorg_afsluiten (or, when breadth
    first does not reach that deep, on a longer random walk with clock moves). Replayed over
    HTTP on that copy, the server's states and status equal the verifier's after every step and the last
    step closes the case; the landed chart refuses that last step with 422 and the rule."""
    with open(CHART) as f:
        chart = json.load(f)
    t = next(t for t in chart["root"]["states"]["traject"]["states"]["in_zorg"]["transitions"]
             if t["event"] == "zorg_afsluiten")
    t["guards"] = [g for g in t["guards"] if g["rule"] != "R-BE-12"]
    chart["properties"] = [p for p in chart["properties"] if p["name"] == "geen_einde_tijdens_beeindigingsprocedure"]
    path = os.path.join(tmpdir("casus-replay-chart-"), os.path.basename(CHART))
    with open(path, "w") as f:
        json.dump(chart, f, indent=1)
    script = verify(path, 1)
    events = [st["event"] for st in script]
    # Breadth first finds the 5 steps when its bound reaches them; otherwise a random walk past the bound
    # finds a longer way, with clock moves (docs/statecharts.md): either replays.
    if len(script) == 5:
        assert events == ["aanmelden", "toewijzen", "start_zorg", "beeindiging_aankondigen", "zorg_afsluiten"], script
        assert not any(st.get("clock") for st in script), script
    assert events[0] == "aanmelden" and "beeindiging_aankondigen" in events and events[-1] == "zorg_afsluiten", events
    seen = replay(path, script)
    assert len(seen) == len(script)
    # the termination procedure was open (the property's point) when zorg_afsluiten ended the case
    assert any(x.startswith("beeindiging_") for x in seen[-2][1]["state"]), seen[-2][1]["state"]
    last = seen[-1][1]
    assert last["closed"] is True and last["status"] == "beeindigd" and last["state"] == ["beeindigd"], last
    assert last["deadlines"] == [], last["deadlines"]
    # the landed chart: the same script up to the announcement, then the last step is refused
    s, tokens, _ = script_server(CHART, script)
    with s:
        cid, now = None, script[0]["now"]
        for st in script:
            if st.get("clock") or st["now"] != now:
                now = st["now"]
                s.clock(now)
                if st.get("clock"):
                    continue
            token = tokens[st["actor"]["id"]]
            if st.get("create"):
                status, body = s.req("POST", "/v1/cases", token, st["data"])
                assert status == 201, (status, body)
                cid = body["id"]
                continue
            req = {"event": st["event"]}
            if st.get("data") is not None:
                req["data"] = st["data"]
            status, body = s.req("POST", "/v1/cases/%s/events" % cid, token, req)
            if st["event"] != "zorg_afsluiten":
                assert status == 200, (st["event"], status, body)
        assert status == 422 and body["error"]["rule"] == "R-BE-12", (status, body)


def test_planted_timer_property_trace_replays_with_its_clock_move():
    """Issue 9: a planted property that fails only after a timer fired (start_zorg_termijn_verlopen,
    R-TW-2) and an event after it: the script moves the clock (a `"clock": true` step with its timers),
    then the aanbieder starts care at the new time.  The server fires the same timer at its deadline,
    writes it to the history as the system, and agrees on the states and status after every step."""
    chart = plant([{"name": "start_na_verlopen_termijn", "rule": "R-TEST",
                    "description": "planted by test_verify_replay.py: care may not start after the term passed",
                    "never": {"all": [{"path": "run.events.start_zorg_termijn_verlopen", "eq": True},
                                      {"path": "run.last.event", "eq": "start_zorg"}]}}])
    script = verify(chart, 1)
    clocks = [st for st in script if st.get("clock")]
    assert len(clocks) >= 1 and any(t["event"] == "start_zorg_termijn_verlopen" and t["taken"]
                                    for st in clocks for t in st["timers"]), script
    assert script[-1]["event"] == "start_zorg", script[-1]
    assert script[-1]["now"] == clocks[-1]["now"], "the event after the clock move is at its time"
    seen = replay(chart, script)
    for st, case, entries in seen:
        if st.get("clock"):
            assert entries, "a clock step of this script fires a timer"
            fired = [e for e in entries if e["event"] == "start_zorg_termijn_verlopen"]
            assert len(fired) == 1 and fired[0]["rule"] == "R-TW-2", entries
            assert "start_zorg_termijn_verlopen" in case["flags"], case["flags"]
            assert all(d["kind"] != "start_zorg" for d in case["deadlines"]), case["deadlines"]
    # The shortest run assigns a toewijzing that ends within days: a start reported after its einddatum is
    # recorded but finds the toewijzing expired (R-MON-9, status beeindigd, stop zorg due), else care starts.
    last = seen[-1][1]
    assert last["status"] == "in_zorg" or (last["status"] == "beeindigd" and "toewijzing_verlopen" in last["state"]
                                           and last["closed"] is False), last


if __name__ == "__main__":
    run(globals())
