"""openapi_check.py -- every response the API tests receive is checked against docs/openapi.json.

casus.Server.raw calls check() on each response (issue 14: the document cannot drift from the
server).  What is checked:

- the `API-Version` header is present and equals the document's `info.version`, and an
  `X-Request-Id` header of the documented form is present;
- the request's method and path name an operation of the document, and the status is one of that
  operation's responses (a path the document does not have, or a method it does not list, may only
  answer an error: 404 or 405 and the like, with the error body);
- a JSON body (Content-Type application/json) validates against the response's schema, with
  Debian's python3-jsonschema (Draft 2020-12, the dialect of OpenAPI 3.1).

Not checked: bodies that are not JSON (/metrics' text format, the SSE stream, which the tests read
from their own sockets), and responses to HEAD (no body).  The werkbank's static files (`/ui`,
`/ui/...`) are not part of the API and not in the document: their responses are checked for the two
headers only.  A response that
does not match raises OpenApiMismatch naming the route, the status and the schema error.

Environment: CASUS_OPENAPI_CHECK=0 switches the check off (for a quick look; the CTest runs keep it).
"""
import json
import os
import re

import jsonschema  # Debian's python3-jsonschema: the tests run under /usr/bin/python3 (CMakeLists.txt)

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("CASUS_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
DOC_PATH = os.path.join(SOURCE_DIR, "docs", "openapi.json")
ENABLED = os.environ.get("CASUS_OPENAPI_CHECK", "1") != "0"

with open(DOC_PATH, encoding="utf-8") as _f:
    DOC = json.load(_f)

API_VERSION = DOC["info"]["version"]
_RESOLVER = jsonschema.RefResolver(base_uri="", referrer=DOC)
_VALIDATORS = {}
# Statuses the HTTP layer answers before any route is known (docs/api.md, Errors).
_ROUTELESS = {"400", "404", "405", "408", "413", "431", "503"}


class OpenApiMismatch(AssertionError):
    pass


# Served by casusd but not part of the API (docs/ui.md): only the headers are checked.
_NOT_API = re.compile(r"^/ui(/|$)")


def _path_regex(template):
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


_ROUTES = [(_path_regex(p), p, item) for p, item in DOC["paths"].items()]


def operation(method, path):
    """(template, operation or None, path known) for a request."""
    path = path.split("?", 1)[0]
    for rx, template, item in _ROUTES:
        if rx.match(path):
            return template, item.get(method.lower()), True
    return None, None, False


def _validator(key, schema):
    v = _VALIDATORS.get(key)
    if v is None:
        v = jsonschema.Draft202012Validator(schema, resolver=_RESOLVER)
        _VALIDATORS[key] = v
    return v


def _fail(method, path, status, why):
    template = operation(method, path)[0]
    route = " (route %s %s)" % (method, template) if template else ""
    raise OpenApiMismatch("response to %s %s%s, status %d, disagrees with docs/openapi.json: %s"
                          % (method, path, route, status, why))


def check(method, path, status, headers, data):
    """Checks one response; headers has lower-case names, data is the body's bytes."""
    if not ENABLED:
        return
    if headers.get("api-version") != API_VERSION:
        _fail(method, path, status, "API-Version header %r, the document's version is %r"
              % (headers.get("api-version"), API_VERSION))
    rid = headers.get("x-request-id", "")
    if not re.match(r"^[A-Za-z0-9_.:-]{1,64}$", rid):
        _fail(method, path, status, "X-Request-Id header %r is missing or malformed" % rid)
    if _NOT_API.match(path.split("?", 1)[0]):
        return
    template, op, known = operation(method, path)
    route = "%s %s" % (method, template or path)
    ctype = headers.get("content-type", "").split(";")[0].strip()
    if op is None:
        # No operation: the server may only refuse the request, with the error body.
        if status < 400 or str(status) not in _ROUTELESS | ({"405"} if known else set()):
            _fail(method, path, status, "no operation %s in the document and status %d is not an error "
                  "the server gives for an unknown route" % (route, status))
        schema, key = {"$ref": "#/components/schemas/ErrorBody"}, "ErrorBody"
    else:
        resp = op["responses"].get(str(status))
        if resp is None:
            _fail(method, path, status, "%s (%s) documents no status %d (it has %s)"
                  % (route, op["operationId"], status, ", ".join(sorted(op["responses"]))))
        content = resp.get("content")
        if not content:
            return
        if ctype not in content:
            _fail(method, path, status, "Content-Type %r is not one %s documents for %d (%s)"
                  % (ctype, route, status, ", ".join(content)))
        schema = content[ctype].get("schema")
        key = (route, status, ctype)
    if method == "HEAD" or ctype != "application/json" or not data:
        return
    try:
        body = json.loads(data)
    except ValueError as e:
        _fail(method, path, status, "the body is not JSON: %s" % e)
    err = jsonschema.exceptions.best_match(_validator(key, schema).iter_errors(body))
    if err is not None:
        where = "/".join(str(p) for p in err.absolute_path) or "(the body)"
        _fail(method, path, status, "at %s: %s (schema %s)"
              % (where, err.message[:500], "/".join(str(p) for p in err.absolute_schema_path)))
