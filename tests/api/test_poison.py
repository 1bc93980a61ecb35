"""Poison containment (R-TIME-3, issue 15 item 1): a timer whose event the engine refuses, or whose result
the store refuses (a case's full history, a damaged record), is consumed as failed in a child transaction
of its own: the timer leaves its case, the case's history records the failure (actor "system", the
timer's event, the reason) when it still takes an entry, the procesregisseur (the chart's
"timer_failure" roles) gets a task naming it, and every later timer fires; in a chunk, in the catch-up
before a write, and at start-up.

Two test-only knobs (docs/operations.md) keep the reproductions small: CASUSD_TEST_EVENTS_PER_CASE_MAX
lowers the per-case history limit, CASUSD_TEST_TIMER_FIRES_PER_CHUNK_MAX the timers fired per chunk.  A
chart variant (--charts DIR) whose start-zorg deadline of a Rotterdam case wants data no timer has makes
the engine refuse a timer's event."""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import (CASUSD, SOURCE_DIR, TOKEN, Server, assert_error, deadline, make_config, metric, put_clock_async,  # noqa: E402
                   run, tasks)

HISTORY_MAX = 8  # the lowered history limit: a full case is a few requests away
FULL = {"CASUSD_TEST_EVENTS_PER_CASE_MAX": str(HISTORY_MAX)}
MON = "2027-01-04T09:00:00+01:00"
TUE = "2027-01-05T09:00:00+01:00"
LATER = "2027-01-20T09:00:00+01:00"  # past both start-zorg deadlines (2027-01-11 and 2027-01-12)
FAILED_KIND = "termijn_mislukt"  # the bundled charts' timer_failure task


def assigned(s, gemeente):
    """A route A case of gemeente, assigned (so its start-zorg deadline runs); returns its id."""
    pr = "pr-%s" % gemeente
    cid = s.create_a(gemeente=gemeente)["id"]
    st, body = s.toewijzen(cid, pr=pr)
    assert st == 200, body
    assert deadline(body, "start_zorg") is not None, body
    return cid


def fill_history(s, cid):
    """casusregisseur_wijzigen until the Rotterdam case holds HISTORY_MAX entries; one more is refused."""
    n = len(s.history(cid, "pr-rotterdam"))
    who = "cr-rotterdam"
    while n < HISTORY_MAX:
        who = "cr2-rotterdam" if who == "cr-rotterdam" else "cr-rotterdam"
        s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": who})
        n += 1
    who = "cr2-rotterdam" if who == "cr-rotterdam" else "cr-rotterdam"
    st, body = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": who})
    err = assert_error(st, body, 422, "invalid_data", "R-AUD-1")
    assert "history is full (%d entries)" % HISTORY_MAX in err["message"], err
    assert len(s.history(cid, "pr-rotterdam")) == HISTORY_MAX


def assert_fired(s, cid, pr):
    """The case's start-zorg deadline fired as usual: its system entry, its flag and the task."""
    events = [e["event"] for e in s.history(cid, pr) if e["actor"] == "system"]
    assert events == ["start_zorg_termijn_verlopen"], events
    case = s.get_case(cid, pr)
    assert "start_zorg_termijn_verlopen" in case["flags"], case["flags"]
    assert tasks(s.inbox(pr), cid, "start_zorg_termijn_verlopen"), s.inbox(pr)


def assert_failed_task(s, cid):
    """The procesregisseur, and no one else, got the task that names the failed timer."""
    mine = tasks(s.inbox("pr-rotterdam"), cid, FAILED_KIND)
    assert len(mine) == 1, s.inbox("pr-rotterdam")
    task = mine[0]
    assert task["type"] == "task" and task["rule"] == "R-TIME-3" and task["role"] == "procesregisseur", task
    assert "start_zorg_termijn_verlopen" in task["title"], task
    for who in ("cr-rotterdam", "cr2-rotterdam", "ab-horizon", "pr-alkmaar"):
        assert not tasks(s.inbox(who), cid, FAILED_KIND), (who, s.inbox(who))
    return task


