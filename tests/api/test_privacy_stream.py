"""HTTP API tests: privacy (R-PRIV-1, R-BE-9) in every output, and the live stream GET /v1/stream
(Server-Sent Events: pushed on commit, Last-Event-ID resume, organisation scoping).

Privacy is checked on the raw response bytes: the jeugdige's naam, geboortedatum, bsn and
clientreferentie must not occur anywhere in what an anonymised caller receives (case view, case list,
history including the create entry's data, inbox, stream), while a pseudoniem and a leeftijdscategorie
are there.  Each check has its positive control: a role that may see the identity does get those bytes.
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import HORIZON, KOMPAS, TOKEN, Server, assert_error, run, tasks  # noqa: E402

T0 = "2027-04-01T09:00:00+02:00"

NAAM = "Femke Zwanenburg"
GEBOORTEDATUM = "2013-09-17"  # 13 on 2027-04-01: leeftijdscategorie 12-15
BSN = "999990019"
CLIENTREF = "KLANT-4711-ZW"
JEUGDIGE = {"naam": NAAM, "geboortedatum": GEBOORTEDATUM, "bsn": BSN, "clientreferentie": CLIENTREF}
IDENTITY = [NAAM.encode(), b"Femke", b"Zwanenburg", GEBOORTEDATUM.encode(), b"17-09-2013", BSN.encode(),
            CLIENTREF.encode(), b"KLANT-4711"]

PSEUDONIEM = re.compile(r"^J-[0-9a-f]{10}$")

STREAM_CONNECT_S = 5.0
STREAM_FRAME_S = 3.0     # an item must arrive within this after its write was answered
STREAM_QUIET_S = 0.6     # "nothing more comes": no byte for this long
STREAM_LATENCY_S = 1.0   # pushed "at once": the frame follows the commit's reply within this


# --- helpers --------------------------------------------------------------------------------

def get_raw(s, path, who):
    st, _, raw = s.raw("GET", path, TOKEN[who])
    assert st == 200, "GET %s as %s: %s %r" % (path, who, st, raw[:300])
    return raw


def assert_no_identity(raw, where):
    for needle in IDENTITY:
        assert needle not in raw, "%s leaks %r: %r" % (where, needle, raw[:2000])


def assert_identity(raw, where):
    for needle in (NAAM.encode(), GEBOORTEDATUM.encode(), BSN.encode(), CLIENTREF.encode()):
        assert needle in raw, "%s: the identity %r is missing (positive control)" % (where, needle)


def assert_anonymised_view(view, where):
    assert view.get("anoniem") is True, "%s: not marked anoniem: %r" % (where, view)
    f = view["fields"]
    assert "jeugdige" not in f, "%s: %r" % (where, f)
    assert PSEUDONIEM.match(f.get("pseudoniem", "")), "%s: pseudoniem %r" % (where, f.get("pseudoniem"))
    assert f.get("leeftijdscategorie") == "12-15", "%s: leeftijdscategorie %r" % (where, f.get("leeftijdscategorie"))
    return f["pseudoniem"]


def assert_identified_view(view, where):
    assert "anoniem" not in view, "%s: anonymised: %r" % (where, view)
    assert view["fields"]["jeugdige"] == JEUGDIGE, "%s: %r" % (where, view["fields"])
    assert "pseudoniem" not in view["fields"], view["fields"]


def view_of(s, cid, who):
    raw = get_raw(s, "/v1/cases/" + cid, who)
    return raw, json.loads(raw)


def in_zorg_a(s, toestemming=True, jeugdige=None, gemeente="rotterdam", aanbieder=HORIZON):
    case = s.create_a(gemeente=gemeente, jeugdige=jeugdige or JEUGDIGE, toestemming_gegevensdeling=toestemming)
    cid = case["id"]
    s.fire(cid, "pr-%s" % gemeente, "toewijzen", {"aanbieder": aanbieder, "product": "45A12", "risicotaxatie": "geen_risico",
                                                 "begindatum": "2027-04-01", "einddatum": "2027-12-31"})
    s.fire(cid, "ab-horizon" if aanbieder == HORIZON else "ab-kompas", "start_zorg")
    return cid


def gesprek(datum):
    return {"datum": datum, "verslag": "verslag-" + datum, "afspraken": "op tijd komen", "ouders_aanwezig": True}


def waarschuwing(datum):
    return {"datum": datum, "niet_nagekomen_afspraken": "op tijd komen", "kopie": "dossier/w-" + datum}


FORMULIER = {"ondertekend_door": "M. de Manager",
             "bijlagen": {"gespreksverslagen": ["verslag-2027-05-03", "verslag-2027-05-10"],
                          "afspraken": "op tijd komen", "eerste_waarschuwing": "dossier/w-2027-05-17",
                          "tweede_waarschuwing": "dossier/w-2027-05-24"}}

OVERWEGINGEN = {"overwegingen": {"a_gedrag_door_aandoening": "nee", "b_beeindiging_voorkomen": "ja",
                                 "c_procedure_gevolgd": "ja", "d_continuering_geregeld": "ja"}}


def procedure_to_form(s, cids):
    """R-BE-1..6 for the cases (the clock moves from 2027-04-26 to 2027-05-25)."""
    steps = [("2027-04-26", "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"}),
             ("2027-05-03", "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-03")),
             ("2027-05-10", "ab-horizon", "gesprek_vastleggen", gesprek("2027-05-10")),
             ("2027-05-17", "ab-horizon", "eerste_waarschuwing_versturen", waarschuwing("2027-05-17")),
             ("2027-05-24", "ab-horizon", "tweede_waarschuwing_versturen", waarschuwing("2027-05-24")),
             ("2027-05-25", "abm-horizon", "toestemmingsformulier_indienen", FORMULIER)]
    for day, who, event, data in steps:
        s.clock(day + "T10:00:00+02:00")
        for cid in cids:
            s.fire(cid, who, event, data)


class Stream:
    """GET /v1/stream on a raw socket: reads the response head, then SSE frames, every read bounded."""

    def __init__(self, server, who, last_event_id=None, query=""):
        self.who = who
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=STREAM_CONNECT_S)
        head = "GET /v1/stream%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n" % (
            query, TOKEN[who])
        if last_event_id is not None:
            head += "Last-Event-ID: %s\r\n" % last_event_id
        self.sock.sendall((head + "\r\n").encode())
        self.raw = b""   # every byte after the response head
        self.buf = b""
        deadline = time.monotonic() + STREAM_CONNECT_S
        while b"\r\n\r\n" not in self.buf:
            self._recv(deadline - time.monotonic(), what="the response head")
        self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.raw = self.buf
        status_line = self.head.split(b"\r\n")[0]
        assert status_line.startswith(b"HTTP/1.1 200"), (who, self.head)
        assert b"content-type: text/event-stream" in self.head.lower(), (who, self.head)

    def _recv(self, timeout, what="data"):
        if timeout <= 0:
            raise socket.timeout
        self.sock.settimeout(timeout)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("%s: the server closed the stream while waiting for %s" % (self.who, what))
        self.buf += chunk
        self.raw += chunk
        return chunk

    def _pop_frame(self):
        if b"\n\n" not in self.buf:
            return None
        block, self.buf = self.buf.split(b"\n\n", 1)
        frame = {}
        for line in block.decode().split("\n"):
            name, _, value = line.partition(": ")
            frame[name] = value
        assert set(frame) == {"id", "event", "data"}, (self.who, block)
        return {"id": int(frame["id"]), "event": frame["event"], "data": json.loads(frame["data"])}

    def next_frame(self, timeout=STREAM_FRAME_S):
        """The next frame, or None when none completes within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            f = self._pop_frame()
            if f is not None:
                return f
            try:
                self._recv(deadline - time.monotonic())
            except socket.timeout:
                return None

    def until_quiet(self, quiet=STREAM_QUIET_S, limit=STREAM_FRAME_S * 3):
        """Every frame that arrives until nothing comes for `quiet` seconds (bounded by `limit`)."""
        frames = []
        end = time.monotonic() + limit
        while time.monotonic() < end:
            f = self.next_frame(timeout=min(quiet, max(0.01, end - time.monotonic())))
            if f is None:
                break
            frames.append(f)
        return frames

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ids(frames):
    return [f["id"] for f in frames]


