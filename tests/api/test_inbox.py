"""HTTP API tests: the inbox (docs/api.md, "Inbox"; docs/operations.md, "Growth").

GET /v1/inbox lists the caller's open tasks first, then its unread notifications younger than 30
days (LIMIT_NOTIFICATION_AGE_DAYS), each newest first, in pages with a cursor, optionally one kind;
a new task is on the first page however many notifications wait (the issue's reproduction: a
start_zorg deadline, R-TW-2, behind thousands of notifications).  POST /v1/inbox/{seq}/read marks one
of the caller's own notifications read (R-AUTH-2: another's item is 404; a task is 409: it closes
when its case's process does).  Read and expired notifications leave the listing, and the group
commits sweep them out of the store.  A store written before these orders existed is upgraded at
start."""
import http.client
import json
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import casusregisseur_changes, TOKEN, VALGRIND, Server, assert_error, run  # noqa: E402

T0 = "2027-03-01T09:00:00+01:00"  # a Monday
AFTER_DEADLINE = "2027-03-10T09:00:00+01:00"  # start_zorg_termijn (5 working days) has fired
WRITERS = 4



def renotify(s, cid, n, first=0):
    """n casusregisseur_wijzigen on cid from WRITERS connections: each a notification for the
    procesregisseur of rotterdam (and one for the new casusregisseur), R-TW-5."""
    casusregisseur_changes(s, cid, n, first=first, writers=WRITERS)


def get_inbox(s, who, query=""):
    st, body = s.req("GET", "/v1/inbox" + query, TOKEN[who])
    assert st == 200, (query, st, body)
    assert set(body) == {"items", "next_cursor"}, body.keys()
    return body


def all_pages(s, who, query="", limit=None):
    """Every item over the pages, in the server's order; checks no item comes twice."""
    items, cursor, pages = [], None, 0
    while True:
        q = [query] if query else []
        if limit is not None:
            q.append("limit=%d" % limit)
        if cursor is not None:
            q.append("cursor=" + cursor)
        body = get_inbox(s, who, "?" + "&".join(q) if q else "")
        if limit is not None:
            assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 2000
    seqs = [i["seq"] for i in items]
    assert len(seqs) == len(set(seqs)), "an item came twice"
    return items


def assert_inbox_order(items):
    """Open tasks first, then notifications; each part newest first."""
    kinds = [i["type"] for i in items]
    n_tasks = kinds.count("task")
    assert kinds == ["task"] * n_tasks + ["notification"] * (len(kinds) - n_tasks), kinds
    for part in (items[:n_tasks], items[n_tasks:]):
        seqs = [i["seq"] for i in part]
        assert seqs == sorted(seqs, reverse=True), seqs
    assert all(i["open"] is True for i in items)


def assigned(s, gemeente="rotterdam"):
    """A case with a toewijzing at horizon: its start_zorg deadline (R-TW-2) is running."""
    cid = s.create_a(gemeente=gemeente)["id"]
    st, body = s.toewijzen(cid, pr="pr-%s" % gemeente, begindatum="2027-03-01", einddatum="2027-12-31")
    assert st == 200, body
    return cid


