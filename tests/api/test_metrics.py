"""HTTP API tests of GET /metrics (docs/operations.md, Metrics): the values follow what happens.

- The gauges are counts the store keeps (cases per status and region, open tasks per kind, overdue
  deadlines per kind, pending timers, idempotency keys): they change with creates, events and a timer
  that fires, and after a restart they are what they were (they are stored, not process memory).
- Counters of accepted events per chart and event, of refusals per rule id (R-TW-1, R-SAFE-1 guards),
  and of timers fired.
- The latency histogram per route pattern and status class counts every response once, its buckets
  cumulative.
- casusd_build_info names the version, the git commit and the loaded charts.
- A live scrape passes `promtool check metrics` (Debian's prometheus package; scripts/install-deps.sh).
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import (CASUSD, DEFAULT_NOW, SOURCE_DIR, TOKEN, Server, assert_error, make_config, metrics,  # noqa: E402
                   run, tasks)

SPOED_FIRED = "2027-01-07T09:00:00+01:00"  # a spoed toewijzing on Monday 01-04: start zorg due Wednesday

GAUGES = ("casusd_cases{", "casusd_tasks_open{", "casusd_deadlines_overdue{", "casusd_timers_pending",
          "casusd_idempotency_keys")
EVENTS = 'casusd_events_total{chart="jeugdhulp-rijnmond",event="%s"}'
CASES = 'casusd_cases{status="%s",region="%s"}'
OVERDUE = 'casusd_deadlines_overdue{kind="start_zorg"}'
OPEN = 'casusd_tasks_open{kind="start_zorg_termijn_verlopen"}'
LATENCY = 'casusd_request_duration_seconds_%s{method="%s",route="%s",status="%s"%s'


def gauges(m):
    return {k: v for k, v in m.items() if k.startswith(GAUGES)}


def histogram_count(m, method, route, status):
    """The _count of one series, after checking its buckets: cumulative, +Inf equal to _count."""
    count = m.get(LATENCY % ("count", method, route, status, "}"), 0)
    if count == 0:
        return 0
    buckets = [(k, v) for k, v in m.items()
               if k.startswith(LATENCY % ("bucket", method, route, status, ',le="'))]
    assert len(buckets) == 13, buckets  # 12 bounds and +Inf
    values = [v for _, v in buckets]
    assert values == sorted(values), buckets
    assert buckets[-1][0].endswith('le="+Inf"}') and values[-1] == count, (buckets, count)
    assert m[LATENCY % ("sum", method, route, status, "}")] > 0
    return count


def deadlines_pending(s, ids):
    return sum(len(s.get_case(cid, "pr-rotterdam" if cid in ids[:2] else "pr-alkmaar")["deadlines"])
               for cid in ids)


def test_values_follow_events_timers_and_a_restart():
    # The idempotency record outlives the test's clock moves (at most 168 hours), so that the gauge of
    # idempotency keys is the same after the restart.
    with Server(config=dict(make_config(DEFAULT_NOW), idempotency_ttl_hours=168)) as s:
        m0 = metrics(s)
        assert gauges(m0) == {"casusd_timers_pending": 0, "casusd_idempotency_keys": 0}, gauges(m0)
        a = s.create_a()["id"]
        b = s.create_a()["id"]
        h = s.create_a(gemeente="alkmaar")["id"]
        st, _ = s.toewijzen(a, risicotaxatie=None, spoed=True, headers={"Idempotency-Key": "toewijzen-a"})
        assert st == 200
        # Refusals by two guards: a create (R-TW-1) and an event (R-SAFE-1: no risicotaxatie yet).
        st, body = s.create_b(verwijzer="gemeente")
        assert_error(st, body, 422, code="guard_failed", rule="R-TW-1")
        st, body = s.event(a, "ab-horizon", "start_zorg")
        assert_error(st, body, 422, code="guard_failed", rule="R-SAFE-1")

        m1 = metrics(s)
        assert m1[CASES % ("aangemeld", "rijnmond")] == 1, gauges(m1)
        assert m1[CASES % ("toegewezen", "rijnmond")] == 1, gauges(m1)
        assert m1[CASES % ("aangemeld", "holland-noord")] == 1, gauges(m1)
        assert m1["casusd_timers_pending"] == deadlines_pending(s, [a, b, h]) >= 1, gauges(m1)
        assert m1["casusd_idempotency_keys"] == 1
        # (holland-noord runs the rijnmond chart too, in the test configuration)
        events = {k: v for k, v in m1.items() if k.startswith(("casusd_events_total", "casusd_refusals_total"))}
        assert events == {EVENTS % "aanmelden": 3, EVENTS % "toewijzen": 1,
                          'casusd_refusals_total{rule="R-TW-1"}': 1,
                          'casusd_refusals_total{rule="R-SAFE-1"}': 1}, events
        assert m1.get(OVERDUE, 0) == 0 and m1.get(OPEN, 0) == 0
        assert histogram_count(m1, "POST", "/v1/cases", "2xx") == 3
        assert histogram_count(m1, "POST", "/v1/cases", "4xx") == 1
        assert histogram_count(m1, "POST", "/v1/cases/{id}/events", "2xx") == 1
        assert histogram_count(m1, "POST", "/v1/cases/{id}/events", "4xx") == 1
        # the scrapes so far (the histogram counts a scrape once its reply has left)
        assert histogram_count(m1, "GET", "/metrics", "2xx") == 1

        # R-TW-2: the start zorg deadline (spoed: 2 working days) passes; its timer fires and tasks the procesregisseur and
        # the casusregisseur: two open tasks of a missed deadline of kind start_zorg.
        s.clock(SPOED_FIRED)
        for who in ("pr-rotterdam", "cr-rotterdam"):
            mine = tasks(s.inbox(who), a, "start_zorg_termijn_verlopen", "task")
            assert len(mine) == 1 and mine[0]["deadline"] == "start_zorg", mine
        m2 = metrics(s)
        assert m2["casusd_timers_fired_total"] == m1["casusd_timers_fired_total"] + 1
        assert m2[OVERDUE] == 2 and m2[OPEN] == 2, gauges(m2)
        assert m2["casusd_timers_pending"] == m1["casusd_timers_pending"] - 1 == deadlines_pending(s, [a, b, h])
        assert m2["casusd_timer_lag_seconds"] == 0

        # The gauges are stored counts: a restart shows the same.
        before = gauges(m2)
        s.restart(now=SPOED_FIRED)
        m3 = metrics(s)
        assert gauges(m3) == before, (gauges(m3), before)
        assert EVENTS % "aanmelden" not in m3  # counters are the process's own

        # The start closes the missed deadline's tasks: nothing is overdue any more.
        s.fire(a, "cr-rotterdam", "risicotaxatie_vastleggen", {"uitkomst": "geen_risico"})
        s.fire(a, "ab-horizon", "start_zorg")
        m4 = metrics(s)
        assert m4[OVERDUE] == 0 and m4[OPEN] == 0, gauges(m4)
        assert m4[CASES % ("in_zorg", "rijnmond")] == 1 and m4[CASES % ("toegewezen", "rijnmond")] == 0
        assert m4[EVENTS % "start_zorg"] == 1

    # casusd verify compares every count with what it counts.
    p = subprocess.run([CASUSD, "verify", "--data", s.data], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "metric counts checked" in p.stdout, p.stdout + p.stderr


def test_build_info_names_version_commit_and_charts():
    with Server() as s:
        st, body = s.req("GET", "/v1/statecharts", TOKEN["pr-rotterdam"])
        assert st == 200
        refs = ",".join(c["ref"] for c in body["statecharts"])
        st, _, text = s.raw("GET", "/metrics", TOKEN["admin"])
        assert st == 200
    lines = [l for l in text.decode().splitlines() if l.startswith("casusd_build_info{")]
    assert len(lines) == 1, lines
    m = re.fullmatch(r'casusd_build_info\{version="([^"]*)",commit="([^"]*)",charts="([^"]*)"\} 1', lines[0])
    assert m, lines
    version, commit, charts = m.groups()
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt")) as f:
        want = re.search(r"project\(casusd VERSION ([0-9.]+)", f.read()).group(1)
    assert version == want, (version, want)
    assert charts == refs, (charts, refs)
    for c in body["statecharts"]:
        assert 'casusd_chart_info{chart="%s",version="%d"} 1' % (c["id"], c["version"]) in text.decode()
    if commit != "unknown":
        # The commit CMake saw at configure time: one of this repository's.
        assert re.fullmatch(r"[0-9a-f]{12}", commit), commit
        if shutil.which("git") and os.path.exists(os.path.join(SOURCE_DIR, ".git")):
            rc = subprocess.run(["git", "-C", SOURCE_DIR, "cat-file", "-e", commit + "^{commit}"],
                                capture_output=True, timeout=30).returncode
            assert rc == 0, "build_info names commit %s, which is not in %s" % (commit, SOURCE_DIR)


def promtool():
    path = os.environ.get("PROMTOOL") or shutil.which("promtool")
    assert path, "promtool not found: run scripts/install-deps.sh (Debian's prometheus package)"
    return path


def test_a_live_scrape_passes_promtool():
    with Server() as s:
        a = s.create_a()["id"]
        s.toewijzen(a)
        s.create_b(verwijzer="gemeente")
        s.req("GET", "/v1/no-such-path", TOKEN["pr-rotterdam"])
        s.clock("2027-01-13T09:00:00+01:00")
        metrics(s)  # so that the next scrape has a /metrics series in its histogram
        st, _, text = s.raw("GET", "/metrics", TOKEN["admin"])
        assert st == 200
    assert b'route="unmatched",status="4xx"' in text, text
    p = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, timeout=60)
    assert p.returncode == 0, (p.stdout + p.stderr).decode()


if __name__ == "__main__":
    run(globals())
