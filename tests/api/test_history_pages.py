"""HTTP API tests: GET /v1/cases/{id}/history?after=SEQ&limit=N (docs/api.md, "History pages").

A case's history is read in pages: entries with seq > after, in order, at most limit (default 100,
at most 1000) and at most 1 MiB of stored entries (LIMIT_HISTORY_PAGE_BYTES_MAX), with "next" (the
after of the next page) or null at the end.  Read page after page, in pages of any size, the history
is the whole chain, every entry exactly once (R-AUD-1); entries too large for a full page give short
pages, never a 500; unknown or malformed parameters are 400; the anonymised view applies to every
page (R-PRIV-1); a case another organisation holds stays 404 (R-AUTH-2)."""
import http.client
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import casusregisseur_changes, TOKEN, VALGRIND, Server, assert_error, run  # noqa: E402

PAGE_BYTES_MAX = 1024 * 1024  # LIMIT_HISTORY_PAGE_BYTES_MAX
PAGE_DEFAULT, PAGE_MAX = 100, 1000  # LIMIT_HISTORY_PAGE_ENTRIES_DEFAULT, _MAX
# What a page's reply may add to its entries' stored bytes: the envelope, and an anonymised view's
# pseudoniem and leeftijdscategorie in each entry.
REPLY_SLACK_BYTES = 256 + PAGE_MAX * 80
WRITERS = 4



def fire_many(s, cid, n, toelichting=None):
    """n casusregisseur_wijzigen on cid from WRITERS connections, each with a toelichting when given."""
    casusregisseur_changes(s, cid, n, writers=WRITERS,
                           extra=None if toelichting is None else {"toelichting": toelichting})


def page(s, cid, query, who="pr-rotterdam"):
    """One page: (status, body, raw reply bytes)."""
    st, _, raw = s.raw("GET", "/v1/cases/%s/history%s" % (cid, query), TOKEN[who])
    return st, json.loads(raw), raw


def read_paged(s, cid, limit, who="pr-rotterdam"):
    """The whole history over pages of `limit` (None: the default), checking each page's shape and
    size.  Returns (entries, pages)."""
    entries, pages, after = [], 0, None
    while True:
        q = []
        if after is not None:
            q.append("after=%d" % after)
        if limit is not None:
            q.append("limit=%d" % limit)
        st, body, raw = page(s, cid, "?" + "&".join(q) if q else "", who)
        assert st == 200, (st, body)
        assert set(body) == {"case_id", "entries", "next"} and body["case_id"] == cid, set(body)
        assert len(body["entries"]) <= (limit or PAGE_DEFAULT), (limit, len(body["entries"]))
        assert len(raw) <= PAGE_BYTES_MAX + 300 * 1024 + REPLY_SLACK_BYTES, len(raw)
        pages += 1
        entries += body["entries"]
        if body["next"] is None:
            return entries, pages
        assert body["entries"], "a page with a next holds at least one entry"
        assert body["next"] == body["entries"][-1]["seq"], (body["next"], body["entries"][-1]["seq"])
        after = body["next"]
        assert pages <= 10000


def assert_whole_chain(entries, n):
    """R-AUD-1: seq 1..n, each once, in order, each linked to the one before."""
    assert [e["seq"] for e in entries] == list(range(1, n + 1)), [e["seq"] for e in entries][:20]
    for prev, e in zip(entries, entries[1:]):
        assert e["prev_hash"] == prev["hash"], (prev["seq"], e["seq"])