def test_open_tasks_first_then_notifications_newest_first_in_pages():
    """Tasks (open) come first, then notifications, each newest first; pages of any size, followed
    by next_cursor, give every item once in that order; kind=task and kind=notification give one
    part each; after=SEQ keeps the newer items."""
    with Server(now=T0) as s:
        a, b = assigned(s), assigned(s)
        renotify(s, a, 30)
        s.clock(AFTER_DEADLINE)  # two start_zorg_termijn_verlopen tasks for the procesregisseur
        renotify(s, b, 30, first=100)
        whole = get_inbox(s, "pr-rotterdam", "?limit=500")
        assert whole["next_cursor"] is None
        items = whole["items"]
        assert_inbox_order(items)
        tasks = [i for i in items if i["type"] == "task"]
        # both deadlines fire at the same instant, in the order of the (random) case ids: newest first
        assert sorted(t["case_id"] for t in tasks) == sorted([a, b]), tasks
        assert tasks[0]["seq"] > tasks[1]["seq"] and tasks[0]["kind"] == "start_zorg_termijn_verlopen", tasks
        assert tasks[0]["rule"] == "R-TW-2"
        assert len(items) == 62, len(items)
        for limit in (1, 7, 61, 100):
            assert all_pages(s, "pr-rotterdam", limit=limit) == items, limit
        assert len(get_inbox(s, "pr-rotterdam")["items"]) == 62  # the default page: 100
        assert all_pages(s, "pr-rotterdam", "kind=task", 1) == tasks
        assert all_pages(s, "pr-rotterdam", "kind=notification", 9) == items[2:]
        newest_a = max(i["seq"] for i in items if i["case_id"] == a)
        newer = all_pages(s, "pr-rotterdam", "after=%d" % newest_a, 10)
        # b's 30 notifications are newer than anything of a; b's task too when it fired after a's
        assert newer == [i for i in items if i["seq"] > newest_a] and len(newer) in (30, 31), len(newer)


def test_new_task_is_on_the_first_page_behind_thousands_of_notifications_R_TW_2():
    """R-TW-2: thousands of notifications wait in the procesregisseur's inbox; a start_zorg deadline
    passes; its task is the first item of the first page (and of kind=task)."""
    n = 2000 if not VALGRIND else 300
    with Server(now=T0) as s:
        cid = assigned(s)
        other = s.create_a()["id"]
        renotify(s, other, n)
        first = get_inbox(s, "pr-rotterdam")
        assert [i["type"] for i in first["items"]] == ["notification"] * 100 and first["next_cursor"], first
        s.clock(AFTER_DEADLINE)
        page = get_inbox(s, "pr-rotterdam")["items"]
        assert page[0]["type"] == "task" and page[0]["case_id"] == cid, page[0]
        assert page[0]["kind"] == "start_zorg_termijn_verlopen" and page[0]["rule"] == "R-TW-2", page[0]
        assert page[1]["type"] == "notification" and page[1]["seq"] == max(i["seq"] for i in first["items"])
        assert get_inbox(s, "pr-rotterdam", "?kind=task&limit=1")["items"] == [page[0]]
        if not VALGRIND:
            assert len(all_pages(s, "pr-rotterdam", limit=500)) == n + 1


def test_mark_read_own_notifications_only():
    """POST /v1/inbox/{seq}/read: the caller's own notification is marked read (200, "open": false)
    and no longer listed, also for the other procesregisseurs of its organisation's shared inbox; again
    is 200 too.  Another organisation's or role's item, or none, is 404 (R-AUTH-2); a task is 409 and
    stays listed."""
    with Server(now=T0) as s:
        cid = assigned(s)
        renotify(s, cid, 3)
        s.clock(AFTER_DEADLINE)
        items = get_inbox(s, "pr-rotterdam")["items"]
        task = items[0]
        notes = items[1:]
        assert task["type"] == "task" and len(notes) == 3, items
        path = "/v1/inbox/%d/read"
        st, body = s.req("POST", path % notes[0]["seq"], TOKEN["pr-rotterdam"])
        assert st == 200 and body["seq"] == notes[0]["seq"] and body["open"] is False, body
        assert {k: v for k, v in body.items() if k != "open"} == {k: v for k, v in notes[0].items() if k != "open"}
        st, again = s.req("POST", path % notes[0]["seq"], TOKEN["pr-rotterdam"])
        assert st == 200 and again == body, again
        listed = get_inbox(s, "pr-rotterdam")["items"]
        assert [i["seq"] for i in listed] == [task["seq"], notes[1]["seq"], notes[2]["seq"]], listed
        # not the caller's: another gemeente, another role of the same gemeente, an aanbieder, admin
        for who in ("pr-schiedam", "cr-rotterdam", "tm-rotterdam", "ab-horizon", "admin"):
            st, body = s.req("POST", path % notes[1]["seq"], TOKEN[who])
            assert_error(st, body, 404, code="not_found", rule="R-AUTH-2")
        for seq in ("0", "999999", "abc", "1.5", "-1", "18446744073709551616"):
            st, body = s.req("POST", "/v1/inbox/%s/read" % seq, TOKEN["pr-rotterdam"])
            assert_error(st, body, 404, code="not_found")
        st, body = s.req("POST", path % task["seq"], TOKEN["pr-rotterdam"])
        assert_error(st, body, 409, code="not_allowed_in_state")
        assert "task" in body["error"]["message"], body
        assert get_inbox(s, "pr-rotterdam")["items"][0] == task
        assert s.req("GET", path % notes[1]["seq"], TOKEN["pr-rotterdam"])[0] == 405
        assert s.req("POST", path % notes[1]["seq"])[0] == 401
        # the refused attempts changed nothing: the next notification is still unread
        assert get_inbox(s, "pr-rotterdam")["items"][1]["seq"] == notes[1]["seq"]


