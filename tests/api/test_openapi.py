"""The OpenAPI document (issue 14): served at /v1/openapi.json, the same as docs/openapi.json, with the
charts' events; the API-Version header on every response, the stream's included; and the harness's
response check (openapi_check.py) refuses what the document does not describe."""
import json
import os
import socket

import openapi_check
from casus import Server, run, TOKEN, SOURCE_DIR


def test_served_document_is_the_repos():
    "GET /v1/openapi.json needs no token and answers docs/openapi.json byte for byte"
    with Server() as s:
        st, h, data = s.raw("GET", "/v1/openapi.json")
        assert st == 200, (st, data[:200])
        assert h["content-type"] == "application/json", h
        with open(os.path.join(SOURCE_DIR, "docs", "openapi.json"), "rb") as f:
            assert data == f.read()
        doc = json.loads(data)
        assert doc["openapi"].startswith("3.1"), doc["openapi"]
        assert h["api-version"] == doc["info"]["version"]


def test_every_route_is_described():
    "every row of src/api/routes.c has its path and method in the document, but the werkbank's files"
    with open(os.path.join(SOURCE_DIR, "src", "api", "routes.c")) as f:
        src = f.read()
    import re
    rows = re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)", "([^"]+)", ROUTE_', src)
    assert len(rows) >= 15, rows
    for method, pattern in rows:
        path = pattern.replace("{}", "x-1").replace("*", "index.html")
        template, op, known = openapi_check.operation(method, path)
        if pattern == "/ui" or pattern.startswith("/ui/"):
            # static files outside /v1, no data: not part of the API, left out of the document
            assert not known, "route %s %s should not be in docs/openapi.json" % (method, pattern)
            continue
        assert op is not None, "route %s %s is not in docs/openapi.json" % (method, pattern)


def test_event_bodies_come_from_the_charts():
    "each event a chart's transitions take has a body schema whose data is the chart's declaration"
    doc = openapi_check.DOC
    schemas = doc["components"]["schemas"]
    with open(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-rijnmond.json")) as f:
        chart = json.load(f)

    def walk(n):
        for t in n.get("transitions", []):
            yield t
        for c in n.get("states", {}).values():
            yield from walk(c)

    events = {t["event"] for t in walk(chart["root"])}
    for ev in events:
        name = "Event_jeugdhulp_rijnmond_" + ev
        assert name in schemas, name
        assert {"$ref": "#/components/schemas/" + name} in schemas["EventBody"]["anyOf"]
    data = schemas["Event_jeugdhulp_rijnmond_toewijzing_weigeren"]["properties"]["data"]
    # one transition: its data schema; several with different declarations: anyOf them
    for weigeren in data.get("anyOf", [data]):
        assert weigeren["required"] == ["reden"], weigeren
        assert weigeren["additionalProperties"] is False, weigeren
        assert "te_zware_hulpvraag" in weigeren["properties"]["reden"]["enum"], weigeren


def test_api_version_everywhere():
    "API-Version on successes, errors from the router and the HTTP layer, the UI and the stream"
    with Server() as s:
        version = openapi_check.API_VERSION
        for method, path, token, want in [("GET", "/healthz", None, 200), ("GET", "/v1/cases", None, 401),
                                          ("GET", "/v1/nope", TOKEN["pr-rotterdam"], 404),
                                          ("DELETE", "/v1/cases", TOKEN["pr-rotterdam"], 405),
                                          ("GET", "/ui/", None, 200), ("GET", "/metrics", TOKEN["admin"], 200)]:
            st, h, _ = s.raw(method, path, token)
            assert st == want and h.get("api-version") == version, (method, path, st, h)
        # A malformed request line: refused by the HTTP layer, still with the header.
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(b"GARBAGE\r\n\r\n")
            head = sock.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 400") and ("\r\nAPI-Version: %s\r\n" % version) in head, head
        # The stream's head.
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n"
                          % TOKEN["pr-rotterdam"]).encode())
            head = sock.recv(4096).decode(errors="replace")
        assert head.startswith("HTTP/1.1 200") and "text/event-stream" in head, head
        assert ("\r\nAPI-Version: %s\r\n" % version) in head, head


def test_check_refuses_what_the_document_does_not_say():
    "the harness's check fails a response that the document does not describe, naming route and status"
    ok_headers = {"api-version": openapi_check.API_VERSION, "content-type": "application/json",
                  "x-request-id": "r-test-1"}
    cases = [
        # a case view without its required members
        ("GET", "/v1/cases/c-0123456789abcdef", 200, ok_headers, b'{"id": "c-0123456789abcdef"}',
         "GET /v1/cases/{id}"),
        # a status the operation does not list
        ("GET", "/v1/me", 418, ok_headers, b'{"error": {"code": "forbidden", "message": "x"}}', "418"),
        # an error code that is not in src/core/error.h
        ("GET", "/v1/me", 401, ok_headers, b'{"error": {"code": "nope", "message": "x"}}', "nope"),
        # no API-Version
        ("GET", "/healthz", 200, {"content-type": "application/json"}, b'{"status": "ok"}', "API-Version"),
        # no X-Request-Id
        ("GET", "/healthz", 200, {"api-version": openapi_check.API_VERSION, "content-type": "application/json"},
         b'{"status": "ok"}', "X-Request-Id"),
    ]
    for method, path, st, h, body, needle in cases:
        try:
            openapi_check.check(method, path, st, h, body)
        except openapi_check.OpenApiMismatch as e:
            assert needle in str(e) and str(st) in str(e), e
        else:
            raise AssertionError("accepted %s %s %d %r" % (method, path, st, body))


def test_live_answers_validate():
    "a create, an event, a refusal, history, inbox and lists: each checked by the harness as it arrives"
    with Server() as s:
        case = s.create_a()
        st, body = s.event(case["id"], "pr-rotterdam", "no_such_event")
        assert st == 400 and body["error"]["code"] == "unknown_event", (st, body)
        st, body = s.event(case["id"], "pr-rotterdam", "toewijzen", {"nope": 1})
        assert st in (409, 422), (st, body)
        s.history(case["id"], "pr-rotterdam")
        s.inbox("cr-rotterdam")
        st, body = s.req("GET", "/v1/cases?status=aangemeld", TOKEN["pr-rotterdam"])
        assert st == 200 and body["cases"], (st, body)
        st, body = s.req("GET", "/v1/cases?bogus=1", TOKEN["pr-rotterdam"])
        assert st == 400, (st, body)
        st, body = s.req("GET", "/v1/statecharts", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        st, body = s.req("GET", "/v1/statecharts/jeugdhulp-rijnmond", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        st, body = s.req("GET", "/v1/me", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        st, body = s.req("GET", "/v1/cases/%s/access-log?limit=2" % case["id"], TOKEN["pr-rotterdam"])
        assert st == 200 and body["entries"], (st, body)
        st, body = s.req("GET", "/v1/cases/%s/access-log?limit=0" % case["id"], TOKEN["pr-rotterdam"])
        assert st == 400, (st, body)
        st, body = s.req("GET", "/v1/inzage?naam=Sam%20de%20Vries&geboortedatum=2015-06-01", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        st, body = s.req("GET", "/v1/inzage", TOKEN["pr-rotterdam"])
        assert st == 400, (st, body)
        st, body = s.req("GET", "/v1/inzage?bsn=1", TOKEN["cr-rotterdam"])
        assert st == 403, (st, body)
        st, body = s.req("GET", "/v1/cases?gezin=g-1", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)


if __name__ == "__main__":
    run(globals())