def drain_all(streams):
    """Waits once until nothing more comes, then takes what each stream received: {name: frames}."""
    time.sleep(STREAM_QUIET_S)
    return {name: st.until_quiet(quiet=0.05) for name, st in streams.items()}


# ================================================================================================
# R-PRIV-1
# ================================================================================================

def test_r_priv_1_contractmanager_never_sees_identity_anywhere():
    """R-PRIV-1: the contractmanager's case view, case list (also filtered), history (including the
    create entry's data), inbox and stream never contain the jeugdige's naam, geboortedatum, bsn or
    clientreferentie (raw bytes), but carry one stable pseudoniem and the leeftijdscategorie; the
    procesregisseur and the aanbieder (consent given) do see the identity."""
    with Server(now=T0) as s:
        cid = in_zorg_a(s)
        other = in_zorg_a(s, jeugdige={"naam": "Anna Other", "geboortedatum": "2010-01-01"})
        # items for the contractmanager: a termination form copy (R-BE-6) and an escalation (R-ESC-8),
        # both within the last LIMIT_NOTIFICATION_AGE_DAYS (older notifications are no longer listed)
        procedure_to_form(s, [cid])
        s.fire(cid, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "geen vervolgplek"})
        # R-PRIV-1 (DOMAIN 4.1): the contractmanager sees a case only once it reached it
        st, _, raw = s.raw("GET", "/v1/cases/" + other, TOKEN["cm-rijnmond"])
        assert st == 404, raw
        s.fire(other, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "geen vervolgplek"})
        # positive controls
        for who in ("pr-rotterdam", "cr-rotterdam", "ab-horizon", "abm-horizon"):
            raw, view = view_of(s, cid, who)
            assert_identity(raw, "case view for " + who)
            assert_identified_view(view, "case view for " + who)
        assert_identity(get_raw(s, "/v1/cases/%s/history" % cid, "pr-rotterdam"), "history for pr")
        # the contractmanager
        raw, view = view_of(s, cid, "cm-rijnmond")
        assert_no_identity(raw, "case view for cm")
        pseudo = assert_anonymised_view(view, "case view for cm")
        raw2, view2 = view_of(s, cid, "cm-rijnmond")
        assert view2["fields"]["pseudoniem"] == pseudo, "the pseudoniem is not stable"
        assert view_of(s, other, "cm-rijnmond")[1]["fields"]["pseudoniem"] != pseudo
        for path in ("/v1/cases", "/v1/cases?status=in_zorg", "/v1/cases?limit=1"):
            raw = get_raw(s, path, "cm-rijnmond")
            assert_no_identity(raw, "case list %s for cm" % path)
            for c in json.loads(raw)["cases"]:
                assert c.get("anoniem") is True and "jeugdige" not in c["fields"], c
                if c["id"] == cid:
                    assert c["fields"]["pseudoniem"] == pseudo and c["fields"]["leeftijdscategorie"] == "12-15", c
        raw = get_raw(s, "/v1/cases/%s/history" % cid, "cm-rijnmond")
        assert_no_identity(raw, "history for cm")
        entries = json.loads(raw)["entries"]
        create = entries[0]
        assert create["event"] == "aanmelden" and "jeugdige" not in create["data"], create
        assert create["data"]["pseudoniem"] == pseudo and create["data"]["leeftijdscategorie"] == "12-15", create
        assert create["data"]["gemeente"] == "rotterdam", create  # the rest of the data stays
        for e in entries:
            if isinstance(e.get("data"), dict) and "pseudoniem" in e["data"]:
                assert e["data"]["pseudoniem"] == pseudo, \
                    "history entry %s (%s) names pseudoniem %r, the case view %r" % (
                        e["seq"], e["event"], e["data"]["pseudoniem"], pseudo)
        raw = get_raw(s, "/v1/inbox", "cm-rijnmond")
        assert_no_identity(raw, "inbox for cm")
        kinds = {(i["kind"], i["rule"]) for i in json.loads(raw)["items"] if i["case_id"] == cid}
        assert kinds == {("escalatie_contractmanager", "R-ESC-8"), ("beeindiging_toestemmingsformulier", "R-BE-6")}, kinds
        stream = Stream(s, "cm-rijnmond")
        try:
            frames = stream.until_quiet()
            assert {f["data"]["kind"] for f in frames} >= {"escalatie_contractmanager",
                                                           "beeindiging_toestemmingsformulier"}, frames
            assert_no_identity(stream.raw, "stream for cm")
        finally:
            stream.close()
        # inbox items carry no identifying data for anyone (docs/api.md)
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam", "ab-horizon", "abm-horizon"):
            assert_no_identity(get_raw(s, "/v1/inbox", who), "inbox for " + who)
        # what the contractmanager itself writes is answered anonymised too
        st, _, raw = s.raw("POST", "/v1/cases/%s/events" % cid, TOKEN["cm-rijnmond"],
                           json.dumps({"event": "afspraken_vastleggen",
                                       "data": {"acties": "a", "terugkoppeling_uiterlijk": "2027-06-30"}}))
        assert st == 200, raw
        assert_no_identity(raw, "event reply for cm")
        assert json.loads(raw)["fields"]["pseudoniem"] == pseudo