def test_bad_parameters_are_400():
    """Unknown, repeated, valueless or malformed parameters, and a cursor of another kind, are 400."""
    with Server(now=T0) as s:
        assigned(s)
        for q in ("?foo=1", "?kind=tasks", "?kind=", "?kind", "?cursor=zz", "?cursor=t", "?cursor=t-1",
                  "?cursor=n1x", "?limit=0", "?limit=501", "?limit=x", "?after=-1", "?after=x",
                  "?kind=task&kind=task", "?kind=task&cursor=n5", "?kind=notification&cursor=t5",
                  "?cursor=" + "9" * 30, "?cursor=t" + "1" * 70):
            st, body = s.req("GET", "/v1/inbox" + q, TOKEN["pr-rotterdam"])
            assert_error(st, body, 400, code="bad_request")
        for q in ("?kind=task", "?kind=notification", "?cursor=n0", "?cursor=t0&kind=task", "?limit=500",
                  "?after=0", "?"):
            get_inbox(s, "pr-rotterdam", q)


def test_old_and_read_notifications_leave_the_listing_and_the_store():
    """A notification 30 days old is no longer listed; open tasks stay listed whatever their age.
    The next write's group commit sweeps read and expired notifications from the store (inbox,
    inbox_case, inbox_open, inbox_time shrink, as LMDB's mdb_stat counts), and keeps open tasks."""
    with Server(now=T0) as s:
        cid = assigned(s)
        renotify(s, cid, 20)
        s.clock(AFTER_DEADLINE)
        items = get_inbox(s, "pr-rotterdam", "?limit=500")["items"]
        task = items[0]
        assert task["type"] == "task" and len(items) == 21, items
        assert s.req("POST", "/v1/inbox/%d/read" % items[1]["seq"], TOKEN["pr-rotterdam"])[0] == 200
        before = {db: db_entries(s.data, db) for db in ("inbox", "inbox_case", "inbox_open", "inbox_time")}
        # summer time began on 2027-03-28: 30 days after 2027-03-01T09:00+01:00 is 10:00+02:00
        s.clock("2027-03-31T09:59:59+02:00")  # the notifications are 1 second short of 30 days old
        assert len(get_inbox(s, "pr-rotterdam", "?limit=500")["items"]) == 20
        s.clock("2027-03-31T10:00:00+02:00")  # 30 days
        assert get_inbox(s, "pr-rotterdam", "?limit=500")["items"] == [task]
        assert db_entries(s.data, "inbox") == before["inbox"]  # not yet swept: nothing was written
        s.create_a(gemeente="schiedam")  # a write; its commit sweeps
        after = {db: db_entries(s.data, db) for db in ("inbox", "inbox_case", "inbox_open", "inbox_time")}
        # the 20 for the procesregisseur and 20 for the casusregisseurs go; the tasks and the
        # aanbieder's task of the toewijzing, made in March, stay (and whatever the new case made)
        assert after["inbox"] <= before["inbox"] - 40 + 2, (before, after)
        assert after["inbox_case"] == after["inbox"] and after["inbox_time"] == after["inbox"], after
        assert get_inbox(s, "pr-rotterdam", "?limit=500")["items"] == [task]


