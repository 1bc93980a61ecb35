#!/usr/bin/env python3
"""statechart verify on one property at a time, deep enough to find R-BE-12's bypass (60 000
configurations per slice): the landed Rijnmond chart holds, a copy without zorg_afsluiten's R-BE-12
guards is violated with the shortest trace. These runs take minutes under the sanitizers: like
test_verify_mutations they run in the plain pass (CMakeLists.txt); test_cli runs the verifier's
small bounds in every pass."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

CASUSD = os.environ.get("CASUSD", "build/casusd")
SRC = os.environ.get("CASUS_SOURCE_DIR", ".")
results = {"passed": 0, "failed": 0}


def run(*args, stdin=None, timeout=600):
    p = subprocess.run([CASUSD, *args], input=stdin, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def without_be12_guards(chart, event):
    """Drops the R-BE-12 guards of the in_zorg transition `event` (the bypass the chart had before the rule
    was enforced); returns the chart."""
    t = next(t for t in chart["root"]["states"]["traject"]["states"]["in_zorg"]["transitions"] if t["event"] == event)
    kept = [g for g in t["guards"] if g["rule"] != "R-BE-12"]
    assert len(kept) < len(t["guards"]), t["guards"]
    t["guards"] = kept
    return chart


def test_statechart_verify_be12_bypass_trace():
    """R-BE-12 on its own (--property): on the landed Rijnmond chart the aanbieder cannot end the case
    another way while the termination procedure it announced is open (the property holds within the
    bound); on a copy without zorg_afsluiten's R-BE-12 guards (the landed chart before the rule) it is
    violated (in 5 steps when breadth first reaches that deep, else on a longer random walk), the aanbieder
    ending the case with zorg_afsluiten after beeindiging_aankondigen,
    and the early end with reden 33 in 4."""
    chart = json.load(open(os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json")))
    d = tempfile.mkdtemp()
    try:
        landed, path = os.path.join(d, "landed.json"), os.path.join(d, "be12.json")
        json.dump(chart, open(landed, "w"))
        json.dump(without_be12_guards(chart, "zorg_afsluiten"), open(path, "w"))
        names = "geen_einde_tijdens_beeindigingsprocedure,reden_33_alleen_na_goedgekeurde_beeindiging"
        rc, out, err = run("statechart", "verify", "--max-states", "5000", "--json", "--property", names, landed)
        assert rc == 0, (rc, out[-2000:], err)
        assert [p["result"] for p in json.loads(out)["charts"][0]["properties"]] == ["ok", "ok"], out[-2000:]
        # about 49 000 configurations: minutes under the sanitizers or a busy machine
        rc, out, err = run("statechart", "verify", "--max-states", "60000", "--json", "--property", names, path,
                           timeout=1200)
        assert rc == 1, (rc, out[-2000:], err)
        props = {p["name"]: p for p in json.loads(out)["charts"][0]["properties"]}
        be12 = props["geen_einde_tijdens_beeindigingsprocedure"]
        assert be12["result"] == "violated", be12
        trace = be12["trace"]
        assert trace[0]["create"] is True and trace[-1]["event"] == "zorg_afsluiten", trace
        # Breadth first finds it in 5 steps when its bound reaches that deep; otherwise a random walk past the
        # bound finds a longer one (found_by "walk").
        assert "beeindiging_aankondigen" in [s["event"] for s in trace], trace
        assert len(trace) == 5 or (be12.get("found_by") == "walk" and len(trace) > 5), (len(trace), be12.get("found_by"))
        early_end = props["reden_33_alleen_na_goedgekeurde_beeindiging"]
        assert early_end["result"] == "violated", early_end
        trace = early_end["trace"]
        assert trace[0]["create"] is True and trace[-1]["event"] == "zorg_afsluiten", trace
        assert len(trace) == 4 or early_end.get("found_by") == "walk", (len(trace), early_end.get("found_by"))
        assert trace[-1]["data"]["reden_beeindiging"] == "33" and trace[-1]["state"] == ["beeindigd"], trace
    finally:
        shutil.rmtree(d)


def test_statechart_verify_one_property_and_the_whole_chart():
    """--property checks only the named properties (no built-in check: they need every region);
    --whole explores the chart in one piece and reaches the same verdict on R-BE-12's bypass (on a copy of
    Rijnmond without zorg_afsluiten's R-BE-12 guards: violated; on the landed chart: holds). The whole-chart
    run asks for the early end with reden 33 (4 steps from the create): the end during the procedure is 5
    steps, beyond what 40 000 configurations of the whole chart reach since the toewijzing screens,
    bridges, is checked against its arrangement's limits and records its risicotaxatie (R-TW-3, R-TW-6,
    R-MON-8, R-SAFE-1); the sliced run needs about 49 000 configurations for it."""
    landed = os.path.join(SRC, "statecharts", "jeugdhulp-rijnmond.json")
    d = tempfile.mkdtemp()
    try:
        chart = os.path.join(d, "bypass.json")
        json.dump(without_be12_guards(json.load(open(landed)), "zorg_afsluiten"), open(chart, "w"))
        # 60,000: the slice keeps the einddatum, since the toewijzing ends at it (R-MON-9), and the larger
        # sample space of R-MON-8/R-MON-10; the bypass (5 steps) lies within it.
        p = subprocess.run([CASUSD, "statechart", "verify", "--json", "--max-states", "60000", "--property",
                            "geen_einde_tijdens_beeindigingsprocedure,formulier_na_beide_waarschuwingen", chart],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 1, (p.returncode, p.stderr)
        c = json.loads(p.stdout)["charts"][0]
        assert [q["name"] for q in c["properties"]] == ["geen_einde_tijdens_beeindigingsprocedure",
                                                       "formulier_na_beide_waarschuwingen"], c["properties"]
        assert c["checks"] == [] and [q["result"] for q in c["properties"]] == ["violated", "ok"], c
        for path, rc, result in ((chart, 1, "violated"), (landed, 0, "ok")):
            p = subprocess.run([CASUSD, "statechart", "verify", "--json", "--max-states", "40000", "--whole",
                                "--property", "reden_33_alleen_na_goedgekeurde_beeindiging", path],
                               capture_output=True, text=True, timeout=600)
            assert p.returncode == rc, (path, p.returncode, p.stderr)
            c = json.loads(p.stdout)["charts"][0]
            assert c["figures"]["slices"] == 1 and c["slices"][0]["keeps"].startswith("8 of 8 regions"), c["slices"]
            assert c["properties"][0]["result"] == result, c["properties"]
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