def test_r_priv_1_r_be_9_opt_out_municipal_roles_anonymised_aanbieder_identified():
    """R-PRIV-1, R-BE-9: with toestemming_gegevensdeling false (opt-out) the procesregisseur, casusregisseur,
    teammanager and contractmanager all get the anonymised view (case, list, history, replies to their own
    events), with the same pseudoniem; the aanbieder and its manager see the identity. The termination
    request is presented anonymised: flag beeindiging_geanonimiseerd, the decision task carries R-BE-9,
    and the casusregisseur decides on the anonymised case."""
    with Server(now=T0) as s:
        st, _, raw = s.raw("POST", "/v1/cases", TOKEN["ab-horizon"], json.dumps({
            "verwijzer": "huisarts", "gemeente": "rotterdam", "aanbieder": HORIZON, "casusregisseur": "cr-rotterdam",
            "toestemming_gegevensdeling": False, "jeugdige": JEUGDIGE,
            "product": {"code": "45A12", "begindatum": "2027-04-01", "einddatum": "2027-12-31"}}))
        assert st == 201, raw
        assert_identity(raw, "create reply for the aanbieder")
        cid = json.loads(raw)["id"]
        consent = in_zorg_a(s)
        pseudos = set()
        # (the contractmanager does not see this case at all: it did not reach it, R-PRIV-1; the zbt sees
        # the region's cases anonymised)
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam", "zbt-rijnmond"):
            raw, view = view_of(s, cid, who)
            assert_no_identity(raw, "opt-out case view for " + who)
            pseudos.add(assert_anonymised_view(view, "opt-out case view for " + who))
            raw = get_raw(s, "/v1/cases/%s/history" % cid, who)
            assert_no_identity(raw, "opt-out history for " + who)
            assert json.loads(raw)["entries"][0]["data"]["pseudoniem"] in pseudos
            raw = get_raw(s, "/v1/cases?status=verzoek_om_toewijzing", who)
            assert_no_identity(raw, "opt-out case list for " + who)
            assert [c["id"] for c in json.loads(raw)["cases"]] == [cid], raw
        assert len(pseudos) == 1, "one jeugdige, one pseudoniem: %r" % pseudos
        for who in ("ab-horizon", "abm-horizon"):
            raw, view = view_of(s, cid, who)
            assert_identity(raw, "opt-out case view for " + who)
            assert_identified_view(view, "opt-out case view for " + who)
            assert_identity(get_raw(s, "/v1/cases/%s/history" % cid, who), "opt-out history for " + who)
        # with consent the municipal roles see the identity, the contractmanager never (R-PRIV-1)
        for who in ("pr-rotterdam", "cr-rotterdam", "tm-rotterdam"):
            assert_identified_view(view_of(s, consent, who)[1], "consent case view for " + who)
        assert_anonymised_view(view_of(s, consent, "zbt-rijnmond")[1], "consent case view for zbt")
        # the municipality's own writes are answered anonymised
        st, _, raw = s.raw("POST", "/v1/cases/%s/events" % cid, TOKEN["pr-rotterdam"],
                           json.dumps({"event": "toewijzing_toekennen"}))
        assert st == 200, raw
        assert_no_identity(raw, "event reply for pr (opt-out)")
        s.fire(cid, "ab-horizon", "start_zorg")
        # R-BE-9: the termination request is presented anonymised
        procedure_to_form(s, [cid, consent])
        raw, view = view_of(s, cid, "cr-rotterdam")
        assert_no_identity(raw, "opt-out case under review for cr")
        assert "beeindiging_geanonimiseerd" in view["flags"] and "beeindiging_goedkeuren" in view["allowed_events"], view
        task = tasks(s.inbox("cr-rotterdam"), cid, "beeindiging_beoordelen", "task")
        assert len(task) == 1 and task[0]["rule"] == "R-BE-9", task
        assert_no_identity(get_raw(s, "/v1/inbox", "cr-rotterdam"), "inbox for cr")
        c_view = s.get_case(consent, "cr-rotterdam")
        assert "beeindiging_geanonimiseerd" not in c_view["flags"], c_view["flags"]
        assert tasks(s.inbox("cr-rotterdam"), consent, "beeindiging_beoordelen", "task")[0]["rule"] == "R-BE-7"
        s.clock("2027-05-27T10:00:00+02:00")
        st, _, raw = s.raw("POST", "/v1/cases/%s/events" % cid, TOKEN["cr-rotterdam"],
                           json.dumps({"event": "beeindiging_goedkeuren", "data": OVERWEGINGEN}))
        assert st == 200, raw
        assert_no_identity(raw, "decision reply for cr (opt-out)")
        assert "beeindiging_goedgekeurd" in json.loads(raw)["state"]
        # the form's copy reached the contractmanager (R-BE-6): now it sees both cases, anonymised
        for c in (cid, consent):
            raw, view = view_of(s, c, "cm-rijnmond")
            assert_no_identity(raw, "case view for cm after the form")
            assert_anonymised_view(view, "case view for cm after the form")
        # the aanbieder still sees who it is caring for
        assert_identified_view(view_of(s, cid, "ab-horizon")[1], "aanbieder after the decision")


