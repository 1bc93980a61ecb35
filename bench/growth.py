#!/usr/bin/env python3
"""bench/growth.py -- the bytes each database of a store takes per entry (docs/operations.md, "Growth").

    python3 bench/growth.py [CASES]          (default 2000; CASUSD=path/to/casusd, default build/casusd)

Starts casusd (manual clock, a temporary data directory, tests/api/casus.py's configuration) and
gives each of CASES cases the life of a busy week: created under an Idempotency-Key, assigned
(toewijzen, keyed), care started (start_zorg), its casusregisseur changed twice, each a
notification for the procesregisseur and the casusregisseur.  Then it stops the server and prints,
for every database, LMDB's own count (mdb_stat -a): entries, pages (branch, leaf and overflow, of
the page size) and bytes per entry = pages x page size / entries, which includes the B-tree's free
space (not for sindex, whose sorted duplicates mdb_stat does not count in pages).  Bounded: one server on 127.0.0.1, 5 x CASES requests on 4 connections.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "api"))
os.environ.setdefault("CASUSD", os.path.join(HERE, "..", "build", "casusd"))
from casus import HORIZON, TOKEN, Server  # noqa: E402

CONNECTIONS = 4
CREATE = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
          "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
          "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}}
TOEWIJZEN = {"event": "toewijzen", "data": {"aanbieder": HORIZON, "product": "45A12",
                                            "begindatum": "2027-01-04", "einddatum": "2027-12-31",
                                            "risicotaxatie": "geen_risico"}}  # R-SAFE-1: before the start


def life(port, first, n, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(path, who, body, key=None):
        h = {"Authorization": "Bearer " + TOKEN[who], "Content-Type": "application/json"}
        if key:
            h["Idempotency-Key"] = key
        conn.request("POST", path, body=json.dumps(body), headers=h)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            errors.append((path, r.status, data[:200]))
        return json.loads(data)

    try:
        for i in range(first, first + n):
            cid = post("/v1/cases", "pr-rotterdam", CREATE, "create-%d" % i)["id"]
            ev = "/v1/cases/%s/events" % cid
            post(ev, "pr-rotterdam", TOEWIJZEN, "toewijzen-%d" % i)
            post(ev, "ab-horizon", {"event": "start_zorg"})
            for cr in ("cr2-rotterdam", "cr-rotterdam"):
                post(ev, "pr-rotterdam", {"event": "casusregisseur_wijzigen", "data": {"casusregisseur": cr}})
    finally:
        conn.close()


def main():
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    s = Server(now="2027-01-04T09:00:00+01:00")
    s.start()
    errors = []
    per = cases // CONNECTIONS
    threads = [threading.Thread(target=life, args=(s.port, k * per, per, errors)) for k in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=3600)
    s.stop()
    if errors:
        sys.exit("requests failed: %r" % errors[:3])
    out = subprocess.run(["mdb_stat", "-a", s.data], capture_output=True, text=True, check=True).stdout
    page = int(re.search(r"Page size: (\d+)", subprocess.run(["mdb_stat", "-e", s.data], capture_output=True,
                                                            text=True, check=True).stdout).group(1))
    print("%d cases (%d requests, %d keyed); page size %d" % (per * CONNECTIONS, 5 * per * CONNECTIONS,
                                                             2 * per * CONNECTIONS, page))
    print("%-12s %9s %7s %10s" % ("database", "entries", "pages", "bytes/entry"))
    for block in out.split("Status of ")[1:]:
        name = block.split("\n")[0].strip()
        if name == "Main DB":
            continue
        num = {k: int(v) for k, v in re.findall(r"(\w[\w ]*?): (\d+)", block)}
        pages = num.get("Branch pages", 0) + num.get("Leaf pages", 0) + num.get("Overflow pages", 0)
        entries = num.get("Entries", 0)
        if name == "sindex":  # sorted duplicates: mdb_stat counts only the top tree's pages
            print("%-12s %9d %7s %10s" % (name, entries, "-", "-"))
            continue
        print("%-12s %9d %7d %10s" % (name, entries, pages, "%.0f" % (pages * page / entries) if entries else "-"))


if __name__ == "__main__":
    main()
