"""HTTP API tests: the demo's example cases (issue 11 part 4; docs/api.md, "The demo's example cases").

`casusd serve` without --config creates the example cases of config/demo-cases.json, in every region, when
its store holds no case: each step goes through the write path as the actor it names, "@today+N" dates
count from the service's clock, and each case ends as its "expect" says.  A store that holds cases gets none;
a refused step is logged and ends only its own example; a bad file stops the start (exit 2).
"""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import CASUSD, SOURCE_DIR, Server, run, tmpdir  # noqa: E402

T0 = "2027-03-10T09:00:00+01:00"
TODAY = datetime.date(2027, 3, 10)
EXAMPLES = os.path.join(SOURCE_DIR, "config", "demo-cases.json")
REGIONS = ("rijnmond", "alkmaar", "westfriesland", "mijov", "zuid-limburg")


def demo_config():
    with open(os.path.join(SOURCE_DIR, "config", "demo.json")) as f:
        cfg = json.load(f)
    cfg["now"] = T0
    return cfg


def examples():
    with open(EXAMPLES) as f:
        return json.load(f)["cases"]


def cases_of(s, actor):
    st, body = s.req("GET", "/v1/cases?limit=100", "demo-" + actor)
    assert st == 200, (actor, st, body)
    return body["cases"]


def history_actors(s, cid, who):
    """Who wrote the case's history, in order (the timers' entries left out)."""
    st, hist = s.req("GET", "/v1/cases/%s/history" % cid, "demo-" + who)
    assert st == 200, (st, hist)
    return [h["actor"] for h in hist["entries"] if h.get("actor") not in (None, "system", "timer")]


