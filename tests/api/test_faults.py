#!/usr/bin/env python3
"""The fault-injection suite (issue 15 item 8): nothing acknowledged is lost and the service comes back.

The faults of the issue, and where each is tested:
  - killed during commit: test_crash.py (SIGKILL under concurrent writers, and while timers fire);
  - disk full: here (the store's LMDB writes and commits fail with ENOSPC or MAP_FULL), and the unit
    test tests/unit/store/test_store_faults.c (every write and every commit of a workload);
  - map growth: test_growth.py (a small map grows ahead of need, no 503), and here (MAP_FULL at a
    commit: 503 store_full, the map grows, the next write succeeds);
  - truncated and bit-flipped stores: test_store_faults.py (a truncated data.mdb: exit 2, never
    SIGBUS; a damaged case record: 500 to its viewers alone; verify names each damaged record) and
    tests/unit/store/test_store_check.c;
  - a poisoned timer: test_poison.py; here, a timer whose firing meets a failing store is not
    taken for poison: it stays due and fires exactly once when the store works again;
  - a second server: test_store_faults.py (exit 2 naming the first);
  - a slow SSE reader: here (subscribers that never read while writers write).

The faults come from the test-only knob CASUSD_TEST_FAULT (docs/operations.md), the store's LMDB-level
hook: "KIND:N:ERR[:COUNT]" fails the Nth LMDB write or commit (child transactions too) after the start,
and the COUNT - 1 after it.  Each test asserts that a failed write is answered 503 and left no trace,
that every acknowledged (2xx) write is in the store after a restart, that the server serves on once the
fault has passed (no restart), and that `casusd verify` finds the store whole."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, TOKEN, VALGRIND, Server, assert_error, deadline, make_config, run, tasks  # noqa: E402

WRITERS = 4
WRITES_PER_WRITER = 60
FAILED_KIND = "termijn_mislukt"  # the bundled charts' timer_failure task
LATER = "2027-01-20T09:00:00+01:00"  # past a start-zorg deadline set on 2027-01-04


def config():
    cfg = make_config()
    cfg["rate_limit"] = {"writes_per_second": 0, "burst": 1}  # the writers here are meant to be fast
    return cfg


def verify(data_dir):
    rc = subprocess.run([CASUSD, "verify", "--data", data_dir], capture_output=True, text=True, timeout=120)
    assert rc.returncode == 0, rc.stdout + rc.stderr


def restart_with(s, fault):
    """Stops s and starts it again with CASUSD_TEST_FAULT=fault (None: without one)."""
    s.stop()
    s.env = {} if fault is None else {"CASUSD_TEST_FAULT": fault}
    s.start()


def writer(port, case_id, n, acked, statuses, holder=None):
    """n casusregisseur_wijzigen events on case_id over one keep-alive connection; the toelichting of each
    acknowledged one lands in acked, every status in statuses.  holder: the case's casusregisseur, when
    the caller knows it (else it is read first)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # the case's casusregisseur now; a refused write leaves it, so the next write asks the same change
        # (a read's access-log entry needs a commit: while commits fail, a read may be 503 too)
        for _ in range(0 if holder else 100):
            conn.request("GET", "/v1/cases/%s" % case_id, headers={"Authorization": "Bearer " + TOKEN["pr-rotterdam"]})
            r = conn.getresponse()
            got = json.loads(r.read())
            if r.status == 200:
                break
            assert_error(r.status, got, 503)
        holder = holder or got["fields"]["casusregisseur"]
        for i in range(n):
            note = "%s-%d" % (case_id, i)
            target = "cr2-rotterdam" if holder == "cr-rotterdam" else "cr-rotterdam"
            body = json.dumps({"event": "casusregisseur_wijzigen",
                               "data": {"casusregisseur": target, "toelichting": note}})
            conn.request("POST", "/v1/cases/%s/events" % case_id, body,
                         {"Authorization": "Bearer " + TOKEN["pr-rotterdam"], "Content-Type": "application/json"})
            r = conn.getresponse()
            reply = json.loads(r.read() or b"null")
            statuses.append((r.status, reply))
            if r.status == 200:
                acked.append(note)
                holder = target
    finally:
        conn.close()


def notes(s, case_id):
    return [e.get("data", {}).get("toelichting") for e in s.history(case_id, "pr-rotterdam")]