# ================================================================================================
# GET /v1/stream
# ================================================================================================

def test_stream_pushes_item_when_its_transaction_commits():
    """GET /v1/stream (API.md; the inbox of R-MON-3, R-BE-1): on connect the caller's existing items are
    replayed; an item is pushed as
    `id: <seq>` / `event: <type>` / `data: <item>` as soon as the write that created it is committed
    (within a bounded time of the reply), the same item GET /v1/inbox returns; items created by a timer
    (R-MON-3) are pushed too."""
    with Server(now=T0) as s:
        cid = in_zorg_a(s)
        s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})  # a task for cr
        existing = s.inbox("cr-rotterdam")
        assert len(existing) == 1, existing
        stream = Stream(s, "cr-rotterdam")
        try:
            replay = stream.until_quiet()
            assert ids(replay) == [i["seq"] for i in existing], (replay, existing)
            assert replay[0]["event"] == "task" and replay[0]["data"] == existing[0], replay
            # a write on another connection: the item arrives right after its commit
            s.fire(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "herhaald geweld"})
            replied = time.monotonic()
            frame = stream.next_frame()
            assert frame is not None, "no stream frame within %.1f s of the commit" % STREAM_FRAME_S
            latency = time.monotonic() - replied
            inbox = s.inbox("cr-rotterdam")
            new = [i for i in inbox if i["seq"] > existing[-1]["seq"]]
            assert len(new) == 1 and new[0]["kind"] == "beeindiging_aangekondigd", inbox
            assert frame == {"id": new[0]["seq"], "event": "notification", "data": new[0]}, (frame, new)
            assert latency < STREAM_LATENCY_S, "the item came %.3f s after the reply" % latency
            assert stream.until_quiet() == [], "one write, one item"
            # an item that a timer creates (the evaluation becomes overdue, R-MON-3)
            s.clock("2027-07-02T09:00:00+02:00")
            frame = stream.next_frame()
            assert frame is not None and frame["event"] == "task", frame
            assert frame["data"]["kind"] == "evaluatie_te_laat" and frame["data"]["case_id"] == cid, frame
            assert frame["data"]["rule"] == "R-MON-3", frame
            assert frame["id"] == s.inbox("cr-rotterdam")[-1]["seq"], frame
            # a refused write pushes nothing
            st, body = s.event(cid, "ab-horizon", "beeindiging_aankondigen", {"redenen": "nog eens"})
            assert_error(st, body, 409, code="not_allowed_in_state")
            assert stream.until_quiet() == []
        finally:
            stream.close()


