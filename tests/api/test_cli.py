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


def test_operator_files_beyond_their_byte_limits_are_refused():
    """LIMIT_CHART_BYTES_MAX (1 MiB) and LIMIT_CONFIG_BYTES_MAX (4 MiB) hold before any parsing."""
    d = tempfile.mkdtemp(prefix="casus-limits-")
    try:
        chart = json.load(open(os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json")))
        ok = os.path.join(d, "ok.json")
        with open(ok, "w") as f:
            json.dump(chart, f)
            f.write(" " * (1024 * 1024 - f.tell()))  # exactly at the limit: still read
        rc, out, _ = run("statechart", "check", ok)
        assert rc == 0 and ": ok (" in out, out
        with open(ok, "a") as f:
            f.write(" ")  # one byte over
        rc, out, _ = run("statechart", "check", ok)
        assert rc == 1 and "1048577 bytes is more than a statechart may have (1048576 bytes)" in out, out
        rc, _, err = run("statechart", "export", "--format", "dot", ok)
        assert rc == 1 and "more than a statechart may have" in err, err
        # --charts DIR refuses to start with an oversized chart in it
        charts = os.path.join(d, "charts")
        os.mkdir(charts)
        shutil.move(ok, os.path.join(charts, "groot.json"))
        cfg = os.path.join(d, "config.json")
        shutil.copy(os.path.join(SRC, "config", "demo.json"), cfg)
        rc, _, err = run("serve", "--config", cfg, "--charts", charts, "--listen", "127.0.0.1:0",
                         "--data", os.path.join(d, "data"))
        assert rc != 0 and "groot.json" in err and "more than a statechart may have" in err, err
        with open(cfg, "a") as f:
            f.write(" " * (4 * 1024 * 1024))
        rc, _, err = run("serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data", os.path.join(d, "data"))
        assert rc == 2 and "more than a configuration may have (4194304 bytes)" in err, err
        rc, _, err = run("serve", "--config", d, "--listen", "127.0.0.1:0", "--data", os.path.join(d, "data"))
        assert rc == 2 and "not a regular file" in err, err
    finally:
        shutil.rmtree(d)


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
