"""HTTP API tests: working days, the manual clock and durable timers (R-TIME-1..4, R-TW-2)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import TOKEN, Server, assert_error, deadline, run, tasks  # noqa: E402

THU_0325 = "2027-03-25T10:00:00+01:00"  # Thursday before Easter (Easter Monday: 29 March 2027)


def _system_entries(s, cid, event=None):
    return [e for e in s.history(cid, "pr-rotterdam")
            if e["actor"] == "system" and (event is None or e["event"] == event)]


def _assert_not_fired(s, cid):
    case = s.get_case(cid, "pr-rotterdam")
    assert "start_zorg_termijn_verlopen" not in case["flags"], case["flags"]
    assert deadline(case, "start_zorg") is not None, case["deadlines"]
    assert _system_entries(s, cid) == [], _system_entries(s, cid)
    assert tasks(s.inbox("pr-rotterdam"), cid, "start_zorg_termijn_verlopen") == []
    assert tasks(s.inbox("cr-rotterdam"), cid, "start_zorg_termijn_verlopen") == []


def _assert_fired_once(s, cid, fires_at):
    case = s.get_case(cid, "pr-rotterdam")
    assert case["flags"].count("start_zorg_termijn_verlopen") == 1, case["flags"]
    assert deadline(case, "start_zorg") is None, case["deadlines"]
    entries = _system_entries(s, cid)
    assert len(entries) == 1, entries
    e = entries[0]
    assert e["event"] == "start_zorg_termijn_verlopen" and e["actor"] == "system", e
    assert e["rule"] == "R-TW-2" and e["time"] == fires_at, e
    assert len(tasks(s.inbox("pr-rotterdam"), cid, "start_zorg_termijn_verlopen", "task")) == 1
    assert len(tasks(s.inbox("cr-rotterdam"), cid, "start_zorg_termijn_verlopen", "task")) == 1
    return case


def test_r_time_1_r_tw_2_easter_deadline_fires_once():
    """R-TIME-1, R-TW-2, R-TIME-4: toewijzing Thu 2027-03-25 -> start zorg due 2027-04-02 (Easter Monday
    skipped); not fired on 04-02 23:00; fired exactly once by 04-05 (flag, system history entry, a task
    each for procesregisseur and casusregisseur); later clock moves do not fire it again."""
    with Server(now=THU_0325) as s:
        cid = s.create_a()["id"]
        st, case = s.toewijzen(cid)
        assert st == 200, case
        d = deadline(case, "start_zorg")
        assert d is not None and d["due"] == "2027-04-02", case["deadlines"]
        assert d.get("rule") == "R-TW-2", d
        version = case["version"]
        s.clock("2027-04-02T23:00:00+02:00")
        _assert_not_fired(s, cid)
        assert s.get_case(cid, "pr-rotterdam")["version"] == version
        body = s.clock("2027-04-05T09:00:00+02:00")
        assert body.get("now") == "2027-04-05T09:00:00+02:00", body
        case = _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        assert case["version"] == version + 1 and case["status"] == "toegewezen", case
        for now in ("2027-04-05T09:00:01+02:00", "2027-04-12T09:00:00+02:00", "2027-06-01T09:00:00+02:00"):
            s.clock(now)
            _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        # the aanbieder can still confirm; that closes both tasks
        s.fire(cid, "ab-horizon", "start_zorg")
        for who in ("pr-rotterdam", "cr-rotterdam"):
            still_open = [t for t in tasks(s.inbox(who), cid, "start_zorg_termijn_verlopen") if t.get("open", True)]
            assert still_open == [], (who, still_open)


def test_r_time_1_koningsdag_bevrijdingsdag_hemelvaart():
    """R-TIME-1, R-TW-2: spoed toewijzing Mon 2027-04-26 -> due 2027-04-29 (Koningsdag Tue 27 April);
    toewijzing Tue 2027-05-04 -> due 2027-05-13 (Bevrijdingsdag 5 May, Hemelvaart 6 May)."""
    with Server(now="2027-04-26T09:00:00+02:00") as s:
        spoed = s.create_a()["id"]
        st, case = s.toewijzen(spoed, spoed=True)
        assert st == 200 and case["fields"]["spoed"] is True, case
        assert deadline(case, "start_zorg")["due"] == "2027-04-29", case["deadlines"]
        assert case["fields"]["betwisten_uiterlijk"] == "2027-04-29", case["fields"]
        # spoed given at registration works the same way
        spoed2 = s.create_a(spoed=True)["id"]
        st, case = s.toewijzen(spoed2)
        assert deadline(case, "start_zorg")["due"] == "2027-04-29", case["deadlines"]
        gewoon = s.create_a()["id"]
        st, case = s.toewijzen(gewoon, spoed=False)
        assert deadline(case, "start_zorg")["due"] == "2027-05-04", case["deadlines"]  # 27 Apr skipped
        s.clock("2027-05-04T09:00:00+02:00")
        cid = s.create_a()["id"]
        st, case = s.toewijzen(cid)
        assert deadline(case, "start_zorg")["due"] == "2027-05-13", case["deadlines"]
        assert case["fields"]["betwisten_uiterlijk"] == "2027-05-10", case["fields"]
        st, case = s.toewijzen(s.create_a()["id"], spoed=True)
        assert deadline(case, "start_zorg")["due"] == "2027-05-10", case["deadlines"]


def test_r_time_4_clock_backwards_422():
    """R-TIME-4: the clock only moves forward: a time before the current one is 422, nothing changes."""
    with Server(now=THU_0325) as s:
        s.clock("2027-03-26T09:00:00+01:00")
        for back in ("2027-03-26T08:59:59+01:00", "2027-03-25T10:00:00+01:00", "2020-01-01T00:00:00Z"):
            st, body = s.set_clock(back)
            assert_error(st, body, 422, code="clock_backwards", rule="R-TIME-4")
        assert s.create_a()["created"] == "2027-03-26T09:00:00+01:00"
        for bad in ({"now": "morgen"}, {"now": "2027-04-01"}, {}, {"now": "2027-04-01T09:00:00+02:00", "x": 1}):
            st, body = s.req("PUT", "/v1/admin/clock", TOKEN["admin"], bad)
            assert_error(st, body, 400)
        st, body = s.req("PUT", "/v1/admin/clock", TOKEN["admin"], "{not json")
        assert_error(st, body, 400)
        assert s.create_a()["created"] == "2027-03-26T09:00:00+01:00"


def test_r_time_4_clock_requires_manual_mode_409():
    """R-TIME-4: PUT /v1/admin/clock on a server without --clock manual is 409 clock_not_manual."""
    with Server(manual_clock=False) as s:
        st, body = s.set_clock("2035-01-01T09:00:00+01:00")
        assert_error(st, body, 409, code="clock_not_manual")
        st, body = s.req("PUT", "/v1/admin/clock", TOKEN["pr-rotterdam"], {"now": "2035-01-01T09:00:00+01:00"})
        assert_error(st, body, 403)
        created = s.create_a()["created"]
        assert not created.startswith("2035") and not created.startswith("2027-01-04"), created


def test_r_time_4_timers_fire_in_due_order():
    """R-TIME-4: one clock jump over several deadlines fires each once, in due order, at its due time."""
    with Server(now="2027-01-04T09:00:00+01:00") as s:  # Monday
        later = s.create_a()["id"]     # created first, due last
        s.toewijzen(later)             # 5 working days: due 2027-01-11
        middle = s.create_a()["id"]
        s.clock("2027-01-05T09:00:00+01:00")
        s.toewijzen(middle)            # 5 working days from Tue: due 2027-01-12
        first = s.create_a()["id"]
        s.toewijzen(first, spoed=True)  # 2 working days from Tue: due 2027-01-07
        st, verzoek = s.create_b()     # antwoordtermijn from Tue: due 2027-01-12
        assert st == 201, verzoek
        dues = {c: deadline(s.get_case(c, "pr-rotterdam"), "start_zorg")["due"] for c in (later, middle, first)}
        assert dues == {later: "2027-01-11", middle: "2027-01-12", first: "2027-01-07"}, dues
        s.clock("2027-01-25T09:00:00+01:00")
        times = {}
        for cid in (later, middle, first):
            entries = _system_entries(s, cid)
            assert len(entries) == 1 and entries[0]["event"] == "start_zorg_termijn_verlopen", entries
            times[cid] = entries[0]["time"]
        assert times == {first: "2027-01-08T00:00:00+01:00", later: "2027-01-12T00:00:00+01:00",
                         middle: "2027-01-13T00:00:00+01:00"}, times
        v = _system_entries(s, verzoek["id"])
        assert [(e["event"], e["time"]) for e in v] == [("antwoordtermijn_verlopen", "2027-01-13T00:00:00+01:00")], v
        # the order they fired in: the inbox sequence of the tasks they created
        items = s.inbox("pr-rotterdam")
        seq = {cid: tasks(items, cid, "start_zorg_termijn_verlopen")[0]["seq"] for cid in (later, middle, first)}
        assert seq[first] < seq[later] < seq[middle], seq
        created = {t["case_id"]: t["created"] for t in items if t["kind"] == "start_zorg_termijn_verlopen"}
        assert created == times, created


def test_r_time_3_restart_keeps_pending_timer():
    """R-TIME-3: a restart neither loses a pending timer nor fires it early; it then fires once."""
    with Server(now=THU_0325) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        before = s.get_case(cid, "pr-rotterdam")
        s.restart()
        after = s.get_case(cid, "pr-rotterdam")
        assert after["deadlines"] == before["deadlines"], (before["deadlines"], after["deadlines"])
        assert after["version"] == before["version"]
        _assert_not_fired(s, cid)
        s.restart(now="2027-04-02T23:00:00+02:00")  # before the due moment
        _assert_not_fired(s, cid)
        s.clock("2027-04-05T09:00:00+02:00")
        _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        s.restart(now="2027-04-06T09:00:00+02:00")
        _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")


def test_r_time_3_overdue_timer_fires_on_start_once():
    """R-TIME-3: a timer that came due while the service was down fires on start, exactly once;
    restarting again does not fire it again."""
    with Server(now=THU_0325) as s:
        cid = s.create_a()["id"]
        s.toewijzen(cid)
        other = s.create_a()["id"]  # a second case, due later, must stay pending
        s.clock("2027-03-30T09:00:00+02:00")
        st, case = s.toewijzen(other)
        assert deadline(case, "start_zorg")["due"] == "2027-04-06", case["deadlines"]
        s.restart(now="2027-04-05T09:00:00+02:00")  # down over the due moment of the first
        _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        assert _system_entries(s, other) == []
        assert deadline(s.get_case(other, "pr-rotterdam"), "start_zorg")["due"] == "2027-04-06"
        for now in ("2027-04-05T09:00:00+02:00", "2027-04-06T12:00:00+02:00"):
            s.restart(now=now)
            _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        s.restart(now="2027-04-08T09:00:00+02:00")
        _assert_fired_once(s, other, "2027-04-07T00:00:00+02:00")
        _assert_fired_once(s, cid, "2027-04-03T00:00:00+02:00")
        s.restart(now="2027-04-08T09:00:00+02:00")
        _assert_fired_once(s, other, "2027-04-07T00:00:00+02:00")


if __name__ == "__main__":
    run(globals())
