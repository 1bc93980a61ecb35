#!/usr/bin/env python3
"""openapi.py -- writes docs/openapi.json, casusd's OpenAPI 3.1 document (issue 14).

    python3 scripts/openapi.py            # (re)writes docs/openapi.json
    python3 scripts/openapi.py --check    # exits 1 when docs/openapi.json is not what it would write

The hand-written part (paths, the case view, lists, the error body) is below; three parts are
derived from the sources so that the document cannot drift from them:

- the event bodies (`POST /v1/cases/{id}/events`) and the create bodies (`POST /v1/cases`):
  one schema per event and chart, from the `data` declarations of the bundled charts
  (statecharts/*.json, the same files the binary embeds);
- the error codes (`ErrorBody`): every row of CASUS_ERR_MAP in src/core/error.h;
- `info.version`: CASUS_API_VERSION of src/core/api_version.h (the `API-Version` header).

The paths are those of the route table in src/api/routes.c except the werkbank's static files
(`/ui`, `/ui/...`): they are not under /v1, carry no data and are not part of the API (docs/ui.md).
A chart's fragments (`"include"`, statecharts/common/) are resolved as the server does before its
events are read.

The CTest test lint/openapi-drift runs `--check`, so a chart, error or version change that is not
regenerated fails the tests.  Standard library only.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "docs", "openapi.json")


def api_version():
    with open(os.path.join(ROOT, "src", "core", "api_version.h")) as f:
        m = re.search(r'#define CASUS_API_VERSION "([^"]+)"', f.read())
    return m.group(1)


def error_rows():
    """[(status, code)] of CASUS_ERR_MAP, in order."""
    with open(os.path.join(ROOT, "src", "core", "error.h")) as f:
        text = f.read()
    return [(int(s), c) for s, c in re.findall(r'X\([A-Z_]+, (\d{3}), "([a-z_]+)"', text)]


# --- chart data declarations -> JSON Schema ------------------------------------------------------

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def field_schema(spec):
    """One field of a chart's `data` declaration (docs/statecharts.md, Transitions) as JSON Schema."""
    t = spec.get("type", "any")
    s = {}
    if t == "string":
        s = {"type": "string", "minLength": spec.get("min_length", 1)}
        if "max_length" in spec:
            s["maxLength"] = spec["max_length"]
    elif t == "date":
        s = {"type": "string", "format": "date", "pattern": DATE}
    elif t == "datetime":
        s = {"type": "string", "format": "date-time"}
    elif t in ("boolean", "integer", "number"):
        s = {"type": t}
    elif t == "object":
        s = object_schema(spec.get("properties", {}))
    elif t == "array":
        s = {"type": "array"}
        if "min_items" in spec:
            s["minItems"] = spec["min_items"]
        if "max_items" in spec:
            s["maxItems"] = spec["max_items"]
        if "items" in spec:
            s["items"] = field_schema(spec["items"])
    if "enum" in spec:
        s["enum"] = spec["enum"]
    if spec.get("description"):
        s["description"] = spec["description"]
    if spec.get("rule"):
        s["x-rule"] = spec["rule"]
    return s


def object_schema(fields):
    s = {"type": "object", "additionalProperties": False,
         "properties": {k: field_schema(v) for k, v in sorted(fields.items())}}
    req = sorted(k for k, v in fields.items() if v.get("required"))
    if req:
        s["required"] = req
    return s


def transitions(node):
    """Every transition of a chart's state tree, in document order."""
    for t in node.get("transitions", []):
        yield t
    for child in node.get("states", {}).values():
        yield from transitions(child)


def fragment(name):
    with open(os.path.join(ROOT, "statecharts", "common", name + ".json")) as f:
        return json.load(f)


