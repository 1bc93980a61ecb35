"""cmake --install into a DESTDIR, then the installed programs run from there (docs/operations.md,
"Installing"): casusd --help, statechart check on the installed charts, casusd serve on the installed
example configuration and the installed charts (--charts), casusctl --help and a request through it;
the installed unit names the installed binary.

Environment: CASUS_BUILD_DIR (the build folder), CASUS_SOURCE_DIR, CMAKE_COMMAND."""
import glob
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.environ["CASUS_BUILD_DIR"]
SOURCE = os.environ["CASUS_SOURCE_DIR"]
CMAKE = os.environ.get("CMAKE_COMMAND") or "cmake"
PREFIX = "/usr"


def run(args, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(args, capture_output=True, text=True, **kw)


def install(dest):
    r = run([CMAKE, "--install", BUILD, "--prefix", PREFIX], env=dict(os.environ, DESTDIR=dest))
    assert r.returncode == 0, "cmake --install failed: %s %s" % (r.stdout, r.stderr)
    return dest + PREFIX


def test_layout(root):
    "The files land where a Debian system expects them."
    want = ["bin/casusd", "bin/casusctl",
            "share/casusd/statecharts/jeugdhulp-rijnmond.json", "share/casusd/statecharts/jeugdhulp-alkmaar.json",
            "share/casusd/calendars/nl.json", "share/casusd/catalogs/rijnmond.json",
            "share/doc/casusd/examples/config.example.json", "share/doc/casusd/examples/demo.json",
            "share/doc/casusd/examples/demo-cases.json",
            "share/doc/casusd/examples/casusctl.conf.example",
            "share/doc/casusd/README.md", "share/doc/casusd/operations.md",
            "lib/systemd/system/casusd.service"]
    for rel in want:
        assert os.path.isfile(os.path.join(root, rel)), "not installed: %s%s" % (PREFIX, "/" + rel)
    for rel in ("bin/casusd", "bin/casusctl"):
        assert os.access(os.path.join(root, rel), os.X_OK), rel + " is not executable"
    # Every chart and fragment of the source tree (statecharts/common/ included, when there is one).
    src = sorted(os.path.relpath(p, SOURCE + "/statecharts")
                 for p in glob.glob(SOURCE + "/statecharts/**/*.json", recursive=True))
    got = sorted(os.path.relpath(p, root + "/share/casusd/statecharts")
                 for p in glob.glob(root + "/share/casusd/statecharts/**/*.json", recursive=True))
    assert src == got, (src, got)
    unit = open(os.path.join(root, "lib/systemd/system/casusd.service")).read()
    assert "ExecStart=%s/bin/casusd serve " % PREFIX in unit, unit
    with open(os.path.join(root, "bin/casusctl")) as f:
        assert f.readline().rstrip() == "#!/usr/bin/python3"


def test_installed_casusd(root):
    "The installed binary answers --help and checks the installed charts."
    casusd = os.path.join(root, "bin/casusd")
    r = run([casusd, "--help"])
    assert r.returncode == 0 and "Usage: casusd" in r.stdout, (r.returncode, r.stdout, r.stderr)
    charts = sorted(glob.glob(root + "/share/casusd/statecharts/*.json"))
    r = run([casusd, "statechart", "check"] + charts)
    assert r.returncode == 0, (r.stdout, r.stderr)
    # A broken copy is refused: the check above is a real one.
    bad = os.path.join(os.path.dirname(root), "bad-chart.json")
    doc = json.load(open(charts[0]))
    doc["root"]["states"]["traject"]["initial"] = "nergens"
    json.dump(doc, open(bad, "w"))
    r = run([casusd, "statechart", "check", bad])
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)


def test_installed_serve(root):
    """The installed casusd serves the installed example configuration with the installed charts
    (--charts), and the installed casusctl talks to it."""
    casusd = os.path.join(root, "bin/casusd")
    data = os.path.join(os.path.dirname(root), "data")
    args = [casusd, "serve", "--config", root + "/share/doc/casusd/examples/config.example.json",
            "--charts", root + "/share/casusd/statecharts", "--data", data, "--listen", "127.0.0.1:0"]
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        buf, deadline = b"", time.monotonic() + 60
        while b"listening on " not in buf and time.monotonic() < deadline:
            r, _, _ = select.select([p.stdout], [], [], 1)
            if r:
                chunk = os.read(p.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
        line = [l for l in buf.decode().splitlines() if l.startswith("listening on ")]
        assert line, "installed casusd did not start: %r" % buf
        url = "http://" + line[0].split()[2]
        ctl = os.path.join(root, "bin/casusctl")
        r = run([ctl, "--help"])
        assert r.returncode == 0 and "reassign" in r.stdout, (r.stdout, r.stderr)
        # The example's placeholders match no token: the server answers, with 401.
        r = run([ctl, "--url", url, "--token", "not-a-token", "me"])
        assert r.returncode == 1 and "401 unauthenticated" in r.stderr, (r.returncode, r.stdout, r.stderr)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    assert p.returncode == 0, (p.returncode, p.stderr.read())


def main():
    tmp = tempfile.mkdtemp(prefix="casus-install-")
    failed = 0
    try:
        root = install(os.path.join(tmp, "dest"))
        for name, fn in [(n, f) for n, f in globals().items() if n.startswith("test_")]:
            try:
                fn(root)
                print("ok   %s" % name)
            except Exception:
                failed += 1
                print("FAIL %s" % name)
                traceback.print_exc(file=sys.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s" % ("all passed" if not failed else "%d failed" % failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
