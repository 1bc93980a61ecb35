"""HTTP API tests of GET /v1/cases: every filter served from the store's indexes, combinable, scoped to
what the caller may see (R-AUTH-2), with a stable cursor; unknown or malformed parameters are 400."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, TOKEN, Server, assert_error, deadline, run  # noqa: E402

T0 = "2027-01-04T09:00:00+01:00"  # a Monday


def ids(s, who, **query):
    """The ids of every case `who` lists with query, following next_cursor to the end."""
    out, cursor = [], None
    for _ in range(1000):  # bounded
        q = dict(query)
        if cursor:
            q["cursor"] = cursor
        st, body = s.req("GET", "/v1/cases?" + urllib.parse.urlencode(q, safe=":"), TOKEN[who])
        assert st == 200, (who, query, st, body)
        assert set(body) == {"cases", "next_cursor"}, body
        out += [c["id"] for c in body["cases"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("no end of the pages")


def setup(s):
    """rotterdam: a aangemeld, b toegewezen to horizon, c toegewezen to kompas (casusregisseur cr2);
    schiedam: d toegewezen to horizon; alkmaar: e aangemeld."""
    c = {}
    c["a"] = s.create_a()["id"]
    c["b"] = s.create_a()["id"]
    assert s.toewijzen(c["b"])[0] == 200
    c["c"] = s.create_a(casusregisseur="cr2-rotterdam")["id"]
    assert s.toewijzen(c["c"], aanbieder=KOMPAS)[0] == 200
    c["d"] = s.create_a(gemeente="schiedam")["id"]
    assert s.toewijzen(c["d"], pr="pr-schiedam")[0] == 200
    c["e"] = s.create_a(gemeente="alkmaar")["id"]
    return c


def test_r_auth_2_list_scoped_to_what_the_caller_sees():
    """R-AUTH-2: each role lists exactly the cases it may open, with and without filters; a case the
    caller sees through two scopes (casusregisseur by name and by gemeente) appears once."""
    with Server(now=T0) as s:
        c = setup(s)
        assert sorted(ids(s, "pr-rotterdam")) == sorted([c["a"], c["b"], c["c"]])
        assert sorted(ids(s, "ab-horizon")) == sorted([c["b"], c["d"]])
        assert sorted(ids(s, "ab-kompas")) == [c["c"]]
        assert sorted(ids(s, "zbt-rijnmond")) == sorted([c["a"], c["b"], c["c"], c["d"]])
        assert sorted(ids(s, "zbt-holland-noord")) == [c["e"]]
        # R-PRIV-1: no case reached a contractmanager, so none is listed
        assert ids(s, "cm-rijnmond") == [] and ids(s, "cm-holland-noord") == []
        assert sorted(ids(s, "cr2-rotterdam")) == sorted([c["a"], c["b"], c["c"]])
        assert ids(s, "admin") == []
        # a filter never widens the scope: schiedam's horizon case is not rotterdam's
        assert ids(s, "pr-rotterdam", aanbieder=HORIZON) == [c["b"]]
        assert ids(s, "ab-horizon", gemeente="schiedam") == [c["d"]]
        assert ids(s, "ab-horizon", gemeente="alkmaar") == []
        for cid in ids(s, "ab-horizon"):
            assert s.req("GET", "/v1/cases/" + cid, TOKEN["ab-horizon"])[0] == 200


def test_each_filter_and_combinations():
    """status, aanbieder, casusregisseur, gemeente, flag, deadline_before and updated_after, alone and
    combined, each with its boundary."""
    with Server(now=T0) as s:
        c = setup(s)
        pr = "pr-rotterdam"
        assert ids(s, pr, status="aangemeld") == [c["a"]]
        assert sorted(ids(s, pr, status="toegewezen")) == sorted([c["b"], c["c"]])
        assert ids(s, pr, status="toegewezen", aanbieder=KOMPAS) == [c["c"]]
        assert ids(s, pr, status="aangemeld", aanbieder=KOMPAS) == []
        assert ids(s, pr, casusregisseur="cr2-rotterdam") == [c["c"]]
        assert sorted(ids(s, "zbt-rijnmond", gemeente="schiedam")) == [c["d"]]
        assert ids(s, pr, status="no-such-status") == []
        # the start-zorg deadline of b and c (toegewezen on T0)
        due = deadline(s.get_case(c["b"], pr), "start_zorg")["due"]
        day_after = "2027-01-%02d" % (int(due[-2:]) + 1)
        assert sorted(ids(s, pr, deadline_before=day_after)) == sorted([c["b"], c["c"]])
        assert ids(s, pr, deadline_before=due) == [], "a deadline on the day itself is not before it"
        assert ids(s, pr, deadline_before=day_after, aanbieder=HORIZON) == [c["b"]]
        assert ids(s, pr, overdue="true") == [], "no deadline has passed yet"
        # updated_after: only what changed after the instant
        s.clock("2027-01-05T10:00:00+01:00")
        s.fire(c["a"], pr, "casusregisseur_wijzigen", {"casusregisseur": "cr2-rotterdam"})
        assert ids(s, pr, updated_after="2027-01-05T09:59:59+01:00") == [c["a"]]
        assert ids(s, pr, updated_after="2027-01-05T10:00:00+01:00") == [], "after is strict"
        assert sorted(ids(s, pr, updated_after="2027-01-04T08:00:00+01:00")) == sorted([c["a"], c["b"], c["c"]])
        assert ids(s, pr, updated_after="2027-01-05T08:59:59Z", status="aangemeld") == [c["a"]]
        assert sorted(ids(s, pr, casusregisseur="cr2-rotterdam")) == sorted([c["a"], c["c"]])
        # flag: the start-zorg deadline passes and flags b and c
        s.clock("2027-02-01T09:00:00+01:00")
        flag = "start_zorg_termijn_verlopen"
        assert sorted(ids(s, pr, flag=flag)) == sorted([c["b"], c["c"]])
        assert ids(s, pr, flag=flag, aanbieder=HORIZON) == [c["b"]]
        assert ids(s, "ab-kompas", flag=flag) == [c["c"]]
        assert ids(s, pr, deadline_before=day_after) == [], "a fired deadline is no longer open"


def test_cursor_pages_every_case_once():
    """limit and cursor: every case exactly once, in a stable order, across pages of any size."""
    with Server(now=T0) as s:
        made = [s.create_a()["id"] for _ in range(11)]
        for limit in (1, 3, 10, 100):
            got = ids(s, "pr-rotterdam", limit=limit)
            assert sorted(got) == sorted(made) and len(got) == len(set(got)), (limit, got)
            assert got == ids(s, "pr-rotterdam", limit=limit), "the order is stable"
        st, body = s.req("GET", "/v1/cases?limit=4", TOKEN["pr-rotterdam"])
        assert st == 200 and len(body["cases"]) == 4 and body["next_cursor"], body
        got = ids(s, "pr-rotterdam", status="aangemeld", limit=4)
        assert sorted(got) == sorted(made)


def test_unknown_and_malformed_parameters_are_400():
    """An unknown filter is refused, never ignored; so are repeated parameters, bad values and a cursor
    of another query."""
    with Server(now=T0) as s:
        s.create_a()
        pr = TOKEN["pr-rotterdam"]
        for q in ("aanbieder_x=1", "foo=bar", "status=a&status=b", "overdue=yes", "overdue=",
                  "deadline_before=2027-13-01", "deadline_before=morgen", "updated_after=gisteren",
                  "limit=0", "limit=101", "limit=abc", "cursor=%ZZ", "cursor=garbage", "status",
                  "gemeente=%00x", "gemeente=%-1", "gemeente=%+1", "gemeente=%4"):
            st, body = s.req("GET", "/v1/cases?" + q, pr)
            assert_error(st, body, 400)
        st, body = s.req("GET", "/v1/cases?limit=1", pr)
        assert st == 200, body
        s.create_a()
        st, body = s.req("GET", "/v1/cases?limit=1", pr)
        cursor = body["next_cursor"]
        assert cursor, body
        st, body = s.req("GET", "/v1/cases?updated_after=2027-01-01T00:00:00Z&cursor=" +
                         urllib.parse.quote(cursor), pr)
        assert_error(st, body, 400)


if __name__ == "__main__":
    run(globals())