def substitute(node, values):
    """node with every {"param": NAME} replaced by its value (docs/statecharts.md, Composition)."""
    if isinstance(node, dict):
        if set(node) == {"param"} and node["param"] in values:
            return values[node["param"]]
        return {k: substitute(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute(v, values) for v in node]
    return node


def resolve(state, depth=0):
    """A state with its includes replaced by the fragments' states, as the server resolves them
    (src/engine/include.c); only what the events need: transitions and child states."""
    if "include" in state:
        if depth >= 4:  # LIMIT_CHART_INCLUDE_DEPTH_MAX
            raise SystemExit("openapi.py: fragment %s included too deep" % state["include"])
        frag = fragment(state["include"])
        values = {k: v.get("default") for k, v in frag.get("params", {}).items()}
        values.update(state.get("with", {}))
        return resolve(substitute(frag["state"], values), depth + 1)
    out = dict(state)
    if "states" in state:
        out["states"] = {k: resolve(v, depth) for k, v in state["states"].items()}
    return out


def chart_files():
    d = os.path.join(ROOT, "statecharts")
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))


def index_fields():
    """The list filters the charts' `index` declarations add (GET /v1/cases?<field>=...)."""
    names = set()
    for path in chart_files():
        with open(path) as f:
            names.update(json.load(f).get("index", {}))
    return sorted(names)


def schema_name(s):
    return re.sub(r"[^A-Za-z0-9]", "_", s)


def chart_schemas():
    """(components, event body refs, create body refs) from the bundled charts."""
    comps, events, creates = {}, [], []
    for path in chart_files():
        with open(path) as f:
            chart = json.load(f)
        cid = chart["id"]
        by_event = {}
        for t in transitions(resolve(chart["root"])):
            data = object_schema(t.get("data", {}))
            lst = by_event.setdefault(t["event"], [])
            if data not in lst:
                lst.append(data)
        for ev in sorted(by_event):
            datas = by_event[ev]
            data = datas[0] if len(datas) == 1 else {"anyOf": datas}
            name = "Event_%s_%s" % (schema_name(cid), ev)
            comps[name] = {
                "title": "%s: %s" % (cid, ev),
                "description": "The body of event `%s` of chart `%s` (generated from the chart)." % (ev, cid),
                "type": "object", "additionalProperties": False, "required": ["event"],
                "properties": {"event": {"const": ev}, "data": data,
                               "expected_version": {"type": "integer", "minimum": 0}}}
            events.append({"$ref": "#/components/schemas/" + name})
        datas = []
        for cr in chart.get("create", []):
            d = object_schema(cr.get("data", {}))
            if d not in datas:
                datas.append(d)
        for i, d in enumerate(datas):
            name = "Create_%s_%d" % (schema_name(cid), i + 1)
            d = dict(d, title="%s: create body %d" % (cid, i + 1),
                     description="A create body of chart `%s` (generated from its `create` entries)." % cid)
            # The server's own members of a create body (docs/api.md, Gezin).
            d["properties"] = dict(d["properties"])
            d["properties"].setdefault("gezin", {"type": "string", "minLength": 1, "maxLength": 64})
            comps[name] = d
            creates.append({"$ref": "#/components/schemas/" + name})
    return comps, events, creates


# --- the document ----------------------------------------------------------------------------------

def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def err_resp(desc):
    return {"description": desc, "headers": {"API-Version": {"$ref": "#/components/headers/API-Version"},
                                             "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": ref("ErrorBody")}}}


def ok(desc, schema, status_headers=None):
    h = {"API-Version": {"$ref": "#/components/headers/API-Version"},
         "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
    h.update(status_headers or {})
    return {"description": desc, "headers": h, "content": {"application/json": {"schema": schema}}}


ERR_TEXT = {
    400: "Malformed request (a parameter, the JSON, an unknown event).",
    401: "No bearer token, or one that is not valid (rule R-AUTH-1).",
    403: "The caller's role or organisation may not do this (R-AUTH-1, R-AUTH-2).",
    404: "No such resource, or it is not visible to the caller (R-AUTH-2).",
    408: "The request was not received in time.",
    409: "Not allowed in the case's state, `expected_version` mismatch, or the clock is not manual.",
    413: "The request body is too large.",
    415: "The request body is not application/json.",
    422: "The data, a guard, an idempotency key or the clock was refused.",
    429: "Over the actor's write rate; `Retry-After` says when to retry.",
    431: "The request headers are too large.",
    500: "A damaged case (store_corrupt) or an internal error.",
    503: "Overloaded, out of memory or the store cannot be written; nothing changed.",
}

# Errors every request can get from the HTTP layer.
TRANSPORT = [400, 408, 413, 431, 503]


def responses(success, errors):
    r = dict(success)
    for st in sorted(set(errors) | set(TRANSPORT)):
        r[str(st)] = err_resp(ERR_TEXT[st])
        if st == 429:
            r["429"]["headers"]["Retry-After"] = {"description": "Seconds until a write is allowed again.",
                                                  "schema": {"type": "integer", "minimum": 1}}
    return r


AUTH = [401, 403, 500]
CASE_ID = {"name": "id", "in": "path", "required": True, "description": "The case id (`c-` and 16 hex digits).",
           "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.@-]{1,128}$"}}
