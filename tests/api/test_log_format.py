"""casusd serve --log-format json|text (issue 14): with json every line on stderr is one JSON object
with time, level and msg; each request adds a line with request_id, method, path, status,
duration_ms and actor.  text writes the same as text lines; without the option nothing changes."""
import json
import subprocess

from casus import Server, run, TOKEN, CASUSD


def lines(s):
    with open(s.stderr_path, encoding="utf-8") as f:
        return [l for l in f.read().split("\n") if l]


def test_json_every_line():
    "json: every line parses; the requests' lines carry their fields, the actor and the X-Request-Id"
    s = Server(extra_args=["--log-format", "json"])
    s.start()
    try:
        case = s.create_a()
        st, h, _ = s.raw("GET", "/v1/cases/%s" % case["id"], TOKEN["cr-rotterdam"],
                         headers={"X-Request-Id": "log-1"})
        assert st == 200, st
        st, h2, _ = s.raw("GET", "/v1/nope?x=1")
        assert st == 404, st
        s.raw("GET", "/healthz")
    finally:
        assert s.stop() == 0
    out = lines(s)
    objs = []
    for l in out:
        o = json.loads(l)  # every line
        assert isinstance(o.get("time"), str) and o["time"].endswith("Z"), o
        assert o.get("level") in ("info", "warn", "error") and isinstance(o.get("msg"), str), o
        objs.append(o)
    reqs = [o for o in objs if o["msg"] == "request"]
    assert len(reqs) >= 4, out
    for o in reqs:
        for k in ("request_id", "method", "path", "status", "duration_ms", "actor"):
            assert k in o, (k, o)
        assert isinstance(o["duration_ms"], (int, float)) and o["duration_ms"] >= 0, o
    get = [o for o in reqs if o["request_id"] == "log-1"]
    assert len(get) == 1, reqs
    assert get[0]["method"] == "GET" and get[0]["path"] == "/v1/cases/%s" % case["id"], get
    assert get[0]["status"] == 200 and get[0]["actor"] == "cr-rotterdam", get
    create = [o for o in reqs if o["method"] == "POST" and o["path"] == "/v1/cases"]
    assert create and create[0]["status"] == 201 and create[0]["actor"] == "pr-rotterdam", create
    nope = [o for o in reqs if o["request_id"] == h2["x-request-id"]]
    assert nope and nope[0]["path"] == "/v1/nope" and nope[0]["status"] == 404 and nope[0]["actor"] is None, nope
    # the stop is logged too, as JSON
    assert any("stopping" in o["msg"] for o in objs), objs


def test_text_and_default():
    "text: request lines as text; no option: no request lines; a bad value is refused"
    s = Server(extra_args=["--log-format", "text"])
    with s:
        s.raw("GET", "/healthz", headers={"X-Request-Id": "txt-1"})
    out = lines(s)
    assert any("casusd: request txt-1 GET /healthz 200" in l for l in out), out
    for l in out:
        assert not l.startswith("{"), l
    s = Server()
    with s:
        s.raw("GET", "/healthz", headers={"X-Request-Id": "txt-2"})
    assert not any("txt-2" in l for l in lines(s)), lines(s)
    p = subprocess.run([CASUSD, "serve", "--log-format", "xml"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--log-format takes json or text" in p.stderr, p


if __name__ == "__main__":
    run(globals())
