"""The per-actor write-rate limit (issue 15 item 1; docs/api.md "rate_limit"): a token bucket per actor on
the server's monotonic clock.  A write over the limit is 429 rate_limited with Retry-After (whole seconds,
rounded up) and changes nothing; other actors, reads and the admin's clock are not limited; the manual
case clock does not refill a bucket; real time does.  The default (absent "rate_limit") is 50 a second
after a burst of 200; 0 switches it off.  Timing: every bound allows for a slow machine (valgrind)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import metric, TOKEN, Server, assert_error, make_config, run  # noqa: E402


def config(rate_limit):
    cfg = make_config()
    if rate_limit is None:
        del cfg["rate_limit"]
    else:
        cfg["rate_limit"] = rate_limit
    return cfg


def create(s, who="pr-rotterdam", gemeente="rotterdam"):
    """POST /v1/cases; returns (status, headers, body bytes)."""
    body = ('{"verwijzer": "gemeente", "gemeente": "%s", "casusregisseur": "cr-%s", '
            '"jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}' % (gemeente, gemeente))
    return s.raw("POST", "/v1/cases", TOKEN[who], body)


def cases_of(s, who):
    st, body = s.req("GET", "/v1/cases?limit=100", TOKEN[who])
    assert st == 200, body
    return len(body["cases"])


def writes_until_refused(s, n_max, **kw):
    """Writes (creates) until the first 429 or n_max; returns (accepted, headers and body of the 429 or
    None, seconds from the first write to the last, the monotonic time before the first)."""
    t0 = time.monotonic()
    accepted = 0
    for _ in range(n_max):
        st, headers, body = create(s, **kw)
        if st == 429:
            return accepted, (headers, body), time.monotonic() - t0, t0
        assert st == 201, (st, body)
        accepted += 1
    return accepted, None, time.monotonic() - t0, t0


def test_burst_then_429_with_retry_after():
    """Burst 3 at 0.5 a second: three writes at once, then 429 rate_limited with Retry-After 2 (the two
    seconds one write needs, rounded up); the refused write changed nothing; another actor, reads and
    the admin's clock go on; moving the manual clock a day refills nothing; two real seconds do."""
    with Server(config=config({"writes_per_second": 0.5, "burst": 3})) as s:
        accepted, refused, elapsed, t0 = writes_until_refused(s, 20)
        assert refused is not None, "20 writes in %.1f s, none refused" % elapsed
        # three, plus what the rate refilled meanwhile (none unless the machine is very slow)
        assert 3 <= accepted <= 3 + int(elapsed * 0.5), (accepted, elapsed)
        headers, body = refused
        assert_error(429, json.loads(body), 429, "rate_limited")
        assert headers.get("retry-after") in ("1", "2"), headers  # ceil((1 - refilled) / 0.5 s)
        if elapsed < 0.5:
            assert headers["retry-after"] == "2", (headers, elapsed)
        assert cases_of(s, "pr-rotterdam") == accepted  # the refused write stored nothing
        assert metric(s, 'casusd_writes_total{outcome="rate_limited"}') == 1

        # per actor: another procesregisseur writes at once; reads and the admin's clock are not limited
        st, _, body = create(s, "pr-schiedam", "schiedam")
        assert st == 201, body
        for day in range(5, 11):
            assert s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])[0] == 200
            s.clock("2027-01-%02dT09:00:00+01:00" % day)
        # The case clock moved six days: the bucket runs on real time and is still empty, as long as less
        # than 2 s passed since the first write (0.5 a second; a very slow machine may have refilled one).
        st, headers, body = create(s)
        if accepted == 3 and time.monotonic() - t0 < 1.9:
            assert st == 429 and "retry-after" in headers, (st, headers, body, time.monotonic() - t0)
        # after Retry-After seconds of real time, one more is accepted
        time.sleep(2.1)
        st, _, body = create(s)
        assert st == 201, (st, body)


def test_default_is_generous_and_zero_is_off():
    """Without "rate_limit" the default holds: a burst of 200, then 50 a second; a client faster than that
    is refused after at least 200 writes.  With writes_per_second 0 nothing is refused."""
    with Server(config=config(None)) as s:
        accepted, refused, elapsed, _ = writes_until_refused(s, 400)
        assert accepted >= 200, (accepted, elapsed)
        if refused is None:  # only a client slower than 50 a second after its burst is never refused
            assert elapsed >= (400 - 200) / 50.0 - 0.5, (accepted, elapsed)
        else:
            assert accepted <= 200 + int(elapsed * 50) + 1, (accepted, elapsed)
            assert refused[0].get("retry-after") == "1", refused[0]  # 1/50 s rounded up
    with Server(config=config({"writes_per_second": 0, "burst": 1})) as s:
        accepted, refused, elapsed, _ = writes_until_refused(s, 60)
        assert refused is None and accepted == 60, (accepted, refused)
        assert metric(s, 'casusd_writes_total{outcome="rate_limited"}') == 0


def test_malformed_rate_limit_refuses_the_start():
    """A configuration with a malformed "rate_limit" does not start, and says why."""
    for rl, says in (({"writes_per_second": -1}, "\"rate_limit.writes_per_second\" must be a number from 0"),
                     ({"writes_per_second": 5, "burst": 0}, "\"rate_limit.burst\" must be a whole number"),
                     ({"per_minute": 5}, "unknown key \"per_minute\" in \"rate_limit\"")):
        s = Server(config=config(rl))
        try:
            s.start()
            raise AssertionError("casusd started with rate_limit %r" % rl)
        except AssertionError as e:
            if "started with" in str(e):
                raise
        assert says in s.stderr(), (rl, s.stderr())


if __name__ == "__main__":
    run(globals())