def assert_consumed(s, cid):
    """The timer left the case: no start-zorg deadline, no flag of it, and its index entry is gone
    (the next clock step fires nothing more)."""
    case = s.get_case(cid, "pr-rotterdam")
    assert deadline(case, "start_zorg") is None, case["deadlines"]
    assert "start_zorg_termijn_verlopen" not in case["flags"], case["flags"]
    return case


def verify(data_dir):
    rc = subprocess.run([CASUSD, "verify", "--data", data_dir], capture_output=True, text=True, timeout=120)
    assert rc.returncode == 0, rc.stdout + rc.stderr


def poisoned_charts(dirname):
    """--charts DIR with the rijnmond chart whose start-zorg deadline of a Rotterdam case wants data that a
    timer never has, so the engine refuses the timer's event (invalid_data); other gemeenten's deadlines
    take the usual transition."""
    with open(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-rijnmond.json")) as f:
        chart = json.load(f)
    trs = chart["root"]["states"]["traject"]["states"]["toegewezen"]["transitions"]
    i = [t["event"] for t in trs].index("start_zorg_termijn_verlopen")
    poison = dict(trs[i], when={"path": "fields.gemeente", "eq": "rotterdam"},
                  data={"reden": {"type": "string", "required": True}})
    trs.insert(i, poison)
    os.makedirs(dirname)
    with open(os.path.join(dirname, "jeugdhulp-rijnmond.json"), "w") as f:
        json.dump(chart, f)
    return dirname


def test_r_time_3_full_history_timer_blocks_nothing():
    """R-TIME-3 (the issue's reproduction, scaled down): a Rotterdam case filled to its history limit with
    a pending start-zorg deadline, and an Alkmaar case whose deadline comes a day later.  The clock step
    answers 200; the Alkmaar deadline fired; the full case's timer is consumed without a history entry
    (there is no room) and the procesregisseur has a task naming it.  Then the same at start-up: the
    server starts on a store whose overdue timers include a poisoned one."""
    with Server(now=MON, env=FULL) as s:
        assert "CASUSD_TEST_EVENTS_PER_CASE_MAX lowers the limit from 100000 to %d" % HISTORY_MAX in s.stderr()
        full = assigned(s, "rotterdam")
        fill_history(s, full)
        s.clock(TUE)
        other = assigned(s, "alkmaar")
        before = s.get_case(full, "pr-rotterdam")
        failed_before = metric(s, "casusd_timers_failed_total")

        st, body = s.set_clock(LATER)
        assert st == 200, (st, body)

        assert_fired(s, other, "pr-alkmaar")
        case = assert_consumed(s, full)
        assert case["version"] == before["version"], (before["version"], case["version"])  # no entry, no version
        assert len(s.history(full, "pr-rotterdam")) == HISTORY_MAX
        task = assert_failed_task(s, full)
        assert "(invalid_data)" in task["title"], task
        assert metric(s, "casusd_timers_failed_total") == failed_before + 1
        assert ("timer start_zorg_termijn of case %s failed when it came due (invalid_data: The case's history "
                "is full (%d entries).); its history takes no entry" % (full, HISTORY_MAX)) in s.stderr(), s.stderr()

        # At start-up: another full case and another Alkmaar deadline come due while the server is down.
        full2 = assigned(s, "rotterdam")
        fill_history(s, full2)
        other2 = assigned(s, "alkmaar")
        s.restart(now="2027-02-15T09:00:00+01:00")  # starts: no "firing overdue timers failed"
        assert "firing overdue timers failed" not in s.stderr(), s.stderr()
        assert_fired(s, other2, "pr-alkmaar")
        assert_consumed(s, full2)
        assert_failed_task(s, full2)
        assert len(s.history(full2, "pr-rotterdam")) == HISTORY_MAX
        assert "timer start_zorg_termijn of case %s failed when it came due" % full2 in s.stderr(), s.stderr()
        # A restart fires nothing again: the failed timer was consumed once.
        s.restart(now="2027-02-16T09:00:00+01:00")
        assert len(tasks(s.inbox("pr-rotterdam"), full2, FAILED_KIND)) == 1
        assert "failed when it came due" not in s.stderr(), s.stderr()
    verify(s.data)


def test_r_time_3_refused_timer_event_is_recorded_in_the_history():
    """R-TIME-3, R-AUD-1: a timer whose event the engine refuses (its transition wants data) is recorded as
    failed in the case's history: actor and role "system", the timer's event, "failed": true, the reason,
    the due instant as its time, the next version, and the chain stays intact (casusd verify).  The
    Alkmaar deadline due a day later fires; the case takes writes again."""
    charts = poisoned_charts(os.path.join(Server().dir, "charts"))
    with Server(now=MON, extra_args=["--charts", charts]) as s:
        poisoned = assigned(s, "rotterdam")
        fires_at = deadline(s.get_case(poisoned, "pr-rotterdam"), "start_zorg")["fires_at"]
        s.clock(TUE)
        other = assigned(s, "alkmaar")
        before = s.get_case(poisoned, "pr-rotterdam")

        st, body = s.set_clock(LATER)
        assert st == 200, (st, body)

        assert_fired(s, other, "pr-alkmaar")
        case = assert_consumed(s, poisoned)
        assert case["version"] == before["version"] + 1, (before["version"], case["version"])
        last = s.history(poisoned, "pr-rotterdam")[-1]
        assert last["failed"] is True, last
        assert (last["actor"], last["role"], last["event"]) == ("system", "system", "start_zorg_termijn_verlopen")
        assert last["data"]["timer"] == "start_zorg_termijn" and last["data"]["error"] == "invalid_data", last
        assert 'field "reden" is required' in last["data"]["reason"], last
        assert last["time"] == fires_at and last["version"] == case["version"] and last["rule"] == "R-TIME-3", last
        assert last["from"] == last["to"] == before["state"], last
        assert_failed_task(s, poisoned)
        # the case goes on: a write is accepted on top of the failed entry
        st, body = s.event(poisoned, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        assert st == 200 and body["version"] == case["version"] + 1, (st, body)
    verify(s.data)


def test_r_time_3_refused_timer_at_start_up():
    """R-TIME-3: overdue timers fire at start-up; one whose event the engine refuses is consumed as failed,
    and the server starts and the later Alkmaar deadline fires."""
    charts = poisoned_charts(os.path.join(Server().dir, "charts"))
    with Server(now=MON, extra_args=["--charts", charts]) as s:
        poisoned = assigned(s, "rotterdam")
        s.clock(TUE)
        other = assigned(s, "alkmaar")
        s.restart(now=LATER)
        assert "firing overdue timers failed" not in s.stderr(), s.stderr()
        assert_fired(s, other, "pr-alkmaar")
        assert_consumed(s, poisoned)
        assert s.history(poisoned, "pr-rotterdam")[-1]["failed"] is True
        assert_failed_task(s, poisoned)


FILLERS = 60  # Alkmaar deadlines due before the poisoned one, one per chunk


def test_r_time_3_refused_timer_in_the_catch_up_before_a_write():
    """R-TIME-3: a write to a case whose poisoned deadline is due but waits in a later chunk first catches
    it up: the timer is consumed as failed (its history entry comes before the write's), and the write is
    applied (200).  One timer per chunk (a test knob) leaves room for the write between the chunks."""
    charts = poisoned_charts(os.path.join(Server().dir, "charts"))
    env = {"CASUSD_TEST_TIMER_FIRES_PER_CHUNK_MAX": "1"}
    with Server(now=MON, extra_args=["--charts", charts], env=env) as s:
        fillers = [assigned(s, "alkmaar") for _ in range(FILLERS)]
        s.clock(TUE)
        poisoned = assigned(s, "rotterdam")  # due a day after every filler
        fired_before = metric(s, "casusd_timers_fired_total")
        result = {}
        clock = put_clock_async(s.port, LATER, result)
        for _ in range(100000):  # bounded: until the first chunk committed, so the clock has moved
            if metric(s, "casusd_timers_fired_total") > fired_before:
                break
        st, body = s.event(poisoned, "pr-rotterdam", "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        clock.join(300)
        assert result.get("clock", (0,))[0] == 200, result
        assert st == 200, (st, body)
        assert ("timer start_zorg_termijn of case %s failed while catching up before a write" % poisoned
                in s.stderr()), s.stderr()
        events = [(e["event"], e.get("failed", False)) for e in s.history(poisoned, "pr-rotterdam")]
        assert events[-2:] == [("start_zorg_termijn_verlopen", True), ("casusregisseur_wijzigen", False)], events
        assert body["version"] == s.history(poisoned, "pr-rotterdam")[-2]["version"] + 1, body
        assert_consumed(s, poisoned)
        assert_failed_task(s, poisoned)
        for cid in (fillers[0], fillers[-1]):
            assert_fired(s, cid, "pr-alkmaar")
        assert metric(s, "casusd_timer_chunks_total") >= FILLERS


def _mdb_put(data_dir, db, key, value):
    """Writes one raw record with LMDB's own mdb_load, bypassing casusd (a damaged record)."""
    def enc(b):
        return "".join(chr(c) if 0x20 < c < 0x7f and c != 0x5c else "\\%02x" % c for c in b)
    dump = "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n %s\n %s\nDATA=END\n" % (enc(key), enc(value))
    subprocess.run(["mdb_load", "-s", db, data_dir], input=dump, text=True, timeout=60, check=True,
                   capture_output=True)


def test_r_time_3_timer_of_a_damaged_case_blocks_nothing():
    """R-TIME-3: a timer whose case cannot be written (its index record is damaged) is consumed by
    dropping its index entry, after the history record and the record without history were refused; a
    timer whose case cannot even be read loses its index entry too.  Either way the server starts and the
    later Alkmaar deadline fires."""
    with Server(now=MON) as s:
        unwritable = assigned(s, "rotterdam")
        unreadable = assigned(s, "schiedam")
        s.clock(TUE)
        other = assigned(s, "alkmaar")
    _mdb_put(s.data, "casemeta", unwritable.encode(), b"x")  # a put of the case now meets store_corrupt
    _mdb_put(s.data, "cases", unreadable.encode(), b"{not json")  # the case does not parse
    s.config = make_config(LATER)
    s.start()
    try:
        err = s.stderr()
        assert "firing overdue timers failed" not in err, err
        # a damaged casemeta makes the case unreadable as well (its record no longer matches the digest
        # kept there), or, read, unwritable: either way only its index entry goes
        assert (("timer start_zorg_termijn of case %s failed when it came due (store_corrupt: The result could "
                 "not be stored: The data store is damaged.) and its case cannot be written; its index entry was "
                 "dropped" % unwritable) in err or
                ("timer start_zorg_termijn of case %s cannot fire: the case cannot be read (The data store is "
                 "damaged.); index entry dropped" % unwritable) in err), err
        assert ("timer start_zorg_termijn of case %s cannot fire: the case cannot be read (The data store is "
                "damaged.); index entry dropped" % unreadable) in err, err
        assert_fired(s, other, "pr-alkmaar")
        assert metric(s, "casusd_timers_failed_total") == 2
        s.restart()  # the dropped entries stay dropped: nothing fails again
        assert "failed when it came due" not in s.stderr() and "cannot fire" not in s.stderr(), s.stderr()
    finally:
        s.stop()


def test_test_knobs_only_lower_and_refuse_nonsense():
    """The test-only knobs can only lower their limits; anything else refuses the start with a sentence."""
    for env, says in (({"CASUSD_TEST_EVENTS_PER_CASE_MAX": "100001"}, "from 1 to 100000"),
                      ({"CASUSD_TEST_EVENTS_PER_CASE_MAX": "0"}, "from 1 to 100000"),
                      ({"CASUSD_TEST_EVENTS_PER_CASE_MAX": "ten"}, "CASUSD_TEST_EVENTS_PER_CASE_MAX"),
                      ({"CASUSD_TEST_TIMER_FIRES_PER_CHUNK_MAX": "1001"}, "from 1 to 1000")):
        s = Server(env=env)
        try:
            s.start()
            raise AssertionError("casusd started with %r" % env)
        except AssertionError as e:
            if "started with" in str(e):
                raise
        assert "a test-only knob" in s.stderr() and says in s.stderr(), (env, s.stderr())


if __name__ == "__main__":
    run(globals())