REQUEST_ID = {"name": "X-Request-Id", "in": "header", "required": False,
              "description": "Taken when 1 to 64 letters, digits or `-_.:` (otherwise the server makes one up: 32 "
                             "hex digits); returned on the response and recorded in the history entries and "
                             "access-log entries the request writes.",
              "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"}}
IDEM = {"name": "Idempotency-Key", "in": "header", "required": False,
        "description": "Per actor, at most 128 bytes: a retry with the same key and request returns the first reply.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 128}}


def q(name, desc, schema):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}


def op(op_id, summary, tag, resp, params=None, body=None, security=True, desc=None):
    o = {"operationId": op_id, "summary": summary, "tags": [tag], "responses": resp}
    if desc:
        o["description"] = desc
    params = [p for p in (params or []) if p is not REQUEST_ID] + [REQUEST_ID]
    o["parameters"] = params
    if body:
        o["requestBody"] = body
    if not security:
        o["security"] = []
    return o


def json_body(schema, desc):
    return {"required": True, "description": desc, "content": {"application/json": {"schema": schema}}}


def document():
    chart_comps, event_refs, create_refs = chart_schemas()
    codes = error_rows()
    str_ = {"type": "string"}
    schemas = {
        "ErrorBody": {
            "type": "object", "additionalProperties": False, "required": ["error"],
            "description": "Every error reply (src/core/error.h).",
            "properties": {"error": {
                "type": "object", "additionalProperties": False, "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": [c for _, c in codes],
                             "description": "; ".join("%d `%s`" % (s, c) for s, c in codes)},
                    "message": {"type": "string", "description": "A sentence a person understands."},
                    "rule": {"type": "string", "description": "The rule (R-…) that refused the request."},
                    "field": {"type": "string", "description": "The data field a 422 `invalid_data` refused, as a "
                              "path into the body's data (`jeugdige.naam`, `bijlagen.gespreksverslagen[1]`)."}}}}},
        "Deadline": {
            "type": "object", "required": ["kind", "due"],
            "properties": {"kind": str_, "due": {"type": "string", "format": "date"},
                           "fires_at": {"type": "string", "format": "date-time"}, "timer": str_, "event": str_,
                           "rule": str_}},
        "CaseView": {
            "type": "object", "description": "The case view (docs/api.md, The case view).",
            "required": ["id", "chart", "version", "status", "state", "closed", "allowed_events", "deadlines",
                         "flags", "counters", "fields", "created", "updated"],
            "properties": {
                "id": {"type": "string", "pattern": "^c-[0-9a-f]{16}$"},
                "chart": {"type": "string", "pattern": "^[^@]+@[0-9]+$"},
                "catalogus": {"type": "string", "pattern": "^[^@]+@[0-9]+$",
                              "description": "The arrangement catalogue (catalogs/<id>.json) and its version that "
                                             "the case's latest events were checked against."},
                "version": {"type": "integer", "minimum": 1},
                "status": {"type": "string", "description": "One of the chart's statuses (API.md)."},
                "state": {"type": "array", "items": str_},
                "closed": {"type": "boolean"},
                "allowed_events": {"type": "array", "items": str_},
                "deadlines": {"type": "array", "items": ref("Deadline")},
                "flags": {"type": "array", "items": str_},
                "counters": {"type": "object", "additionalProperties": {"type": "number"}},
                "fields": {"type": "object"},
                "created": {"type": "string", "format": "date-time"},
                "updated": {"type": "string", "format": "date-time"},
                "anoniem": {"const": True},
                "vrije_tekst_achtergehouden": {"const": True},
                "notified": {"type": "object", "additionalProperties": {"type": "string", "format": "date-time"}}}},
        "CaseList": {
            "type": "object", "additionalProperties": False, "required": ["cases", "next_cursor"],
            "properties": {"cases": {"type": "array", "items": ref("CaseView")},
                           "next_cursor": {"type": ["string", "null"]}}},
        "HistoryEntry": {
            "type": "object",
            "required": ["seq", "case_id", "time", "actor", "role", "event", "data", "from", "to", "version",
                         "prev_hash", "hash"],
            "properties": {
                "seq": {"type": "integer", "minimum": 1}, "case_id": str_,
                "time": {"type": "string", "format": "date-time"}, "actor": str_, "role": str_,
                "event": str_, "data": {}, "from": {}, "to": {}, "version": {"type": "integer"},
                "rule": {"type": ["string", "null"]}, "failed": {"type": "boolean"},
                "catalogus": {"type": "string", "pattern": "^[^@]+@[0-9]+$",
                              "description": "On the entry whose event first used this catalogue and version "
                                             "(the case's creation, or the first event after a change)."},
                "request_id": {"type": "string", "maxLength": 64,
                               "description": "The X-Request-Id of the request that wrote the entry."},
                "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}},
        "HistoryPage": {
            "type": "object", "additionalProperties": False, "required": ["case_id", "entries", "next"],
            "properties": {"case_id": str_, "entries": {"type": "array", "items": ref("HistoryEntry")},
                           "next": {"type": ["integer", "null"]}}},
        "InboxItem": {
            "type": "object",
            "required": ["seq", "type", "kind", "title", "case_id", "recipient", "created", "open"],
            "properties": {"seq": {"type": "integer"}, "type": {"enum": ["task", "notification"]}, "kind": str_,
                           "title": str_, "rule": {"type": ["string", "null"]}, "role": str_, "case_id": str_,
                           "recipient": {"type": "string", "pattern": "^(actor:|org:)"},
                           "created": {"type": "string", "format": "date-time"}, "open": {"type": "boolean"}}},
        "InboxPage": {
            "type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
            "properties": {"items": {"type": "array", "items": ref("InboxItem")},
                           "next_cursor": {"type": ["string", "null"]}}},
        "AccessLogEntry": {
            "type": "object", "additionalProperties": False,
            "required": ["seq", "time", "actor", "role", "org", "case_id", "access", "request_id"],
            "description": "One read or write of the case's data (NEN 7513; docs/security.md, Access log).",
            "properties": {
                "seq": {"type": "integer", "minimum": 1}, "time": {"type": "string", "format": "date-time"},
                "actor": str_, "role": str_, "org": str_,
                "on_behalf_of": {"type": "string", "description": "The person the token acts for (OIDC claim)."},
                "case_id": str_,
                "access": {"enum": ["view", "history", "list", "stream", "export", "event"]},
                "request_id": {"type": "string", "maxLength": 64,
                               "description": "The X-Request-Id of the request that accessed the case."}}},
        "AccessLogPage": {
            "type": "object", "additionalProperties": False, "required": ["case_id", "entries", "next"],
            "properties": {"case_id": str_, "entries": {"type": "array", "items": ref("AccessLogEntry")},
                           "next": {"type": ["integer", "null"]}}},
        "Inzage": {
            "type": "object", "additionalProperties": False, "required": ["inzage", "jeugdige", "generated", "cases"],
            "description": "Everything casusd holds about one jeugdige (AVG art. 15; docs/security.md, Inzage): "
                           "each case record of the procesregisseur's gemeente, its whole history and its whole "
                           "access log.",
            "properties": {
                "inzage": {"const": "AVG art. 15"},
                "jeugdige": {"type": "object", "additionalProperties": False,
                             "description": "The jeugdige as asked: `bsn`, or `naam` and `geboortedatum`.",
                             "properties": {"bsn": str_, "naam": str_,
                                            "geboortedatum": {"type": "string", "format": "date"}}},
                "generated": {"type": "string", "format": "date-time"},
                "cases": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["case", "history", "access_log"],
                    "properties": {"case": {"type": "object", "description": "The case record as stored."},
                                   "history": {"type": "array", "items": ref("HistoryEntry")},
                                   "access_log": {"type": "array", "items": ref("AccessLogEntry")}}}}}},
        "DestroyBody": {
            "type": "object", "additionalProperties": False, "required": ["verzocht_door", "reden", "uitzondering"],
            "description": "Codes only, no names (docs/security.md, Retention). Another member is 400, a missing "
                           "or unknown code 422.",
            "properties": {
                "verzocht_door": {"enum": ["jeugdige", "ouder", "voogd", "wettelijk_vertegenwoordiger"]},
                "reden": {"enum": ["jeugdwet_7_3_9", "avg_17"]},
                "uitzondering": {"enum": ["geen", "aanmerkelijk_belang_ander", "wettelijke_plicht"]}}},
        "Tombstone": {
            "type": "object",
            "required": ["case_id", "seq", "time", "grond", "archiefactiedatum", "besloten_door", "history",
                         "removed", "prev_hash", "hash"],
            "description": "The register's entry for a destroyed case: no content of the case (docs/security.md, "
                           "Retention).",
            "properties": {
                "case_id": str_, "seq": {"type": "integer", "minimum": 1},
                "time": {"type": "string", "format": "date-time"},
                "grond": {"enum": ["bewaartermijn", "verzoek"]},
                "archiefactiedatum": {"type": "string", "format": "date"},
                "reden": str_, "verzocht_door": str_, "besloten_door": str_,
                "history": {"type": "object", "required": ["seq", "hash"],
                            "properties": {"seq": {"type": "integer", "minimum": 0}, "hash": str_}},
                "removed": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
                "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}},
        "Destroyed": {
            "type": "object", "additionalProperties": False, "required": ["destroyed"],
            "properties": {"destroyed": ref("Tombstone")}},
        "Me": {
            "type": "object", "additionalProperties": False, "required": ["id", "role", "org"],
            "properties": {"id": str_, "role": str_, "org": str_, "creates": {"type": "array", "items": str_},
                           "now": {"type": "string", "format": "date-time"}}},
        "ChartList": {
            "type": "object", "additionalProperties": False, "required": ["statecharts"],
            "properties": {"statecharts": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["id", "version", "ref"],
                "properties": {"id": str_, "version": {"type": "integer"}, "ref": str_, "title": str_}}}}},
        "Chart": {"type": "object", "required": ["id", "version", "root"],
                  "properties": {"id": str_, "version": {"type": "integer"}, "root": {"type": "object"}},
                  "description": "A chart as the server runs it (docs/statecharts.md)."},
        "Clock": {"type": "object", "required": ["now"],
                  "properties": {"now": {"type": "string", "format": "date-time"}, "manual": {"type": "boolean"}}},
        "Health": {"type": "object", "additionalProperties": False, "required": ["status"],
                   "properties": {"status": {"const": "ok"}}},
        "EventBody": {"description": "The body of `POST /v1/cases/{id}/events`: one of the charts' events "
                                     "(the case's chart decides which apply).",
                      "anyOf": event_refs},
        "CreateBody": {"description": "The body of `POST /v1/cases`: one of the charts' create bodies.",
                       "anyOf": create_refs},
    }
    schemas.update(chart_comps)
    after = q("after", "Only entries/items with a seq above this.", {"type": "integer", "minimum": 0})
    paths = {
        "/healthz": {"get": op("getHealth", "Liveness: 200 when the store is open", "operations",
                               responses({"200": ok("The store is open.", ref("Health"))}, []), security=False)},
        "/metrics": {"get": op("getMetrics", "Prometheus metrics (admin token)", "operations", responses({
            "200": {"description": "Prometheus text format.",
                    "headers": {"API-Version": {"$ref": "#/components/headers/API-Version"}},
                    "content": {"text/plain": {"schema": str_}}}}, AUTH))},
        "/v1/openapi.json": {"get": op("getOpenApi", "This document", "meta", responses({
            "200": ok("The OpenAPI 3.1 description of the API.", {"type": "object"})}, []), security=False)},
        "/v1/cases": {
            "post": op("createCase", "Create a case", "cases",
                       responses({"201": ok("The new case.", ref("CaseView"))}, AUTH + [404, 409, 415, 422, 429]),
                       params=[IDEM, REQUEST_ID], body=json_body(ref("CreateBody"), "The create body of the gemeente's chart.")),
            "get": op("listCases", "A page of the cases the caller may see", "cases",
                      responses({"200": ok("A page of cases.", ref("CaseList"))}, AUTH), params=[
                          q("status", "The case's status.", str_), q("flag", "A flag the case carries.", str_),
                          *[q(f, "Cases whose field `%s` has this value (the charts' `index` declaration)." % f,
                              str_) for f in index_fields()],
                          q("deadline_before", "Earliest open deadline before this day.",
                            {"type": "string", "format": "date"}),
                          q("overdue", "Earliest open deadline before today.", {"const": "true"}),
                          q("updated_after", "Changed strictly after this instant.",
                            {"type": "string", "format": "date-time"}),
                          q("cursor", "The previous page's next_cursor.", str_),
                          q("limit", "Cases per page.", {"type": "integer", "minimum": 1, "maximum": 100})])},
        "/v1/cases/{id}": {"get": op("getCase", "One case", "cases",
                                     responses({"200": ok("The case.", ref("CaseView"))}, AUTH + [404]),
                                     params=[CASE_ID])},
        "/v1/cases/{id}/events": {"post": op(
            "fireEvent", "Fire one event", "cases",
            responses({"200": ok("The case after the event.", ref("CaseView"))},
                      AUTH + [404, 409, 415, 422, 429]),
            params=[CASE_ID, IDEM, REQUEST_ID], body=json_body(ref("EventBody"), "One event of the case's chart."))},
        "/v1/cases/{id}/history": {"get": op(
            "getHistory", "A page of the case's history", "cases",
            responses({"200": ok("A page of history entries.", ref("HistoryPage"))}, AUTH + [404]),
            params=[CASE_ID, after, q("limit", "Entries per page.", {"type": "integer", "minimum": 1,
                                                                      "maximum": 1000})])},
        "/v1/cases/{id}/access-log": {"get": op(
            "getAccessLog", "A page of the case's access log (NEN 7513)", "cases",
            responses({"200": ok("A page of access-log entries, oldest first.", ref("AccessLogPage"))}, AUTH + [404]),
            params=[CASE_ID, q("after", "Only entries with a seq above this.", {"type": "integer", "minimum": 0}),
                    q("limit", "Entries per page (default 100).", {"type": "integer", "minimum": 1,
                                                                   "maximum": 1000})],
            desc="For the case's casusregisseur and the procesregisseur of its gemeente: 403 for others who see "
                 "the case, 404 for those who do not (R-AUTH-2).")},
        "/v1/inzage": {"get": op(
            "getInzage", "The inzage of one jeugdige (AVG art. 15)", "cases",
            responses({"200": ok("The inzage document of the jeugdige's cases of the caller's gemeente.",
                                 ref("Inzage"))}, AUTH),
            params=[q("bsn", "The jeugdige's bsn (not with naam and geboortedatum).",
                      {"type": "string", "minLength": 1, "maxLength": 16}),
                    q("naam", "The jeugdige's name, exactly as recorded (with geboortedatum).",
                      {"type": "string", "minLength": 1}),
                    q("geboortedatum", "The jeugdige's birth date (with naam).",
                      {"type": "string", "format": "date", "pattern": DATE})],
            desc="Procesregisseur only (403). Give `bsn`, or `naam` and `geboortedatum` together; neither or both is "
                 "400. Each case exported leaves an `export` access-log entry.")},
        "/v1/cases/{id}/destroy": {"post": op(
            "destroyCase", "Destroy a closed case's file early, on request (Jeugdwet art. 7.3.9)", "cases",
            responses({"200": ok("The case is destroyed; its tombstone in the register.", ref("Destroyed"))},
                      AUTH + [404, 409, 415, 422, 429]),
            params=[CASE_ID, IDEM], body=json_body(ref("DestroyBody"), "Who asked, on what ground, and whether an "
                                                                   "exception applies."),
            desc="The procesregisseur of the case's gemeente (403 for other roles, R-RET-3). 409 for an open case; "
                 "422 guard_failed when an exception applies (nothing is destroyed, R-RET-4). Afterwards the "
                 "case, its history, inbox items and access log are 404.")},
        "/v1/me": {"get": op("getMe", "Who the token is", "meta", responses({"200": ok("The caller.", ref("Me"))},
                                                                            AUTH))},
        "/v1/inbox": {"get": op("getInbox", "The caller's open tasks and unread notifications", "inbox",
                                responses({"200": ok("A page of the inbox.", ref("InboxPage"))}, AUTH), params=[
                                    q("kind", "Only tasks or notifications.", {"enum": ["task", "notification"]}),
                                    q("limit", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 500}),
                                    q("cursor", "The previous page's next_cursor.", str_), after])},
        "/v1/inbox/{seq}/read": {"post": op(
            "markRead", "Mark a notification read", "inbox",
            responses({"200": ok("The item, closed.", ref("InboxItem"))}, AUTH + [404, 409, 429]),
            params=[{"name": "seq", "in": "path", "required": True, "description": "The item's seq.",
                     "schema": {"type": "integer", "minimum": 1}}, IDEM])},
        "/v1/stream": {"get": op(
            "getStream", "The inbox as Server-Sent Events", "inbox", responses({
                "200": {"description": "An event stream of inbox items (`id:` the seq, `data:` an InboxItem).",
                        "headers": {"API-Version": {"$ref": "#/components/headers/API-Version"}},
                        "content": {"text/event-stream": {"schema": str_}}}}, AUTH),
            params=[after, {"name": "Last-Event-ID", "in": "header", "required": False,
                            "description": "Replay items with a seq above this.",
                            "schema": {"type": "integer", "minimum": 0}}])},
        "/v1/statecharts": {"get": op("listCharts", "The loaded charts", "statecharts",
                                      responses({"200": ok("The charts.", ref("ChartList"))}, AUTH))},
        "/v1/statecharts/{id}": {"get": op(
            "getChart", "One chart, resolved", "statecharts",
            responses({"200": ok("The chart.", ref("Chart"))}, AUTH + [404]),
            params=[{"name": "id", "in": "path", "required": True, "description": "`id` or `id@version`.",
                     "schema": str_}])},
        "/v1/admin/clock": {"put": op(
            "setClock", "Set the manual clock forward (admin)", "operations",
            responses({"200": ok("The new time, after every due timer fired.", ref("Clock"))},
                      AUTH + [409, 415, 422]),
            body=json_body({"type": "object", "additionalProperties": False, "required": ["now"],
                            "properties": {"now": {"type": "string", "format": "date-time"}}}, "The new time."))},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "casusd", "version": api_version(),
                 "description": "The case-workflow service for Dutch youth care (docs/api.md). Generated by "
                                "scripts/openapi.py: the event and create bodies come from the bundled charts.",
                 "license": {"name": "UNLICENSED", "identifier": "LicenseRef-UNLICENSED"}},
        "servers": [{"url": "http://127.0.0.1:8080", "description": "`casusd serve` (the embedded default)"}],
        "security": [{"bearer": []}],
        "tags": [{"name": n, "description": d} for n, d in [
            ("cases", "Cases, their events and history."), ("inbox", "Tasks and notifications."),
            ("statecharts", "The loaded charts."), ("meta", "The caller and this document."),
            ("operations", "Health, metrics and the manual clock.")]],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A static token of the configuration or an OIDC token."}},
            "headers": {"API-Version": {"description": "The API version (CASUS_API_VERSION); on every response.",
                                        "schema": {"type": "string"}, "required": True},
                        "X-Request-Id": {"description": "The request's X-Request-Id when well-formed (1 to 64 "
                                                        "letters, digits, `-_.:`), else one the server made up.",
                                         "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                                         "required": True}},
            "schemas": schemas},
    }


def main():
    text = json.dumps(document(), indent=1, ensure_ascii=False, sort_keys=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                sys.stderr.write("docs/openapi.json disagrees with the charts, src/core/error.h or "
                                 "src/core/api_version.h: run python3 scripts/openapi.py\n")
                return 1
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
