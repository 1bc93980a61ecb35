#!/usr/bin/env python3
"""Chart composition (docs/statecharts.md, "Composition"): a chart includes fragments from common/ next to
it (or the bundled ones), with parameters; statechart check, export, verify and the server resolve them
the same way, and the resolved chart says what came from which fragment at which version."""
import copy
import json
import os
import shutil
import subprocess
import tempfile

from casus import Server, TOKEN, run

CASUSD = os.environ.get("CASUSD", "build/casusd")
SRC = os.environ.get("CASUS_SOURCE_DIR", ".")
RIJNMOND = os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json")


def cli(*args):
    p = subprocess.run([CASUSD, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def first_after(node):
    """The path (list of keys) of the first "after" duration below node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "after" and isinstance(v, dict):
                return [k]
            sub = first_after(v)
            if sub is not None:
                return [k] + sub
    if isinstance(node, list):
        for i, v in enumerate(node):
            sub = first_after(v)
            if sub is not None:
                return [i] + sub
    return None


def resolved_rijnmond():
    """Rijnmond as it runs: the chart file with its includes (statecharts/common/) resolved, without the
    "included" record: a chart with no includes."""
    rc, out, err = cli("statechart", "export", "--format", "json", RIJNMOND)
    assert rc == 0, (rc, err)
    doc = json.loads(out)
    assert {i["fragment"] for i in doc.pop("included")} >= {"escalatieladder", "beeindigingsprocedure"}, doc
    return doc


def composed(d, name="ladder-proef"):
    """Writes into d a copy of (resolved) Rijnmond whose escalation region comes from fragment `name` in
    d/common/, with its first duration and the ladder's properties in the fragment. Returns (chart path,
    original, the duration)."""
    original = resolved_rijnmond()
    chart = copy.deepcopy(original)
    region = chart["root"]["states"].pop("escalatie")
    path = first_after(region)
    node = region
    for k in path[:-1]:
        node = node[k]
    duration = node["after"]
    node["after"] = {"param": "termijn"}
    ladder = [p for p in chart["properties"] if p["name"].startswith("ladder_")]
    assert ladder, "Rijnmond's ladder properties"
    chart["properties"] = [p for p in chart["properties"] if not p["name"].startswith("ladder_")]
    chart["root"]["states"]["escalatie"] = {"include": name, "with": {"termijn": duration}}
    os.makedirs(os.path.join(d, "common"), exist_ok=True)
    with open(os.path.join(d, "common", name + ".json"), "w") as f:
        json.dump({"fragment": name, "version": 3, "description": "the ladder, for the test",
                   "params": {"termijn": {"description": "the first deadline of the ladder"}},
                   "state": region, "properties": ladder}, f)
    with open(os.path.join(d, "jeugdhulp-rijnmond.json"), "w") as f:
        json.dump(chart, f)
    return os.path.join(d, "jeugdhulp-rijnmond.json"), original, duration


def test_resolved_chart_is_the_chart_written_out():
    """The composed copy resolves to exactly the chart it was cut from, plus "included"."""
    d = tempfile.mkdtemp()
    try:
        path, original, duration = composed(d)
        rc, out, err = cli("statechart", "check", path)
        assert rc == 0 and "ok (jeugdhulp-rijnmond@" in out, (rc, out, err)
        rc, out, err = cli("statechart", "export", "--format", "json", path)
        assert rc == 0, (rc, err)
        resolved = json.loads(out)
        assert resolved.pop("included") == [{"fragment": "ladder-proef", "version": 3,
                                             "at": "$.root.states.escalatie",
                                             "with": {"termijn": duration}}], resolved
        assert resolved["root"] == original["root"]
        assert sorted(p["name"] for p in resolved["properties"]) == sorted(p["name"] for p in original["properties"])
        assert {k: v for k, v in resolved.items() if k not in ("root", "properties")} == \
            {k: v for k, v in original.items() if k not in ("root", "properties")}
        # The diagrams are those of the original.
        for fmt in ("dot", "mermaid"):
            a = cli("statechart", "export", "--format", fmt, path)
            b = cli("statechart", "export", "--format", fmt, RIJNMOND)
            assert a[0] == 0 and a[1] == b[1], (fmt, a[2])
        # A chart without includes exports as itself.
        plain = os.path.join(d, "plain", "jeugdhulp-rijnmond.json")
        os.makedirs(os.path.dirname(plain))
        with open(plain, "w") as f:
            json.dump(original, f)
        rc, out, _ = cli("statechart", "export", "--format", "json", plain)
        assert rc == 0 and json.loads(out) == original
    finally:
        shutil.rmtree(d)


def test_verify_checks_the_fragments_properties():
    d = tempfile.mkdtemp()
    try:
        path, _, _ = composed(d)
        rc, out, err = cli("statechart", "verify", "--json", "--max-states", "500", "--property",
                           "ladder_stap2_na_feiten", path)
        assert rc == 0, (rc, err)
        c = json.loads(out)["charts"][0]
        assert [p["name"] for p in c["properties"]] == ["ladder_stap2_na_feiten"], c["properties"]
    finally:
        shutil.rmtree(d)


def test_include_problems_are_named_at_their_path():
    d = tempfile.mkdtemp()
    try:
        path, _, _ = composed(d)
        chart = json.load(open(path))
        frag_path = os.path.join(d, "common", "ladder-proef.json")
        frag = json.load(open(frag_path))

        def check(mutate_chart=None, mutate_frag=None):
            c, f = copy.deepcopy(chart), copy.deepcopy(frag)
            if mutate_chart:
                mutate_chart(c)
            if mutate_frag:
                mutate_frag(f)
            json.dump(c, open(path, "w"))
            json.dump(f, open(frag_path, "w"))
            rc, out, _ = cli("statechart", "check", path)
            assert rc == 1, out
            return out

        esc = lambda c: c["root"]["states"]["escalatie"]  # noqa: E731
        out = check(lambda c: esc(c).pop("with"))
        assert "$.root.states.escalatie: fragment \"ladder-proef\" needs parameter \"termijn\"" in out, out
        out = check(lambda c: esc(c)["with"].update(extra=1))
        assert "fragment \"ladder-proef\" has no parameter \"extra\"" in out, out
        out = check(lambda c: esc(c).update(include="bestaat-niet"))
        assert "fragment \"bestaat-niet\": no " in out and "none bundled" in out, out
        out = check(lambda c: esc(c).update(include="../geheim"))
        assert "\"include\" must name a fragment" in out, out
        out = check(lambda c: c.update(included=[]))
        assert "$.included: \"included\" is written by resolving" in out, out
        out = check(mutate_frag=lambda f: f.update(fragment="anders"))
        assert "a fragment has \"fragment\" (its own name)" in out, out
        out = check(mutate_frag=lambda f: f["params"].update(termijn={"descriptio": "typo"}))
        assert "descriptio" in out, out
        # A fragment that includes itself stops at the depth limit.
        out = check(mutate_frag=lambda f: f.update(state={"include": "ladder-proef", "with": {"termijn": 1}}))
        assert "includes nested more than 4 deep" in out, out
        # export and verify refuse the same way.
        rc, _, err = cli("statechart", "export", "--format", "json", path)
        assert rc == 1 and "includes nested more than 4 deep" in err, err
        rc, _, err = cli("statechart", "verify", path)
        assert rc == 2 and "includes nested more than 4 deep" in err, err
    finally:
        shutil.rmtree(d)


def test_server_runs_the_resolved_chart():
    """--charts DIR: the fragment comes from DIR/common; the chart served is the resolved one, and a case
    runs the fragment's states (the ladder opened by the casusregisseur)."""
    d = tempfile.mkdtemp()
    try:
        composed(d)
        with Server(extra_args=["--charts", d]) as s:
            st, body = s.req("GET", "/v1/statecharts/jeugdhulp-rijnmond", TOKEN["pr-rotterdam"])
            assert st == 200, (st, body)
            doc = body.get("chart", body)
            assert doc["included"][0]["fragment"] == "ladder-proef", list(doc)
            assert "escalatie" in doc["root"]["states"] and "include" not in doc["root"]["states"]["escalatie"]
            cid = s.create_a(casusregisseur="cr-rotterdam")["id"]
            case = s.get_case(cid, "cr-rotterdam")
            assert any("escalatie" in leaf or "geen_escalatie" in leaf for leaf in case["state"]), case["state"]
    finally:
        shutil.rmtree(d)


def test_bundled_fragments_are_not_charts():
    """statecharts/common/ holds fragments: the server does not load them as charts, and check of a
    fragment file alone says it is not a chart."""
    common = os.path.join(SRC, "statecharts", "common")
    with Server() as s:
        st, body = s.req("GET", "/v1/statecharts", TOKEN["pr-rotterdam"])
        assert st == 200, (st, body)
        items = body.get("items", body.get("statecharts", body))
        ids = [c["id"] for c in items]
        assert sorted(ids) == sorted(n[:-5] for n in os.listdir(os.path.join(SRC, "statecharts"))
                                     if n.endswith(".json")), ids
    for name in (os.listdir(common) if os.path.isdir(common) else []):
        rc, out, _ = cli("statechart", "check", os.path.join(common, name))
        assert rc == 1, out


if __name__ == "__main__":
    run(globals())