def run_writers(s, cases, holders=None):
    acked = {c: [] for c in cases}
    statuses = []
    threads = [threading.Thread(target=writer, args=(s.port, c, WRITES_PER_WRITER, acked[c], statuses,
                                                     (holders or {}).get(c)))
               for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a writer hangs"
    return acked, statuses


def assert_only_ok_or_503(statuses, code):
    for st, body in statuses:
        if st != 200:
            assert_error(st, body, 503, code=code)


def assert_nothing_lost(s, acked):
    """Every acknowledged event is in its case's history, once, and nothing refused is."""
    for c, want in acked.items():
        got = [n for n in notes(s, c) if n is not None]
        assert got == want, "case %s: acknowledged %d, history %d; first difference %r" % (
            c, len(want), len(got), next(((a, b) for a, b in zip(want, got) if a != b), None))


def test_concurrent_writers_while_commits_fail_with_eio():
    """Commits (a batch's, and each request's child) fail with EIO now and then while four writers write:
    the requests they carried get 503 store_unavailable, the others 200; the server serves on without a
    restart; after one, every acknowledged event is in its history, in order, and verify is clean."""
    s = Server(config=config())
    s.start()
    try:
        cases = [s.create_a()["id"] for _ in range(WRITERS)]
        # from here on: commit 5 and the 11 after it fail, then commits 40..45, counted from the restart
        acked, statuses = {}, []
        for fault in ("commit:5:EIO:12", "commit:40:EIO:6"):
            restart_with(s, fault)
            a, st = run_writers(s, cases)
            for c in cases:
                acked.setdefault(c, []).extend(a[c])
            statuses += st
            assert "test only: CASUSD_TEST_FAULT" in s.stderr(), s.stderr()
        failed = [st for st, _ in statuses if st != 200]
        assert failed, "no write met the fault"
        assert len(failed) < len(statuses) // 2, "%d of %d failed" % (len(failed), len(statuses))
        assert_only_ok_or_503(statuses, "store_unavailable")
        # the fault has passed: the same server writes again
        holder = s.get_case(cases[0], "pr-rotterdam")["fields"]["casusregisseur"]
        s.fire(cases[0], "pr-rotterdam", "casusregisseur_wijzigen",
               {"casusregisseur": "cr2-rotterdam" if holder == "cr-rotterdam" else "cr-rotterdam",
                "toelichting": "after"})
        acked[cases[0]].append("after")
        restart_with(s, None)
        assert_nothing_lost(s, acked)
        s.stop()
        verify(s.data)
    finally:
        s.kill()


def test_every_early_write_failing_in_turn_loses_nothing():
    """SQLite's loop, at the API: the Nth LMDB write after the start fails with EIO, for N = 1..WRITES
    over a create and two events.  The request that meets it is 503 and leaves nothing; the client's retry
    succeeds; verify is clean after every N."""
    s = Server(config=config())
    s.start()
    try:
        body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "jeugdige": {"naam": "Sam", "geboortedatum": "2012-05-01"}}
        n, hit = 1, 0
        while n <= 60:
            restart_with(s, "write:%d:EIO" % n)
            answers = []
            st, case = s.create("pr-rotterdam", body)
            answers.append(st)
            if st != 201:
                assert_error(st, case, 503, code="store_unavailable")
                st, case = s.create("pr-rotterdam", body)
                assert st == 201, (n, st, case)
            cid = case["id"]
            for i in range(2):
                data = {"casusregisseur": "cr2-rotterdam" if i == 0 else "cr-rotterdam", "toelichting": "n%d" % i}
                st, reply = s.event(cid, "pr-rotterdam", "casusregisseur_wijzigen", data)
                answers.append(st)
                if st != 200:
                    assert_error(st, reply, 503, code="store_unavailable")
                    s.fire(cid, "pr-rotterdam", "casusregisseur_wijzigen", data)
            if all(a in (200, 201) for a in answers):
                break  # N lies beyond this workload's writes
            hit += 1
            assert notes(s, cid)[-2:] == ["n0", "n1"], notes(s, cid)
            assert [e["version"] for e in s.history(cid, "pr-rotterdam")] == [1, 2, 3]
            n += 1 if n < 20 else 7  # every early write; then a sample
        assert hit >= 10, "only %d writes met the fault" % hit
        s.stop()
        verify(s.data)
    finally:
        s.kill()


def test_disk_full_for_a_while_then_recovers_without_restart():
    """Every LMDB write fails with ENOSPC for a while (60 operations in a row), as on a full disk:
    writes are 503 store_unavailable (and so are reads, whose access-log entries cannot be written: no
    read without its entry); then writes and reads succeed again on the same server, nothing
    acknowledged is lost, verify is clean."""
    s = Server(config=config())
    s.start()
    try:
        cases = [s.create_a()["id"] for _ in range(2)]
        holders = {c: s.get_case(c, "pr-rotterdam")["fields"]["casusregisseur"] for c in cases}
        restart_with(s, "write:3:ENOSPC:60")
        acked, statuses = run_writers(s, cases, holders)
        assert_only_ok_or_503(statuses, "store_unavailable")
        failed = [st for st, _ in statuses if st != 200]
        assert len(failed) >= 5, statuses[:10]
        assert statuses[-1][0] == 200 and statuses[-2][0] == 200, "the store did not come back"
        assert s.get_case(cases[0], "pr-rotterdam")["id"] == cases[0]  # reads served throughout
        restart_with(s, None)
        assert_nothing_lost(s, acked)
        s.stop()
        verify(s.data)
    finally:
        s.kill()