def test_pages_of_any_size_are_the_whole_chain_once_R_AUD_1():
    """R-AUD-1: a case with a few hundred entries read in pages of 1, 7, 100, the default and 1000
    gives the whole chain, every entry exactly once, in order; a request without parameters is the
    first page (default 100); after= starts anywhere; after the end is an empty last page."""
    n = 301 if not VALGRIND else 121
    with Server() as s:
        cid = s.create_a()["id"]
        fire_many(s, cid, n - 1)
        whole, pages = read_paged(s, cid, 1000)
        assert pages == 1
        assert_whole_chain(whole, n)
        for limit, want_pages in ((1, n), (7, (n + 6) // 7), (100, (n + 99) // 100), (None, (n + 99) // 100)):
            entries, pages = read_paged(s, cid, limit)
            assert entries == whole, "pages of %s differ from the whole chain" % limit
            assert pages == want_pages, (limit, pages, want_pages)
        st, body, _ = page(s, cid, "")
        assert st == 200 and len(body["entries"]) == PAGE_DEFAULT and body["next"] == PAGE_DEFAULT, body["next"]
        st, body, _ = page(s, cid, "?after=50&limit=10")
        assert [e["seq"] for e in body["entries"]] == list(range(51, 61)) and body["next"] == 60, body["next"]
        for after in (n, n + 1, 18446744073709551615):
            st, body, _ = page(s, cid, "?after=%d" % after)
            assert st == 200 and body["entries"] == [] and body["next"] is None, (after, body)
        st, body, _ = page(s, cid, "?after=%d" % (n - 1))
        assert [e["seq"] for e in body["entries"]] == [n] and body["next"] is None, body


def test_huge_entries_give_short_pages_never_a_500():
    """A history larger than the server's 8 MiB reply cap (entries of 2000 control characters, each
    stored as a 6-byte escape): every page stays within the page's byte bound, pages come back short
    of their limit with a next, and read to the end they are the whole chain."""
    n = 721 if not VALGRIND else 121
    with Server() as s:
        cid = s.create_a()["id"]
        fire_many(s, cid, n - 1, toelichting="\u0001" * 2000)
        st, body, raw = page(s, cid, "?limit=1000")
        assert st == 200, (st, body)
        assert 0 < len(body["entries"]) < n - 1 and body["next"] == body["entries"][-1]["seq"], len(body["entries"])
        assert len(raw) <= PAGE_BYTES_MAX + REPLY_SLACK_BYTES, len(raw)
        st, body, raw = page(s, cid, "")
        assert st == 200 and 0 < len(body["entries"]) < PAGE_DEFAULT, len(body["entries"])
        total = 0
        entries, pages = read_paged(s, cid, 1000)
        assert_whole_chain(entries, n)
        assert pages >= 2, pages
        for e in entries[1:]:
            total += len(json.dumps(e["data"]["toelichting"]))
        if not VALGRIND:
            assert total > 8 * 1024 * 1024, "the history should exceed one reply: %d bytes" % total


def test_bad_parameters_are_400():
    """Unknown, repeated, valueless or malformed parameters are 400 bad_request, before the case is
    looked at (also for a case the caller may not see, which stays 404 with good parameters,
    R-AUTH-2)."""
    with Server() as s:
        cid = s.create_a()["id"]
        for q in ("?foo=1", "?after=-1", "?after=abc", "?after=1.5", "?after=", "?after", "?limit=0",
                  "?limit=1001", "?limit=", "?limit=1e3", "?after=1&after=2", "?limit=5&limit=5",
                  "?after=18446744073709551616", "?cursor=x", "?after=1&x=2", "?after=%3", "?after=%zz", "?after=" + "1" * 300):
            st, body = s.req("GET", "/v1/cases/%s/history%s" % (cid, q), TOKEN["pr-rotterdam"])
            assert_error(st, body, 400, code="bad_request")
            st, body = s.req("GET", "/v1/cases/%s/history%s" % (cid, q), TOKEN["pr-schiedam"])
            assert_error(st, body, 400, code="bad_request")
        for q in ("?limit=1000", "?after=0", "?after=0&limit=1", "?limit=1&after=0", "?&", "?", "?after=%30"):
            st, body = s.req("GET", "/v1/cases/%s/history%s" % (cid, q), TOKEN["pr-rotterdam"])
            assert st == 200, (q, st, body)
            st, body = s.req("GET", "/v1/cases/%s/history%s" % (cid, q), TOKEN["pr-schiedam"])
            assert_error(st, body, 404, code="not_found", rule="R-AUTH-2")


def test_anonymised_view_applies_to_every_page_R_PRIV_1():
    """R-PRIV-1: with opt-out, the procesregisseur's history is anonymised on every page (the create
    entry's data carries a pseudoniem and an age band, never the naam or geboortedatum), while the
    aanbieder's pages carry the identity; the pseudoniem is the case view's."""
    with Server() as s:
        cid = s.create_a(toestemming_gegevensdeling=False,
                         jeugdige={"naam": "Fenna Verborgen", "geboortedatum": "2013-03-03"})["id"]
        assert s.toewijzen(cid)[0] == 200
        fire_many(s, cid, 40)
        view = s.get_case(cid, "pr-rotterdam")
        assert view.get("anoniem") is True, view
        after, seen = 0, 0
        while after is not None:
            st, body, raw = page(s, cid, "?after=%d&limit=7" % after)
            assert st == 200, (st, body)
            assert b"Fenna" not in raw and b"2013-03-03" not in raw, raw[:500]
            for e in body["entries"]:
                if e["seq"] == 1:
                    assert "jeugdige" not in e["data"], e
                    assert e["data"]["pseudoniem"] == view["fields"]["pseudoniem"], (e["data"], view["fields"])
                    assert e["data"]["leeftijdscategorie"] == view["fields"]["leeftijdscategorie"]
            seen += len(body["entries"])
            after = body["next"]
        assert seen == 42, seen
        st, body, raw = page(s, cid, "?limit=1", who="ab-horizon")
        assert st == 200 and b"Fenna" in raw and body["next"] == 1, body


if __name__ == "__main__":
    run(globals())