def test_stream_last_event_id_resume_replays_exactly_the_items_after_it():
    """GET /v1/stream (API.md; the inbox of R-TW-4, R-BE-1) with Last-Event-ID: n replays exactly the
    caller's items with seq > n, in order (none
    when n is the newest), then continues live; without it everything is replayed; ?after=n works the
    same way."""
    with Server(now=T0) as s:
        cids = [in_zorg_a(s) for _ in range(4)]
        for cid in cids:
            s.fire(cid, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})
        seqs = [i["seq"] for i in s.inbox("cr-rotterdam")]
        assert len(seqs) == 4 and seqs == sorted(seqs), seqs
        streams = {}
        try:
            streams["all"] = Stream(s, "cr-rotterdam")
            streams["after2"] = Stream(s, "cr-rotterdam", last_event_id=seqs[1])
            streams["newest"] = Stream(s, "cr-rotterdam", last_event_id=seqs[3])
            streams["query"] = Stream(s, "cr-rotterdam", query="?after=%d" % seqs[2])
            got = drain_all(streams)
            assert ids(got["all"]) == seqs, got["all"]
            assert ids(got["after2"]) == seqs[2:], got["after2"]
            assert ids(got["newest"]) == [], got["newest"]
            assert ids(got["query"]) == seqs[3:], got["query"]
            # live after the replay: the next item reaches every stream exactly once
            s.fire(cids[0], "cr-rotterdam", "overeenstemming_bereiken", {"afspraken": "opgelost"})  # closes a task
            s.fire(cids[1], "ab-horizon", "beeindiging_aankondigen", {"redenen": "r"})
            newest = s.inbox("cr-rotterdam")[-1]
            assert newest["seq"] > seqs[-1] and newest["kind"] == "beeindiging_aangekondigd", newest
            for name, frames in drain_all(streams).items():
                assert ids(frames) == [newest["seq"]], (name, frames)
                assert frames[0]["data"] == newest, (name, frames)
            # resuming from a live stream's last id after a disconnect misses nothing and repeats nothing
            streams["all"].close()
            s.fire(cids[2], "ab-horizon", "beeindiging_aankondigen", {"redenen": "r"})
            s.fire(cids[3], "ab-horizon", "beeindiging_aankondigen", {"redenen": "r"})
            streams["resumed"] = Stream(s, "cr-rotterdam", last_event_id=newest["seq"])
            later = [i["seq"] for i in s.inbox("cr-rotterdam") if i["seq"] > newest["seq"]]
            assert len(later) == 2, later
            assert ids(streams["resumed"].until_quiet()) == later
        finally:
            for st in streams.values():
                st.close()


