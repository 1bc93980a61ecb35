"""HTTP API tests of the write path's costs and of due timers that fire in chunks (issue: the write path
in one direction).  R-TIME-3: a storm of due timers fires completely, in chunks, while other clients are
served; an event on a case whose deadline passed meanwhile sees the deadline fire first."""
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import put_clock_async, metrics, TOKEN, Server, run  # noqa: E402

# The budget of one accepted event: the body and the stored case are parsed; the history entry, the case
# and the reply are serialised.  Anything more is a regression of the one-way write path.
PARSES_PER_EVENT_MAX = 2
SERIALISATIONS_PER_EVENT_MAX = 3


def test_event_json_budget():
    """An accepted event costs at most 2 JSON parses and 3 serialisations (casusd_json_*_total)."""
    with Server() as s:
        st, case = s.create_b()
        assert st == 201, case
        cid = case["id"]
        before = metrics(s)
        st, body = s.event(cid, "pr-rotterdam", "verzoek_in_onderzoek")
        assert st == 200, body
        after = metrics(s)
        parses = after["casusd_json_parses_total"] - before["casusd_json_parses_total"]
        dumps = after["casusd_json_serialisations_total"] - before["casusd_json_serialisations_total"]
        assert parses <= PARSES_PER_EVENT_MAX, "JSON parses per event: %d" % parses
        assert dumps <= SERIALISATIONS_PER_EVENT_MAX, "JSON serialisations per event: %d" % dumps
        # and the counters do count: the event did parse and serialise
        assert parses >= 1 and dumps >= 1, (parses, dumps)


def test_event_body_refused_before_queueing():
    """A malformed event body is refused at once (400/422), before it reaches the group commit: the
    commit counter does not move."""
    with Server() as s:
        cid = s.create_a()["id"]
        before = metrics(s)["casusd_commits_total"]
        for body, want in (({"event": "x", "extra": 1}, 400), ({"event": 5}, 400),
                           ({"event": "toewijzen", "data": []}, 422),
                           ({"event": "toewijzen", "expected_version": "1"}, 400)):
            st, reply = s.req("POST", "/v1/cases/%s/events" % cid, TOKEN["pr-rotterdam"], body)
            assert st == want, (body, st, reply)
        assert metrics(s)["casusd_commits_total"] == before


STORM_CASES = 1200  # more than one chunk's LIMIT_TIMER_FIRES_PER_CHUNK_MAX (1000)


def _poll_healthz(port, done, answered):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(1000000):  # bounded; stops when the PUT returned
        if done.is_set():
            break
        conn.request("GET", "/healthz")
        r = conn.getresponse()
        r.read()
        if not done.is_set() and r.status == 200:
            answered.append(time.monotonic())
    conn.close()


def test_r_time_3_timer_storm_fires_in_chunks_and_serves_others():
    """R-TIME-3: STORM_CASES start-zorg deadlines come due with one clock step.  The PUT answers only after
    every one fired (each exactly once), in more than one transaction; /healthz requests sent while it runs
    are answered before it (the loop is not held); and an event sent meanwhile to the case whose deadline
    fires last is applied after that deadline fired (the history shows the system entry first)."""
    with Server(now="2027-01-04T09:00:00+01:00") as s:
        ids = []
        for _ in range(STORM_CASES):
            cid = s.create_a()["id"]
            st, body = s.toewijzen(cid)
            assert st == 200, body
            ids.append(cid)
        before = metrics(s)
        done, answered, result = threading.Event(), [], {}
        poller = threading.Thread(target=_poll_healthz, args=(s.port, done, answered))
        poller.start()
        clock = put_clock_async(s.port, "2027-06-01T09:00:00+02:00", result)
        for _ in range(100000):  # bounded: until the first chunk committed, so the clock has moved
            if metrics(s)["casusd_timers_fired_total"] > before["casusd_timers_fired_total"]:
                break
        st, body = s.event(ids[-1], "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        clock.join(120)
        done.set()
        poller.join(60)
        assert result.get("clock", (0,))[0] == 200, result
        assert st == 200, body
        after = metrics(s)
        fired = after["casusd_timers_fired_total"] - before["casusd_timers_fired_total"]
        assert fired == STORM_CASES, fired
        chunks = after["casusd_timer_chunks_total"] - before["casusd_timer_chunks_total"]
        assert chunks >= 2, chunks
        assert answered, "no /healthz was answered while the timers fired"
        for cid in (ids[0], ids[-1]):
            case = s.get_case(cid, "pr-rotterdam")
            assert case["flags"].count("start_zorg_termijn_verlopen") == 1, case["flags"]
        events = [e["event"] for e in s.history(ids[-1], "pr-rotterdam")]
        assert events.count("start_zorg_termijn_verlopen") == 1, events
        assert events.index("start_zorg_termijn_verlopen") < events.index("casusregisseur_wijzigen"), events


if __name__ == "__main__":
    run(globals())