def write_examples(doc):
    path = os.path.join(tmpdir(), "examples.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def test_every_region_has_its_example_cases_in_the_state_they_promise():
    """Every example of config/demo-cases.json is created, step by step as its actors, and ends in its
    "expect" (status and a state); the five regions each have some; "@today-30" is the service clock's date
    minus 30 days; each case's history names the actors of its steps, in order."""
    ex = examples()
    with Server(config=demo_config(), extra_args=["--examples", EXAMPLES]) as s:
        log = s.stderr()
        assert "not applied" not in log, log
        assert "demo: %d of %d example cases created" % (len(ex), len(ex)) in log, log
        regions = set()
        seen = set()
        for e in ex:
            naam = e["create"]["jeugdige"]["naam"]
            steps = [e["by"]] + [v["by"] for v in e.get("events", [])]
            found = [c for c in cases_of(s, e["by"])
                     if c["fields"]["jeugdige"]["naam"] == naam and c["status"] == e["expect"]["status"]
                     and e["expect"]["state"] in c["state"] and c["id"] not in seen
                     and history_actors(s, c["id"], e["by"]) == steps]
            assert len(found) == 1, "example %r: want one case of %s in %r whose history is %r" % (
                e["title"], naam, e["expect"], steps)
            seen.add(found[0]["id"])
            regions.add(found[0]["fields"]["regio"])
        assert regions == set(REGIONS), regions
        # "@today-30" of the first Rijnmond example against the manual clock's date
        first = [c for c in cases_of(s, "pr-rotterdam") if c["fields"]["jeugdige"]["naam"] == "Sam de Vries"][0]
        assert first["fields"]["product"]["begindatum"] == str(TODAY - datetime.timedelta(days=30)), \
            first["fields"]["product"]
        # a store that holds cases gets no second set
        s.restart()
        assert "the store holds cases already" in s.stderr(), s.stderr()
        assert len(cases_of(s, "pr-rotterdam")) == len([e for e in ex if e["by"] == "pr-rotterdam"]) + \
            len([e for e in ex if e["by"] == "pr-jb-rijnmond"])


def test_a_refused_step_ends_its_own_example_only():
    """A step the chart refuses (an unknown actor, a guard, a bad "@today" form, a step without its event)
    is logged with its example and step, and ends that example; the others are created."""
    doc = {"cases": [
        {"title": "good", "by": "pr-hoorn",
         "create": {"verwijzer": "gemeente", "gemeente": "hoorn", "jeugdige": {"naam": "A", "geboortedatum": "@today-4000"}}},
        {"title": "nobody", "by": "pr-nergens",
         "create": {"gemeente": "hoorn", "jeugdige": {"naam": "B", "geboortedatum": "2014-01-01"}}},
        {"title": "bad date", "by": "pr-hoorn",
         "create": {"verwijzer": "gemeente", "gemeente": "hoorn", "jeugdige": {"naam": "C", "geboortedatum": "@today-x"}}},
        {"title": "refused", "by": "pr-hoorn",
         "create": {"verwijzer": "gemeente", "gemeente": "hoorn", "jeugdige": {"naam": "D", "geboortedatum": "2014-01-01"}},
         "events": [{"by": "ab-horizon", "event": "start_zorg"},
                    {"by": "pr-hoorn", "event": "toewijzen", "data": {}}]},
        {"title": "no event", "by": "pr-hoorn",
         "create": {"verwijzer": "gemeente", "gemeente": "hoorn", "jeugdige": {"naam": "E", "geboortedatum": "2014-01-01"}},
         "events": [{"by": "pr-hoorn"}]},
    ]}
    with Server(config=demo_config(), extra_args=["--examples", write_examples(doc)]) as s:
        log = s.stderr()
        assert "demo: 1 of 5 example cases created" in log, log
        assert "demo example 2 (nobody), step 0 (create by pr-nergens) not applied: no actor" in log, log
        assert "demo example 3 (bad date), step 0" in log and '"@today-x" is not' in log, log
        assert "demo example 4 (refused), step 1 (start_zorg by ab-horizon) not applied" in log, log
        assert "step 2" not in log, log  # the example ended at its first refusal
        assert "demo example 5 (no event), step 1" in log and "needs \"by\"" in log, log
        names = sorted(c["fields"]["jeugdige"]["naam"] for c in cases_of(s, "pr-hoorn"))
        assert names == ["A", "D", "E"], names  # B and C were never created; D and E stay as created


def test_bad_examples_file_or_options_stop_the_start():
    """--examples with a file that does not load, or without "cases", and --examples with --no-examples,
    exit 2 before anything is opened."""
    d = tmpdir()
    bad = os.path.join(d, "bad.json")
    with open(bad, "w") as f:
        f.write('{"cases": {}}')
    for args, want in ((["--examples", os.path.join(d, "missing.json")], "missing.json"),
                       (["--examples", bad], "needs \"cases\""),
                       (["--examples", EXAMPLES, "--no-examples"], "exclude each other")):
        p = subprocess.run([CASUSD, "serve", "--listen", "127.0.0.1:0", "--data", os.path.join(d, "data")] + args,
                           capture_output=True, text=True, timeout=60, cwd=d)
        assert p.returncode == 2 and want in p.stderr, (args, p.returncode, p.stderr)
        assert not os.path.exists(os.path.join(d, "data")), args


def test_embedded_demo_creates_them_and_no_examples_leaves_the_store_empty():
    """`casusd serve` with no --config (the embedded demo, the real clock) creates every example case;
    --no-examples starts it with an empty store."""
    n = len(examples())
    for args, want in (([], "demo: %d of %d example cases created" % (n, n)), (["--no-examples"], None)):
        d = tmpdir()
        p = subprocess.Popen([CASUSD, "serve", "--listen", "127.0.0.1:0", "--data", os.path.join(d, "data")] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=d)
        try:
            out = ""
            while "listening on" not in out:
                line = p.stdout.readline()
                assert line, p.stderr.read()
                out += line
        finally:
            p.terminate()
            _, err = p.communicate(timeout=60)
        assert p.returncode == 0, (p.returncode, err)
        assert "not applied" not in err, err
        if want:
            assert want in err, err
        else:
            assert "example cases created" not in err, err


if __name__ == "__main__":
    run(globals())