def test_stream_foreign_organisation_never_receives_items():
    """GET /v1/stream (R-AUTH-2, R-PRIV-1): a stream only ever carries the caller's own items: a foreign
    municipality, a foreign provider and a foreign region's contractmanager never receive an item of
    another organisation's case (checked on the raw bytes), while their own items do arrive (so the
    stream was live)."""
    with Server(now=T0) as s:
        names = ("cr-rotterdam", "pr-rotterdam", "ab-horizon", "cm-rijnmond",
                 "pr-schiedam", "cr-schiedam", "ab-kompas", "cm-holland-noord", "pr-alkmaar")
        streams = {}
        try:
            for who in names:
                streams[who] = Stream(s, who)
            assert all(frames == [] for frames in drain_all(streams).values())
            # a rotterdam case at horizon: items for rotterdam, horizon and the rijnmond contractmanager
            rot = in_zorg_a(s)
            s.fire(rot, "ab-horizon", "arrangement_betwisten", {"toelichting": "te licht"})
            s.fire(rot, "cr-rotterdam", "overeenstemming_bereiken", {})
            s.fire(rot, "zbt-rijnmond", "stagnatie_opschalen", {"melding_zbt": "geen plek"})
            # sentinels: a schiedam case at kompas (region rijnmond) and an alkmaar case (region holland-noord)
            sch = in_zorg_a(s, gemeente="schiedam", aanbieder=KOMPAS)
            s.fire(sch, "ab-kompas", "arrangement_betwisten", {"toelichting": "te licht"})
            alk = in_zorg_a(s, gemeente="alkmaar", aanbieder=KOMPAS)
            s.fire(alk, "ab-kompas", "arrangement_betwisten", {"toelichting": "te licht"})
            s.fire(alk, "cr-alkmaar", "overeenstemming_bereiken", {})
            s.fire(alk, "zbt-holland-noord", "stagnatie_opschalen", {"melding_zbt": "geen plek"})
            got = drain_all(streams)
            own = {"cr-rotterdam": {rot}, "pr-rotterdam": {rot}, "ab-horizon": {rot}, "cm-rijnmond": {rot, sch},
                   "pr-schiedam": {sch}, "cr-schiedam": {sch}, "ab-kompas": {sch, alk}, "cm-holland-noord": {alk},
                   "pr-alkmaar": {alk}}
            for who, frames in got.items():
                seen = {f["data"]["case_id"] for f in frames}
                assert seen and seen <= own[who], "%s received items of %r, may see %r" % (who, seen, own[who])
                for cid in {rot, sch, alk} - own[who]:
                    assert ('"case_id":"%s"' % cid).encode() not in streams[who].raw, (who, cid)
                # every item of its inbox came over the stream, once, in order
                assert ids(frames) == sorted(set(ids(frames))), (who, frames)
                assert {i["seq"] for i in s.inbox(who)} <= set(ids(frames)), (who, frames, s.inbox(who))
            assert rot in {f["data"]["case_id"] for f in got["cm-rijnmond"]}
            assert alk not in {f["data"]["case_id"] for f in got["cm-rijnmond"]}
            assert_no_identity(streams["cm-rijnmond"].raw, "stream for cm-rijnmond")
        finally:
            for st in streams.values():
                st.close()


def test_stream_requires_a_token():
    """GET /v1/stream (R-AUTH-1): without a valid bearer token the stream is refused with 401."""
    with Server(now=T0) as s:
        st, body = s.req("GET", "/v1/stream")
        assert_error(st, body, 401, code="unauthenticated")
        st, body = s.req("GET", "/v1/stream", "tok-nobody")
        assert_error(st, body, 401, code="unauthenticated")


if __name__ == "__main__":
    run(globals())
