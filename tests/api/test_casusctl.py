"""HTTP API test: casusctl (tools/casusctl) against a real casusd -- every command, the bulk
reassignments (a casusregisseur's open cases to another, a stopping aanbieder's cases back to the
procesregisseur) with re-runs after an interruption (--max, and a SIGKILL mid-way) that report
"already done" and change no case twice, a refused case, a bad token, an unreachable server, and
errors shown as code and message, never a Python traceback (docs/operations.md, "casusctl")."""
import json
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, SOURCE_DIR, TOKEN, Server, run, tmpdir  # noqa: E402

CASUSCTL = os.path.join(SOURCE_DIR, "tools", "casusctl")
TIMEOUT_S = 120


def ctl(s, who, *args, stdin=None, env=None, url=None):
    """Runs casusctl as `who` (None: no token) against s; returns (exit status, stdout, stderr)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("CASUS")}
    e["HOME"] = e["XDG_CONFIG_HOME"] = tmpdir("casusctl-home-")  # no default config of the user's
    e["CASUS_URL"] = url or "http://127.0.0.1:%d" % s.port
    if who is not None:
        e["CASUS_TOKEN"] = TOKEN[who]
    e.update(env or {})
    r = subprocess.run([CASUSCTL] + list(args), capture_output=True, text=True, input=stdin, env=e,
                       timeout=TIMEOUT_S)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    return r.returncode, r.stdout, r.stderr


def ctl_json(s, who, *args, want=0):
    rc, out, err = ctl(s, who, "--json", *args)
    assert rc == want, (args, rc, out, err)
    return json.loads(out)


def by_case(report):
    return {r["case"]: r for r in report["results"]}


def wijzigingen(s, cid):
    return [e for e in s.history(cid, "pr-rotterdam") if e["event"] == "casusregisseur_wijzigen"]


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_help_on_every_command():
    "--help on casusctl and every command prints its usage and exits 0; no command is a usage error."
    for args in ([], ["cases"], ["show"], ["history"], ["fire"], ["inbox"], ["tail"], ["me"], ["reassign"],
                 ["reassign", "casusregisseur"], ["reassign", "aanbieder"]):
        r = subprocess.run([CASUSCTL] + args + ["--help"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.startswith("usage: casusctl"), (args, r.returncode, r.stderr)
    r = subprocess.run([CASUSCTL], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "usage: casusctl" in r.stderr, (r.returncode, r.stderr)
    with open(CASUSCTL) as f:
        assert f.readline().rstrip() == "#!/usr/bin/python3"


def test_reads():
    "cases (with the list filters), show, history, me and inbox print what the API answers."
    with Server() as s:
        a = s.create_a()["id"]
        b = s.create_a(casusregisseur="cr2-rotterdam")["id"]
        assert s.toewijzen(b)[0] == 200
        c = s.create_a(gemeente="schiedam")["id"]
        assert sorted(k["id"] for k in ctl_json(s, "pr-rotterdam", "cases")) == sorted([a, b])
        assert [k["id"] for k in ctl_json(s, "pr-rotterdam", "cases", "--status", "toegewezen")] == [b]
        assert [k["id"] for k in ctl_json(s, "pr-rotterdam", "cases", "--casusregisseur", "cr2-rotterdam")] == [b]
        assert [k["id"] for k in ctl_json(s, "pr-rotterdam", "cases", "--aanbieder", HORIZON)] == [b]
        assert [k["id"] for k in ctl_json(s, "ab-horizon", "cases")] == [b]
        assert [k["id"] for k in ctl_json(s, "pr-schiedam", "cases", "--gemeente", "schiedam")] == [c]
        assert [k["id"] for k in ctl_json(s, "pr-rotterdam", "cases", "--filter", "gemeente=rotterdam",
                                          "--max", "1")] == [sorted([a, b])[0]]
        # Paging: one case a page still lists them all.
        assert len(ctl_json(s, "pr-rotterdam", "cases", "--page-size", "1")) == 2
        rc, out, err = ctl(s, "pr-rotterdam", "cases", "--status", "toegewezen")
        assert rc == 0 and b in out and a not in out and "1 case" in out, (rc, out, err)
        # A bad filter value is the server's 400, shown as such.
        rc, out, err = ctl(s, "pr-rotterdam", "cases", "--deadline-before", "gisteren")
        assert rc == 1 and "400 bad_request" in err, (rc, out, err)

        assert ctl_json(s, "pr-rotterdam", "show", b)["fields"]["aanbieder"] == HORIZON
        rc, out, err = ctl(s, "pr-rotterdam", "show", b)
        assert rc == 0 and "status:" in out and "toegewezen" in out and HORIZON in out, (rc, out)
        hist = ctl_json(s, "pr-rotterdam", "history", b)
        assert [e["event"] for e in hist] == [e["event"] for e in s.history(b, "pr-rotterdam")]
        rc, out, err = ctl(s, "pr-rotterdam", "history", b)
        assert rc == 0 and "toewijzen" in out and "aanmelden" in out, (rc, out)

        me = ctl_json(s, "ab-horizon", "me")
        assert me["id"] == "ab-horizon" and me["role"] == "aanbieder", me
        items = ctl_json(s, "ab-horizon", "inbox")
        assert items and {i["seq"] for i in items} == {i["seq"] for i in s.inbox("ab-horizon")}, items
        tasks = ctl_json(s, "ab-horizon", "inbox", "--kind", "task")
        assert all(i["type"] == "task" for i in tasks), tasks
        rc, out, err = ctl(s, "ab-horizon", "inbox")
        assert rc == 0 and b in out, (rc, out)

        # An unknown or invisible case: 404 with its code and message, exit 1.
        rc, out, err = ctl(s, "pr-rotterdam", "show", c)
        assert rc == 1 and "404 not_found" in err and "R-AUTH-2" in err, (rc, out, err)


def test_fire():
    "fire sends --data as JSON, @FILE or @- (stdin); a refusal shows its code, message and rule; a key replays."
    with Server() as s:
        cid = s.create_a()["id"]
        data = {"uitkomst": "geen_risico"}
        v = ctl_json(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--data", json.dumps(data))
        assert v["version"] == 2, v
        path = os.path.join(tmpdir(), "data.json")
        with open(path, "w") as f:
            json.dump(data, f)
        v = ctl_json(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--data", "@" + path)
        assert v["version"] == 3, v
        rc, out, err = ctl(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--data", "@-",
                           "--expected-version", "3", stdin=json.dumps(data))
        assert rc == 0 and "version 4" in out, (rc, out, err)
        # The same Idempotency-Key and body: the first reply again, nothing changes.
        for _ in range(2):
            v = ctl_json(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--data", json.dumps(data),
                         "--idempotency-key", "k-1")
            assert v["version"] == 5, v
        assert s.get_case(cid, "pr-rotterdam")["version"] == 5
        # Refusals: the server's code, message and rule; exit 1.
        rc, out, err = ctl(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--expected-version", "1",
                           "--data", json.dumps(data))
        assert rc == 1 and "409 version_mismatch" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "fire", cid, "casusregisseur_wijzigen",
                           "--data", '{"casusregisseur": "cr-rotterdam"}')
        assert rc == 1 and "422 guard_failed" in err and "(R-TW-5)" in err, (rc, out, err)
        rc, out, err = ctl(s, "ab-horizon", "fire", cid, "start_zorg")
        assert rc == 1 and "404 not_found" in err, (rc, out, err)
        # Bad --data never reaches the server: exit 2.
        for bad in ("{nope", "[1]", "@/nonexistent/data.json"):
            rc, out, err = ctl(s, "pr-rotterdam", "fire", cid, "risicotaxatie_vastleggen", "--data", bad)
            assert rc == 2 and err.startswith("casusctl: "), (bad, rc, err)
        assert s.get_case(cid, "pr-rotterdam")["version"] == 5


def test_tail():
    "tail prints the stream's items: the open ones after --after, then what comes; --count ends it."
    with Server() as s:
        cid = s.create_a()["id"]
        assert s.toewijzen(cid)[0] == 200
        seen = max(i["seq"] for i in s.inbox("ab-horizon"))
        e = {k: v for k, v in os.environ.items() if not k.startswith("CASUS")}
        e.update(CASUS_URL="http://127.0.0.1:%d" % s.port, CASUS_TOKEN=TOKEN["ab-horizon"],
                 HOME=tmpdir(), XDG_CONFIG_HOME=tmpdir())
        p = subprocess.Popen([CASUSCTL, "tail", "--json", "--count", "2", "--after", str(seen - 1)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        try:
            first = json.loads(p.stdout.readline())  # the open item replayed
            assert int(first["id"]) == seen, first
            cid2 = s.create_a()["id"]
            assert s.toewijzen(cid2)[0] == 200  # a new task for the aanbieder
            out, err = p.communicate(timeout=TIMEOUT_S)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 0 and "Traceback" not in err, (p.returncode, err)
        second = json.loads(out.splitlines()[0])
        assert int(second["id"]) > seen and second["item"]["case_id"] == cid2, second
        # Human output, and an idle stream that ends by --idle-timeout.
        rc, out, err = ctl(s, "ab-horizon", "tail", "--after", str(seen - 1), "--idle-timeout", "1")
        assert rc == 0 and cid in out, (rc, out, err)


def test_reassign_casusregisseur():
    """All open cases of cr-rotterdam to cr-nieuw: a gezin's cases change together, a re-run after --max
    reports the done ones as already done, a case whose history is full is refused with its code, and no
    case changes twice; the cases of another casusregisseur are left alone."""
    with Server(env={"CASUSD_TEST_EVENTS_PER_CASE_MAX": "3"}) as s:
        gezin = [s.create_a(gezin="G-7")["id"] for _ in range(3)]
        single = [s.create_a()["id"] for _ in range(3)]
        full = s.create_a()["id"]
        for _ in range(2):  # three entries: the next is refused (the test knob's history limit)
            s.fire(full, "pr-rotterdam", "risicotaxatie_vastleggen", {"uitkomst": "geen_risico"})
        other = s.create_a(casusregisseur="cr2-rotterdam")["id"]
        mine = gezin + single + [full]
        cmd = ("reassign", "casusregisseur", "cr-rotterdam", "cr-nieuw", "--toelichting", "vertrokken")

        dry = by_case(ctl_json(s, "pr-rotterdam", *cmd, "--dry-run"))
        assert set(dry) == set(mine) and all(r["result"] == "would_fire" for r in dry.values()), dry
        assert s.get_case(single[0], "pr-rotterdam")["fields"]["casusregisseur"] == "cr-rotterdam"

        # The interrupted run: two events sent, the rest not reached.
        first = by_case(ctl_json(s, "pr-rotterdam", *cmd, "--max", "2", want=1))
        assert set(first) == set(mine), first
        sent = [c for c, r in first.items() if r["result"] in ("ok", "refused")]
        assert len(sent) == 2, first
        assert any(r["result"] == "not_reached" for r in first.values()), first
        done_first = [c for c, r in first.items() if r["result"] == "ok"]

        # The re-run: what was done is already done; the rest is done now, but the full case.
        rc, out, err = ctl(s, "pr-rotterdam", *cmd)
        assert rc == 1, (rc, out, err)
        assert "already done" in out and "refused" in out and "422 invalid_data" in out, out
        second = by_case(ctl_json(s, "pr-rotterdam", *cmd, want=1))
        assert set(second) == set(mine), second
        assert second[full]["result"] == "refused" and second[full]["code"] == "invalid_data", second[full]
        for c in mine:
            if c != full:
                assert second[c]["result"] == "already_done", (c, second[c])
        for c in done_first:
            assert second[c]["result"] == "already_done", (c, second[c])

        for c in gezin + single:
            assert s.get_case(c, "pr-rotterdam")["fields"]["casusregisseur"] == "cr-nieuw", c
            assert len(wijzigingen(s, c)) == 1, (c, wijzigingen(s, c))
        # The gezin changed by one request: one case records the others (docs/api.md, Gezin).
        fired_on = [c for c in gezin if wijzigingen(s, c)[0].get("gezin", {}).get("cases")]
        assert len(fired_on) == 1, [wijzigingen(s, c)[0] for c in gezin]
        assert s.get_case(full, "pr-rotterdam")["fields"]["casusregisseur"] == "cr-rotterdam"
        assert s.get_case(other, "pr-rotterdam")["fields"]["casusregisseur"] == "cr2-rotterdam"
        assert wijzigingen(s, other) == []


def test_reassign_killed_midway():
    "A bulk run killed (SIGKILL) mid-way, then run again: every case changed exactly once."
    with Server() as s:
        cases = [s.create_a()["id"] for _ in range(12)]
        e = {k: v for k, v in os.environ.items() if not k.startswith("CASUS")}
        e.update(CASUS_URL="http://127.0.0.1:%d" % s.port, CASUS_TOKEN=TOKEN["pr-rotterdam"],
                 HOME=tmpdir(), XDG_CONFIG_HOME=tmpdir())
        p = subprocess.Popen([CASUSCTL, "reassign", "casusregisseur", "cr-rotterdam", "cr2-rotterdam"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        line = p.stdout.readline()  # the first case's result
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=TIMEOUT_S)
        p.stdout.close()
        p.stderr.close()
        assert " ok " in line, line
        killed_done = line.split()[0]
        report = by_case(ctl_json(s, "pr-rotterdam", "reassign", "casusregisseur", "cr-rotterdam", "cr2-rotterdam"))
        assert set(report) == set(cases), report
        assert report[killed_done]["result"] == "already_done", report[killed_done]
        assert all(r["result"] in ("ok", "already_done") for r in report.values()), report
        for c in cases:
            assert len(wijzigingen(s, c)) == 1, c
            assert s.get_case(c, "pr-rotterdam")["fields"]["casusregisseur"] == "cr2-rotterdam"


def test_reassign_aanbieder():
    """A stopping aanbieder's open cases go back to the procesregisseur (toewijzing_weigeren: the case to
    opnieuw_toewijzen, the procesregisseur's task opnieuw_toewijzen); a re-run reports already done; a case
    whose toewijzing the aanbieder accepted is refused by the chart (R-TW-3); another aanbieder's case is
    left alone."""
    with Server() as s:
        cases = []
        for _ in range(3):
            cid = s.create_a()["id"]
            assert s.toewijzen(cid)[0] == 200
            cases.append(cid)
        accepted = cases[2]
        s.fire(accepted, "ab-horizon", "screening_afronden")
        kompas = s.create_a()["id"]
        assert s.toewijzen(kompas, aanbieder=KOMPAS)[0] == 200
        cmd = ("reassign", "aanbieder", HORIZON, "--toelichting", "contract beeindigd")

        # Two sends: at least one of them is not the accepted case, so the first run did something.
        first = by_case(ctl_json(s, "ab-horizon", *cmd, "--max", "2", want=1))
        assert set(first) == set(cases), first
        assert [r["result"] for r in first.values()].count("ok") >= 1, first
        second = by_case(ctl_json(s, "ab-horizon", *cmd, want=1))
        assert set(second) == set(cases), second
        assert second[accepted]["result"] == "refused", second[accepted]
        assert second[accepted]["code"] == "guard_failed" and second[accepted]["rule"] == "R-TW-3", second
        for cid in cases[:2]:
            assert second[cid]["result"] in ("ok", "already_done"), second[cid]
            assert "opnieuw_toewijzen" in s.get_case(cid, "pr-rotterdam")["state"], cid
        for cid in cases:
            if first[cid]["result"] == "ok":
                assert second[cid]["result"] == "already_done", (cid, first, second)
        third = by_case(ctl_json(s, "ab-horizon", *cmd, want=1))
        assert [third[c]["result"] for c in cases[:2]] == ["already_done"] * 2, third
        queue = {i["case_id"] for i in s.inbox("pr-rotterdam") if i["kind"] == "opnieuw_toewijzen" and i["open"]}
        assert queue == set(cases[:2]), queue
        assert s.get_case(kompas, "pr-rotterdam")["state"][0] == "toegewezen"
        # Only the aanbieder may refuse: a procesregisseur's run is refused per case, never a traceback.
        rc, out, err = ctl(s, "pr-rotterdam", "reassign", "aanbieder", HORIZON)
        assert rc == 1 and "refused" in out, (rc, out, err)


def test_errors_and_configuration():
    """A bad token is the server's 401; an unreachable server and a missing URL are exit 2; the config
    file (--config, token_file) works and flags override it and the environment."""
    with Server() as s:
        rc, out, err = ctl(s, None, "cases", "--token", "wrong")
        assert rc == 1 and "401 unauthenticated" in err and "wrong" not in err, (rc, out, err)
        rc, out, err = ctl(s, None, "cases")
        assert rc == 1 and "401 unauthenticated" in err, (rc, out, err)
        rc, out, err = ctl(s, None, "tail", "--token", "wrong")
        assert rc == 1 and "401 unauthenticated" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "tail", url="http://127.0.0.1:%d" % free_port())
        assert rc == 2 and "cannot reach" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "cases", url="http://127.0.0.1:%d" % free_port())
        assert rc == 2 and "cannot reach" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "reassign", "casusregisseur", "a", "b",
                           url="http://127.0.0.1:%d" % free_port())
        assert rc == 2 and "cannot reach" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "cases", url="ftp://example")
        assert rc == 2 and "http://" in err, (rc, out, err)
        rc, out, err = ctl(s, "pr-rotterdam", "cases", env={"CASUS_URL": ""})
        assert rc == 2 and "no server" in err, (rc, out, err)

        d = tmpdir()
        with open(os.path.join(d, "token"), "w") as f:
            f.write(TOKEN["ab-horizon"] + "\n")
        conf = os.path.join(d, "casusctl.conf")
        with open(conf, "w") as f:
            f.write("# test\nurl = http://127.0.0.1:%d\ntoken_file = %s\n" % (s.port, os.path.join(d, "token")))
        # --config beats the environment (which names another actor); --token beats --config.
        assert ctl_json(s, "pr-rotterdam", "me", "--config", conf)["id"] == "ab-horizon"
        assert ctl_json(s, None, "--config", conf, "me", "--token", TOKEN["cr-rotterdam"])["id"] == "cr-rotterdam"
        # The default file (~/.config/casusctl/config) when nothing else names a server.
        home = tmpdir()
        os.makedirs(os.path.join(home, "casusctl"))
        with open(os.path.join(home, "casusctl", "config"), "w") as f:
            f.write("url = http://127.0.0.1:%d\ntoken = %s\n" % (s.port, TOKEN["pr-rotterdam"]))
        rc, out, err = ctl(s, None, "--json", "me", env={"CASUS_URL": "", "XDG_CONFIG_HOME": home})
        assert rc == 0 and json.loads(out)["id"] == "pr-rotterdam", (rc, out, err)
        with open(conf, "w") as f:
            f.write("server = x\n")
        rc, out, err = ctl(s, "pr-rotterdam", "me", "--config", conf)
        assert rc == 2 and "unknown key" in err, (rc, out, err)


if __name__ == "__main__":
    run(globals())
