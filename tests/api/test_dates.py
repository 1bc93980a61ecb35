#!/usr/bin/env python3
"""Dates: every date and datetime the API accepts or computes lies in 1900-01-01 .. 2199-12-31
(core/limits.h LIMIT_DATE_YEAR_MIN/MAX).  A date outside is 422 with the field named; a deadline
or a date the chart would compute beyond the range refuses the event (422) and changes nothing."""
from casus import Server, TOKEN, assert_error, run


def test_dates_outside_the_range_are_422_with_the_field_named():
    with Server() as s:
        for bad in ("9999-12-31", "1899-12-31", "2200-01-01", "10000-01-04"):
            st, body = s.create("pr-rotterdam", {
                "verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "jeugdige": {"naam": "Sam", "geboortedatum": bad}})
            err = assert_error(st, body, 422, code="invalid_data")
            assert "jeugdige.geboortedatum" in err["message"] and "2199-12-31" in err["message"], err
        # the bounds themselves are dates
        case = s.create_a(jeugdige={"naam": "Sam", "geboortedatum": "1900-01-01"})
        cid = case["id"]
        for field, bad in (("einddatum", "9999-12-31"), ("einddatum", "2200-01-01"), ("begindatum", "1899-12-31")):
            kw = {field: bad}
            st, body = s.toewijzen(cid, **kw)
            err = assert_error(st, body, 422, code="invalid_data")
            assert '"%s"' % field in err["message"], err
        assert s.get_case(cid, "pr-rotterdam")["status"] == "aangemeld"
        st, body = s.toewijzen(cid, begindatum="2027-02-01", einddatum="2199-12-31")
        assert st == 200 and body["status"] == "toegewezen", (st, body)


def test_a_computed_deadline_never_leaves_the_range():
    """At 2199-10-04 start_zorg would schedule the first evaluation three months on, in 2200: the
    event is refused with the field it is computed from named, and the case is unchanged."""
    with Server(now="2199-10-04T09:00:00+02:00") as s:
        cid = s.create_a()["id"]
        st, body = s.toewijzen(cid, begindatum="2199-10-04", einddatum="2199-12-31")
        assert st == 200, (st, body)
        before = s.get_case(cid, "pr-rotterdam")
        st, body = s.event(cid, "ab-horizon", "start_zorg")
        err = assert_error(st, body, 422, code="invalid_data")
        assert "startdatum" in err["message"] and "2199-12-31" in err["message"], err
        after = s.get_case(cid, "pr-rotterdam")
        assert after["version"] == before["version"] and after["status"] == "toegewezen", after
        # every deadline the case shows lies within the range
        for d in after["deadlines"]:
            assert "1900-01-01" <= d["due"] <= "2199-12-31", d


def test_clock_and_list_filters_refuse_dates_outside():
    with Server() as s:
        for bad in ("2200-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z", "1899-12-31T12:00:00Z"):
            st, body = s.set_clock(bad)
            assert_error(st, body, 400)
        for q in ("deadline_before=9999-12-31", "updated_after=2200-01-01T00:00:00Z"):
            st, body = s.req("GET", "/v1/cases?" + q, TOKEN["pr-rotterdam"])
            err = assert_error(st, body, 400)
            assert q.split("=")[0] in err["message"], err


if __name__ == "__main__":
    run(globals())