def db_entries(data_dir, db):
    """The entries of one database, as LMDB's own mdb_stat counts them (also while casusd runs)."""
    out = subprocess.run(["mdb_stat", "-s", db, data_dir], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    for line in out.split("\n"):
        if line.strip().startswith("Entries:"):
            return int(line.split(":")[1])
    raise AssertionError("no entry count in %r" % out)


# The databases of a store written before idem_time, inbox_open and inbox_time (and meta's
# growth_indexed) existed.
OLDER_DBS = ["meta", "cases", "history", "timers", "idem", "inbox", "inbox_case", "casemeta", "sindex"]


def as_older_store(src, dst):
    """Copies the store in src to dst with LMDB's own tools, without the new orders.  (In hex: the
    printable form does not survive mdb_load when a value holds a backslash, as the store's random
    secret may.)"""
    os.makedirs(dst)
    for db in OLDER_DBS:
        dump = subprocess.run(["mdb_dump", "-s", db, src], capture_output=True, text=True, timeout=60,
                              check=True).stdout
        lines = dump.split("\n")
        if db == "meta":
            i = [k for k, l in enumerate(lines) if l.strip() == b"growth_indexed".hex()]
            assert len(i) == 1, lines
            del lines[i[0]:i[0] + 2]
        subprocess.run(["mdb_load", "-s", db, dst], input="\n".join(lines), text=True, timeout=60, check=True,
                       capture_output=True)


def test_older_store_is_upgraded_at_start():
    """A store without the new orders: at start its inbox items are filed, so they are listed (tasks
    first), its idempotency records still answer retries, and both are swept a full period after the
    upgrade."""
    with Server(now=T0) as old:
        cid = assigned(old)
        renotify(old, cid, 5)
        old.clock(AFTER_DEADLINE)
        st, _, first = old.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"],
                               json.dumps({"verwijzer": "gemeente", "gemeente": "rotterdam",
                                           "casusregisseur": "cr-rotterdam",
                                           "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}),
                               {"Idempotency-Key": "old-key"})
        assert st == 201, first
        want = get_inbox(old, "pr-rotterdam", "?limit=500")["items"]
    new = Server(now=AFTER_DEADLINE)
    as_older_store(old.data, new.data)
    with new:
        assert "indexing the idempotency records and inbox of an older store" in new.stderr(), new.stderr()
        assert get_inbox(new, "pr-rotterdam", "?limit=500")["items"] == want
        st, _, again = new.raw("POST", "/v1/cases", TOKEN["pr-rotterdam"],
                               json.dumps({"verwijzer": "gemeente", "gemeente": "rotterdam",
                                           "casusregisseur": "cr-rotterdam",
                                           "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}),
                               {"Idempotency-Key": "old-key"})
        assert (st, again) == (201, first)
        assert db_entries(new.data, "idem_time") == 1
        new.clock("2027-03-11T09:00:01+01:00")  # the upgrade's date + 24 h
        new.create_a(gemeente="schiedam")
        assert db_entries(new.data, "idem") == 0 and db_entries(new.data, "idem_time") == 0
    new.start()
    assert "indexing" not in new.stderr(), "a second start has nothing to index"
    assert get_inbox(new, "pr-rotterdam", "?limit=500")["items"][0]["type"] == "task"
    new.stop()


if __name__ == "__main__":
    run(globals())