def test_map_full_at_commits_grows_the_map_and_loses_nothing():
    """MDB_MAP_FULL at commits: the map grows (the fallback of docs/operations.md) and the group commit
    is tried again after the growth, so the writers see 200 (or, should the retry fail too, 503
    store_full), and the next writes succeed on the same server."""
    s = Server(config=config())
    s.start()
    try:
        cases = [s.create_a()["id"] for _ in range(2)]
        restart_with(s, "commit:4:MAP_FULL:3")
        acked, statuses = run_writers(s, cases)
        assert_only_ok_or_503(statuses, "store_full")
        assert "map grown" in s.stderr() and "after MDB_MAP_FULL" in s.stderr(), s.stderr()
        assert statuses[-1][0] == 200
        restart_with(s, None)
        assert_nothing_lost(s, acked)
        s.stop()
        verify(s.data)
    finally:
        s.kill()


def test_timer_meeting_a_failing_store_is_not_poison_and_fires_once_later():
    """A due timer whose firing meets a failing store (EIO at every write for a while) is not consumed
    as a failed timer: no termijn_mislukt task, nothing in the history; once the store works, it fires
    exactly once (R-TIME-3)."""
    s = Server(config=config())
    s.start()
    try:
        cid = s.create_a()["id"]
        case = s.toewijzen(cid)[1]
        assert deadline(case, "start_zorg") is not None, case
        before = s.history(cid, "pr-rotterdam")
        restart_with(s, "write:1:EIO:40")
        answers = []
        for _ in range(60):
            st, body = s.req("PUT", "/v1/admin/clock", TOKEN["admin"], {"now": LATER})
            answers.append(st)
            if st == 200:
                break
            assert_error(st, body, 503)
        assert answers[-1] == 200, answers
        assert answers[0] == 503, "the fault was not met: %s" % answers
        history = s.history(cid, "pr-rotterdam")
        fired = [e for e in history[len(before):] if e.get("actor") == "system"]
        assert len(fired) == 1, history[len(before):]
        assert not tasks(s.inbox("pr-rotterdam"), cid, kind=FAILED_KIND), s.inbox("pr-rotterdam")
        restart_with(s, None)
        assert len(s.history(cid, "pr-rotterdam")) == len(history), "the timer fired again"
        s.stop()
        verify(s.data)
    finally:
        s.kill()


def test_slow_sse_readers_do_not_stop_writers_or_lose_anything():
    """Subscribers of /v1/stream that never read while writers write (and a commit fails now and then):
    every write is answered, the server serves others, its memory stays bounded, and every acknowledged
    event is in the store after a restart."""
    s = Server(config=config(), env={"CASUSD_TEST_FAULT": "commit:30:EIO:4"})
    s.start()
    socks = []
    try:
        cases = [s.create_a()["id"] for _ in range(WRITERS)]
        for who in ("pr-rotterdam", "cr-rotterdam", "cr2-rotterdam") * 3:
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Accept: text/event-stream\r\n\r\n" % TOKEN[who]).encode())
            socks.append(c)  # and never read
        t0 = time.monotonic()
        acked, statuses = run_writers(s, cases)
        elapsed = time.monotonic() - t0
        assert_only_ok_or_503(statuses, "store_unavailable")
        assert sum(len(v) for v in acked.values()) > WRITERS * WRITES_PER_WRITER // 2
        assert VALGRIND or elapsed < 60, "writers took %.1f s" % elapsed
        st, body = s.req("GET", "/healthz")
        assert st == 200, (st, body)
        with open("/proc/%d/status" % s.proc.pid) as f:
            rss_kb = int(f.read().split("VmRSS:")[1].split()[0])
        assert VALGRIND or rss_kb < 200 * 1024, "server RSS %d KiB" % rss_kb  # valgrind's own RSS is larger
        for c in socks:
            c.close()
        socks = []
        restart_with(s, None)
        assert_nothing_lost(s, acked)
        s.stop()
        verify(s.data)
    finally:
        for c in socks:
            c.close()
        s.kill()


def test_malformed_fault_knob_refuses_the_start():
    d = Server()
    for spec in ("write", "write:0:EIO", "write:1:EPERM", "flush:1:EIO", "commit:1:EIO:0"):
        d.env = {"CASUSD_TEST_FAULT": spec}
        try:
            d.start()
        except AssertionError:
            assert "CASUSD_TEST_FAULT" in d.stderr(), d.stderr()
            continue
        d.stop()
        raise AssertionError("started with CASUSD_TEST_FAULT=%s" % spec)


if __name__ == "__main__":
    run(globals())
