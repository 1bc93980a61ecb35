#!/usr/bin/env python3
"""Small disclosures closed: case ids are 64 random bits ("c-" and 16 hex digits), so consecutive
ids tell a creator nothing about how many cases other organisations have; GET /metrics answers
only the admin's bearer token (401 without one, 403 for any other role), wherever it comes from."""
import re

from casus import TOKEN, Server, assert_error, run

ID = re.compile(r"^c-[0-9a-f]{16}$")


def test_case_ids_are_random_and_reveal_no_count():
    with Server() as s:
        mine = [s.create_a()["id"] for _ in range(5)]
        for _ in range(5):
            s.create_a(gemeente="alkmaar")  # another organisation's cases in between
        mine += [s.create_a()["id"] for _ in range(5)]
        assert all(ID.match(i) for i in mine), mine
        assert len(set(mine)) == len(mine), mine
        # consecutive creates give unrelated ids: no common counter shows through
        values = [int(i[2:], 16) for i in mine]
        gaps = [abs(b - a) for a, b in zip(values, values[1:])]
        assert min(gaps) > 2 ** 20, gaps
        assert values != sorted(values), values  # 10 random values in order: 1 in 3.6 million
        # each id opens its case
        for cid in mine:
            assert s.get_case(cid, "pr-rotterdam")["id"] == cid


def test_metrics_needs_the_admin_token():
    with Server() as s:
        st, body = s.req("GET", "/metrics")
        assert_error(st, body, 401, code="unauthenticated")
        st, body = s.req("GET", "/metrics", "not-a-token")
        assert_error(st, body, 401, code="unauthenticated")
        for who in ("pr-rotterdam", "ab-horizon", "cm-rijnmond"):
            st, body = s.req("GET", "/metrics", TOKEN[who])
            assert_error(st, body, 403, code="forbidden")
        st, headers, text = s.raw("GET", "/metrics", TOKEN["admin"])
        assert st == 200 and headers["content-type"].startswith("text/plain"), (st, headers)
        assert b"casusd_requests_total " in text and b"# TYPE casusd_writes_total counter" in text, text
        st, _, _ = s.raw("POST", "/metrics", TOKEN["admin"], "{}")
        assert st == 405, st


if __name__ == "__main__":
    run(globals())
