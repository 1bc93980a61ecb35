"""HTTP API tests: the werkbank's static files under /ui/ (src/api/ui.c, docs/ui.md), served from the
binary without a token: every file of src/ui byte for byte with its Content-Type and the strict
Content-Security-Policy, page paths answered with index.html, the chart diagrams of docs/charts, and
nothing else (no traversal, no other method, no data without a token).  The browser tests of the UI
itself are tests/ui/test_werkbank.mjs; this one also runs under valgrind and the sanitizers."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import SOURCE_DIR, Server, assert_error, run  # noqa: E402

UI_DIR = os.path.join(SOURCE_DIR, "src", "ui")
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def assert_ui_headers(hdrs, path):
    assert hdrs.get("content-security-policy") == CSP, (path, hdrs)
    assert hdrs.get("x-content-type-options") == "nosniff", (path, hdrs)
    assert hdrs.get("referrer-policy") == "no-referrer", (path, hdrs)


def test_every_file_of_src_ui_is_served_as_it_is_with_its_type_and_csp():
    """Each file of src/ui (embedded at build time) comes back byte for byte, with its Content-Type, the
    CSP and no token; index.html loads its script from a file (no inline script)."""
    names = sorted(n for n in os.listdir(UI_DIR) if os.path.splitext(n)[1] in TYPES)
    assert "index.html" in names and "app.js" in names, names
    with Server() as s:
        for name in names:
            st, hdrs, body = s.raw("GET", "/ui/" + name)
            assert st == 200, (name, st, body[:200])
            assert hdrs["content-type"] == TYPES[os.path.splitext(name)[1]], (name, hdrs)
            assert_ui_headers(hdrs, name)
            with open(os.path.join(UI_DIR, name), "rb") as f:
                assert body == f.read(), "%s differs from src/ui/%s: rebuild" % (name, name)
        st, _, index = s.raw("GET", "/ui/index.html")
        assert b'<script type="module" src="/ui/app.js"></script>' in index
        assert index.count(b"<script") == 1, "an inline script in index.html"


def test_pages_get_index_html_and_ui_redirects():
    """A path whose last segment has no dot is a page of the UI: index.html (the router draws it);
    /ui redirects to /ui/."""
    with Server() as s:
        _, _, index = s.raw("GET", "/ui/index.html")
        for path in ("/ui/", "/ui/werkvoorraad", "/ui/casus/c-0123456789abcdef", "/ui/casussen"):
            st, hdrs, body = s.raw("GET", path)
            assert st == 200 and body == index, (path, st)
            assert hdrs["content-type"] == "text/html; charset=utf-8", (path, hdrs)
            assert_ui_headers(hdrs, path)
        st, hdrs, _ = s.raw("GET", "/ui")
        assert st == 301 and hdrs.get("location") == "/ui/", (st, hdrs)


def test_chart_diagrams_are_served_from_docs_charts():
    """/ui/charts/<chart id>.svg is docs/charts/<chart id>.svg, for every bundled chart."""
    with Server() as s:
        for name in sorted(n for n in os.listdir(os.path.join(SOURCE_DIR, "statecharts")) if n.endswith(".json")):
            chart = name[:-len(".json")]
            st, hdrs, body = s.raw("GET", "/ui/charts/%s.svg" % chart)
            assert st == 200 and hdrs["content-type"] == "image/svg+xml", (chart, st, hdrs)
            with open(os.path.join(SOURCE_DIR, "docs", "charts", chart + ".svg"), "rb") as f:
                assert body == f.read(), chart


def test_nothing_else_is_served():
    """Unknown files, other extensions, traversal and encoded paths are 404; other methods 405; the
    API behind the UI still needs a token (401, R-AUTH-1)."""
    with Server() as s:
        for path in ("/ui/nope.js", "/ui/app.js.map", "/ui/charts/nope.svg", "/ui/charts/../app.js",
                     "/ui/../config/demo.json", "/ui/..%2fconfig%2fdemo.json", "/ui/%2e%2e/app.js",
                     "/ui/config/demo.json", "/ui/statecharts/jeugdhulp-rijnmond.json", "/ui//app.js",
                     "/ui/" + "a" * 200 + ".js"):
            st, body = s.req("GET", path)
            assert_error(st, body, 404, "not_found")
        for method in ("POST", "PUT", "DELETE"):
            st, body = s.req(method, "/ui/app.js")
            assert_error(st, body, 405, "method_not_allowed")
        st, body = s.req("GET", "/v1/inbox")
        assert_error(st, body, 401, "unauthenticated", "R-AUTH-1")


if __name__ == "__main__":
    run(globals())
