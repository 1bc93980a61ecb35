#!/usr/bin/env python3
"""The casusd command line: help texts, statechart check, hash-token, verify, backup."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

CASUSD = os.environ.get("CASUSD", "build/casusd")
SRC = os.environ.get("CASUS_SOURCE_DIR", ".")
results = {"passed": 0, "failed": 0}


def run(*args, stdin=None):
    p = subprocess.run([CASUSD, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_help_for_every_command():
    rc, out, _ = run("--help")
    assert rc == 0 and "serve" in out and "statechart check" in out and "verify" in out
    for cmd in (["serve"], ["statechart", "check"], ["hash-token"], ["verify"], ["backup"]):
        rc, out, _ = run(*cmd, "--help")
        assert rc == 0 and out.startswith("Usage: casusd"), (cmd, rc, out)
    rc, _, err = run("frobnicate")
    assert rc == 2 and "unknown command" in err


def test_statechart_check_bundled_chart_ok():
    for name in os.listdir(os.path.join(SRC, "statecharts")):
        rc, out, _ = run("statechart", "check", os.path.join(SRC, "statecharts", name))
        assert rc == 0 and ": ok (" in out, out


def test_statechart_check_reports_paths():
    chart = json.load(open(os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json")))
    states = chart["root"]["states"]["traject"]["states"]
    states["toegewezen"]["transitions"][0]["target"] = "nergens"          # unknown target
    states["toegewezen"]["transitions"][1]["roles"] = []                   # nobody may fire it
    states["eiland"] = {"status": "in_zorg"}                               # unreachable
    states["aangemeld"]["timers"] = [{"name": "t", "event": "niemand_luistert", "after": {"days": 3}}]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(chart, f)
    try:
        rc, out, _ = run("statechart", "check", f.name)
    finally:
        os.unlink(f.name)
    assert rc == 1, out
    assert "$.root.states.traject.states.toegewezen.transitions[0].target: unknown target state \"nergens\"" in out, out
    assert "$.root.states.traject.states.toegewezen.transitions[1].roles" in out and "nobody may fire" in out, out
    assert "$.root.states.traject.states.eiland: state \"eiland\" is unreachable" in out, out
    assert "$.root.states.traject.states.aangemeld.timers[0]" in out and "no handler" in out, out


def test_statechart_check_invalid_json():
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write("{\"id\": ")
    try:
        rc, out, _ = run("statechart", "check", f.name)
    finally:
        os.unlink(f.name)
    assert rc == 1 and "not valid JSON" in out, out


def test_export_matches_docs_diagrams():
    """docs/charts/ is generated from the charts (target 'diagrams'): it must not drift."""
    for name in os.listdir(os.path.join(SRC, "statecharts")):
        base = os.path.join(SRC, "docs", "charts", name[:-5])
        for fmt, ext in (("dot", ".dot"), ("mermaid", ".mmd")):
            rc, out, err = run("statechart", "export", "--format", fmt, os.path.join(SRC, "statecharts", name))
            assert rc == 0, err
            assert os.path.exists(base + ext), f"{base + ext} missing: cmake --build build --target diagrams"
            assert open(base + ext).read() == out, f"{base + ext} is stale: cmake --build build --target diagrams"
        assert os.path.exists(base + ".svg")
    rc, out, _ = run("statechart", "export", "--format", "mermaid", os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json"))
    assert "stateDiagram-v2" in out and "aangemeld --> toegewezen : toewijzen [procesregisseur]" in out
    rc, _, err = run("statechart", "export", "--format", "png", os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json"))
    assert rc == 2 and "dot or mermaid" in err


def test_hash_token_argument_and_stdin():
    want = hashlib.sha256(b"geheim-token").hexdigest()
    rc, out, _ = run("hash-token", "geheim-token")
    assert rc == 0 and out.strip() == want
    rc, out, _ = run("hash-token", stdin="geheim-token\n")
    assert rc == 0 and out.strip() == want
    rc, _, err = run("hash-token", stdin="\n")
    assert rc == 2 and "empty" in err


def test_verify_and_backup_of_empty_store():
    d = tempfile.mkdtemp()
    try:
        data, copy = os.path.join(d, "data"), os.path.join(d, "copy")
        rc, out, err = run("verify", "--data", data)
        assert rc == 0 and "ok: 0 history entries" in out, (out, err)
        rc, out, err = run("backup", "--data", data, "--out", copy)
        assert rc == 0, (out, err)
        rc, out, _ = run("verify", "--data", copy)
        assert rc == 0, out
        rc, _, err = run("verify")
        assert rc == 2 and "Usage" in err
    finally:
        shutil.rmtree(d)


def test_serve_rejects_bad_arguments():
    rc, _, err = run("serve", "--clock", "sometimes")
    assert rc == 2 and "--clock" in err
    rc, _, err = run("serve", "--listen", "nonsense")
    assert rc == 2 and "--listen" in err
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"regions": {}, "actors": []}, f)
    try:
        rc, _, err = run("serve", "--config", f.name, "--listen", "127.0.0.1:0", "--data", tempfile.gettempdir() + "/casus-never")
    finally:
        os.unlink(f.name)
    assert rc == 1 and "regions" in err, err


if __name__ == "__main__":
    for name, fn in sorted(globals().items()):
        if name.startswith("test_") and callable(fn):
            try:
                fn()
                results["passed"] += 1
            except Exception as e:  # noqa: BLE001 - report every failure
                results["failed"] += 1
                print(f"FAIL {name}: {e!r}")
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
