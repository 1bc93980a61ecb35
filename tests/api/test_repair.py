"""HTTP API tests of the timer index's repairs (R-TIME-3): an index entry that names no timer of its
case, or a case whose chart is not loaded, is dropped with a log line; the server starts, serves, and the
case's genuine deadline still fires exactly once."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import SOURCE_DIR, Server, deadline, make_config, run  # noqa: E402


def add_timer_entry(data_dir, due_s, case_id, name):
    """Writes one raw timers index entry (due as 8 bytes big-endian offset by 2^63, case id, NUL, name)
    with LMDB's own mdb_load, bypassing casusd."""
    key = (due_s + (1 << 63)).to_bytes(8, "big") + case_id.encode() + b"\0" + name.encode()
    text = "".join(chr(b) if 0x20 < b < 0x7f and b != 0x5c else "\\%02x" % b for b in key)
    dump = "VERSION=3\nformat=print\ntype=btree\nHEADER=END\n %s\n \nDATA=END\n" % text
    subprocess.run(["mdb_load", "-s", "timers", data_dir],
                   input=dump, text=True, timeout=60, check=True, capture_output=True)


def test_r_time_3_stale_index_entry_is_dropped_and_the_real_timer_fires():
    with Server() as s:
        cid = s.create_a()["id"]
        case = s.toewijzen(cid)[1]
        due = deadline(case, "start_zorg")
        assert due is not None, case
    # a stale entry a day before the real one: it comes first and names no timer of the case
    add_timer_entry(s.data, 1799000000 - 86400 * 2000, cid, "ghost")
    s.config = make_config("2027-03-01T09:00:00+01:00")
    s.start()
    try:
        assert "does not match its index entry; entry dropped" in s.stderr(), s.stderr()
        case = s.get_case(cid, "pr-rotterdam")
        assert case["flags"].count("start_zorg_termijn_verlopen") == 1, case
        assert deadline(case, "start_zorg") is None, case["deadlines"]
        assert s.stderr().count("entry dropped") == 1, s.stderr()
    finally:
        s.stop()


def test_r_time_3_timer_of_an_unloaded_chart_does_not_stop_the_server():
    with Server() as s:
        cid = s.create_a()["id"]
        assert s.toewijzen(cid)[0] == 200
    charts = os.path.join(s.dir, "charts")
    os.makedirs(charts)
    shutil.copy(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-alkmaar.json"), charts)
    cfg = make_config("2027-03-01T09:00:00+01:00")
    for region in cfg["regions"].values():
        region["chart"] = "jeugdhulp-alkmaar"
    s.config = cfg
    s.extra_args = ["--charts", charts]
    s.start()
    try:
        assert "its chart jeugdhulp-rijnmond@1 is not loaded" in s.stderr(), s.stderr()
        st, body = s.req("GET", "/healthz")
        assert st == 200, body
    finally:
        s.stop()


def test_r_auth_2_chart_with_more_scopes_than_a_list_can_carry_is_refused():
    """R-AUTH-2: a case list is scoped by the case's visibility fields; a chart whose roles name more
    distinct fields than the store files a case under (8) is refused at start, with the reason."""
    import json
    charts = os.path.join(Server().dir, "charts")
    os.makedirs(charts)
    with open(os.path.join(SOURCE_DIR, "statecharts", "jeugdhulp-rijnmond.json")) as f:
        chart = json.load(f)
    # the chart files a case under 6 role fields (casusregisseur, gemeente, gi, aanbieder, regio, and the
    # contractmanager's once reached) and its gezin: 2 more fields make 9
    for i in range(2):
        chart["roles"]["extra%d" % i] = {"org_field": "veld%d" % i}
    with open(os.path.join(charts, "jeugdhulp-rijnmond.json"), "w") as f:
        json.dump(chart, f)
    s = Server(extra_args=["--charts", charts])
    try:
        s.start()
        raise AssertionError("casusd started with a chart of 9 visibility fields")
    except AssertionError as e:
        if "started with" in str(e):
            raise
    assert "more than 8 distinct visibility fields" in s.stderr(), s.stderr()
    # eight are fine: the same chart without one extra role starts
    del chart["roles"]["extra1"]
    with open(os.path.join(charts, "jeugdhulp-rijnmond.json"), "w") as f:
        json.dump(chart, f)
    with Server(extra_args=["--charts", charts]) as ok:
        assert ok.req("GET", "/healthz")[0] == 200


if __name__ == "__main__":
    run(globals())
