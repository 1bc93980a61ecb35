"""HTTP API tests: OIDC bearer tokens (issue 13 part 1, R-AUTH-1) and SIGHUP reloads (part 2).

Tokens are minted with Debian's python3-jwt and python3-cryptography, which import only under
/usr/bin/python3: CMake runs every API test with that interpreter.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casus import TOKEN, Server, assert_error, make_config, run, tmpdir  # noqa: E402

import jwt  # noqa: E402  (python3-jwt)
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

ISSUER = "https://idp.example.test/realms/casus"
AUDIENCE = "casusd"
LEEWAY_S = 60  # LIMIT_OIDC_LEEWAY_S
WAIT_S = 10.0

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_KEY_2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the rotated key
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # in no JWKS
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(key, kid, alg):
    d = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()) if alg == "RS256"
                   else jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    d.update(kid=kid, use="sig", alg=alg)
    return d


def write_jwks(path, keys):
    with open(path, "w") as f:
        json.dump({"keys": keys}, f)


def oidc_config(jwks_path):
    cfg = make_config()
    cfg["oidc"] = {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": jwks_path,
                   "claims": {"actor": "sub", "role": "casus_role", "org": "casus_org", "on_behalf_of": "act"}}
    return cfg


def oidc_server():
    d = tmpdir("casus-oidc-")
    path = os.path.join(d, "jwks.json")
    # an encryption key and an HMAC key in the JWKS are skipped, not trusted
    write_jwks(path, [jwk(RSA_KEY, "rsa-1", "RS256"), jwk(EC_KEY, "ec-1", "ES256"),
                      dict(jwk(OTHER_KEY, "enc-1", "RS256"), use="enc"),
                      {"kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0"}])
    s = Server(config=oidc_config(path))
    s.jwks_path = path
    return s


def claims(sub="pr-oidc", role="procesregisseur", org="rotterdam", **over):
    now = int(time.time())
    c = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "casus_role": role, "casus_org": org,
         "iat": now, "nbf": now - 5, "exp": now + 600}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def mint(c, key=RSA_KEY, alg="RS256", kid="rsa-1", headers=None):
    h = {"kid": kid} if kid is not None else {}
    h.update(headers or {})
    return jwt.encode(c, key, algorithm=alg, headers=h)


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def mint_raw(header, c, sign):
    """A compact JWS built by hand: sign(signing_input bytes) -> signature bytes."""
    si = b64(json.dumps(header).encode()) + "." + b64(json.dumps(c).encode())
    return si + "." + b64(sign(si.encode()))


def refused(s, token, phrase, status=401, code="unauthenticated"):
    """The token is refused with status and a message holding phrase; the message and the log hold
    nothing of the token."""
    st, body = s.req("GET", "/v1/cases", token)
    err = assert_error(st, body, status, code=code)
    assert phrase in err["message"], (phrase, err)
    for part in token.split("."):
        if len(part) >= 8:
            assert part not in json.dumps(body), ("token echoed", body)
            assert part not in s.stderr(), "token in the log"
    return err


def pem_public(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def test_good_tokens_rs256_es256_mapped():
    """R-AUTH-1: a good RS256 and a good ES256 token are accepted; sub, casus_role and casus_org map
    to the actor, its role and its organisation (R-AUTH-2 scoping follows the org)."""
    with oidc_server() as s:
        pr = mint(claims(sub="pr-oidc-rsa"))
        body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
                "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
                "jeugdige": {"naam": "Sam de Vries", "geboortedatum": "2015-06-01"}}
        st, case = s.req("POST", "/v1/cases", pr, body)
        assert st == 201, (st, case)
        st, hist = s.req("GET", "/v1/cases/%s/history" % case["id"], pr)
        assert st == 200 and hist["entries"][0]["actor"] == "pr-oidc-rsa", hist
        # ES256, the same role in another gemeente: R-AUTH-2 hides the rotterdam case (the org maps)
        alk = mint(claims(sub="pr-oidc-ec", org="alkmaar"), key=EC_KEY, alg="ES256", kid="ec-1")
        st, got = s.req("GET", "/v1/cases/" + case["id"], alk)
        assert_error(st, got, 404)
        st, lst = s.req("GET", "/v1/cases", alk)
        assert st == 200 and lst["cases"] == [], lst
        # ... and in rotterdam it sees it
        rot = mint(claims(sub="pr-oidc-ec", org="rotterdam"), key=EC_KEY, alg="ES256", kid="ec-1")
        st, got = s.req("GET", "/v1/cases/" + case["id"], rot)
        assert st == 200 and got["id"] == case["id"], (st, got)
        # the role maps: /metrics is the admin's; a procesregisseur's token is 403, an admin's 200
        st, resp = s.req("GET", "/metrics", pr)
        assert_error(st, resp, 403)
        st, _, text = s.raw("GET", "/metrics", mint(claims(sub="ops", role="admin", org="casusd")))
        assert st == 200 and b"casusd_requests_total" in text, (st, text[:200])
        # static tokens keep working next to OIDC
        st, lst = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
        assert st == 200 and [c["id"] for c in lst["cases"]] == [case["id"]], lst
        # an audience array holding ours; on_behalf_of as an RFC 8693 "act" object
        tok = mint(claims(aud=["other", AUDIENCE], act={"sub": "cr-rotterdam"}))
        st, lst = s.req("GET", "/v1/cases", tok)
        assert st == 200, (st, lst)


def test_lifetime_with_leeway():
    """exp and nbf: within LIMIT_OIDC_LEEWAY_S of the clock a token still counts; beyond it, 401
    "token expired" / "token not yet valid"; a token without exp is refused."""
    with oidc_server() as s:
        now = int(time.time())
        for c in (claims(exp=now - LEEWAY_S // 2), claims(nbf=now + LEEWAY_S // 2)):
            st, body = s.req("GET", "/v1/cases", mint(c))
            assert st == 200, (c, st, body)
        refused(s, mint(claims(exp=now - 3600, nbf=now - 7200, iat=now - 7200)), "token expired")
        refused(s, mint(claims(exp=now - LEEWAY_S - 30)), "token expired")
        refused(s, mint(claims(nbf=now + 3600, exp=now + 7200)), "token not yet valid")
        refused(s, mint(claims(nbf=now + LEEWAY_S + 30)), "token not yet valid")
        refused(s, mint(claims(exp=None)), "token has no expiry")


def test_issuer_audience():
    """iss must be the configured issuer, aud the audience (or an array holding it): 401 otherwise."""
    with oidc_server() as s:
        refused(s, mint(claims(iss="https://evil.example.test")), "wrong issuer")
        refused(s, mint(claims(iss=None)), "wrong issuer")
        refused(s, mint(claims(aud="someone-else")), "wrong audience")
        refused(s, mint(claims(aud=["a", "b"])), "wrong audience")
        refused(s, mint(claims(aud=None)), "wrong audience")


def test_keys_and_algorithms():
    """kid lookup, the algorithm allow-list (RS256, ES256; never none, never HMAC), the signature."""
    with oidc_server() as s:
        refused(s, mint(claims(), kid="rsa-9"), "unknown kid")
        refused(s, mint(claims(), kid=None), "token has no kid")
        # a key skipped at load (use enc / an HMAC key) is no key at all
        refused(s, mint(claims(), key=OTHER_KEY, kid="enc-1"), "unknown kid")
        # alg none, with and without a kid
        refused(s, mint_raw({"alg": "none", "kid": "rsa-1"}, claims(), lambda si: b""), "algorithm not allowed")
        refused(s, jwt.encode(claims(), None, algorithm="none"), "algorithm not allowed")
        # HS256 keyed with the RSA public key (PEM and JWK n), the classic confusion
        pem = pem_public(RSA_KEY)
        for secret in (pem, pem.strip()):
            tok = mint_raw({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims(),
                           lambda si: hmac.new(secret, si, hashlib.sha256).digest())
            refused(s, tok, "algorithm not allowed")
        refused(s, mint_raw({"alg": "HS256", "kid": "hmac-1"}, claims(),
                            lambda si: hmac.new(b"secret", si, hashlib.sha256).digest()), "algorithm not allowed")
        refused(s, mint(claims(), alg="RS512"), "algorithm not allowed")
        # the ES256 algorithm with the RSA key's kid
        refused(s, mint(claims(), key=EC_KEY, alg="ES256", kid="rsa-1"), "does not fit the algorithm")
        # signed by another key under a known kid
        refused(s, mint(claims(), key=OTHER_KEY, kid="rsa-1"), "bad signature")
        # a tampered payload: the role raised to admin, the signature kept
        good = mint(claims())
        h, _, sig = good.split(".")
        evil = h + "." + b64(json.dumps(claims(casus_role="admin")).encode()) + "." + sig
        refused(s, evil, "bad signature")
        # a tampered signature
        bad_sig = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
        refused(s, bad_sig, "bad signature")
        # ES256 tampered too
        ec_good = mint(claims(), key=EC_KEY, alg="ES256", kid="ec-1")
        h, p, sig = ec_good.split(".")
        refused(s, h + "." + b64(json.dumps(claims(sub="someone")).encode()) + "." + sig, "bad signature")
        # malformed and oversized tokens
        refused(s, "abc.def.ghi", "malformed token")
        refused(s, mint(claims(pad="x" * 9000)), "token too long")
        # nothing above got in: the metrics count them
        st, lst = s.req("GET", "/v1/cases", mint(claims()))
        assert st == 200, (st, lst)


def test_claims_mapping_refusals():
    """A missing or unusable actor/role/org claim is 401 naming the claim; an unknown role is 403; a
    region role whose org is no region is 403."""
    with oidc_server() as s:
        refused(s, mint(claims(sub=None)), 'missing claim "sub"')
        refused(s, mint(claims(casus_role=None)), 'missing claim "casus_role"')
        refused(s, mint(claims(casus_org=None)), 'missing claim "casus_org"')
        refused(s, mint(claims(casus_org="")), 'missing claim "casus_org"')
        refused(s, mint(claims(sub="x" * 64)), 'missing claim "sub"')
        refused(s, mint(claims(casus_role=["procesregisseur"])), 'missing claim "casus_role"')
        refused(s, mint(claims(act=5)), 'missing claim "act"')
        # an OIDC subject may not take a static actor's id (it would act as that actor)
        refused(s, mint(claims(sub="pr-rotterdam")), "its actor is the id of a static actor")
        err = refused(s, mint(claims(role="superuser")), "not a role of casusd", 403, "forbidden")
        assert "superuser" in err["message"], err
        refused(s, mint(claims(role="contractmanager", org="rotterdam")), "needs an org that is a region", 403,
                "forbidden")
        st, body = s.req("GET", "/v1/cases", mint(claims(role="contractmanager", org="rijnmond")))
        assert st == 200, (st, body)


def test_config_refused():
    """A bad "oidc" section or JWKS refuses the start (exit 2 is the CLI's, the server's 1), naming why."""
    d = tmpdir("casus-oidc-cfg-")
    good = os.path.join(d, "jwks.json")
    write_jwks(good, [jwk(RSA_KEY, "rsa-1", "RS256")])
    dup = os.path.join(d, "dup.json")
    write_jwks(dup, [jwk(RSA_KEY, "rsa-1", "RS256"), jwk(EC_KEY, "rsa-1", "ES256")])
    none_usable = os.path.join(d, "none.json")
    write_jwks(none_usable, [dict(jwk(RSA_KEY, "rsa-1", "RS256"), use="enc")])
    broken = os.path.join(d, "broken.json")
    with open(broken, "w") as f:
        f.write("{not json")
    cases = [
        ({"jwks_file": os.path.join(d, "missing.json")}, "missing.json"),
        ({"jwks_file": dup}, "two keys"),
        ({"jwks_file": none_usable}, "no RS256 or ES256 signing key"),
        ({"jwks_file": broken}, "not valid JSON"),
        ({"issuer": ""}, "needs non-empty strings"),
        ({"claims": {"actor": "sub", "role": "r"}}, "oidc.claims.org"),
        ({"claims": {"actor": "sub", "role": "r", "org": "o", "groups": "g"}}, "unknown key \"groups\""),
        ({"leeway": 600}, "unknown key \"leeway\""),
    ]
    for change, phrase in cases:
        cfg = oidc_config(good)
        cfg["oidc"].update(change)
        s = Server(config=cfg)
        try:
            s.start()
        except AssertionError:
            pass
        else:
            s.stop()
            raise AssertionError("started with %r" % (change,))
        assert phrase in s.stderr(), (change, s.stderr())


# --- SIGHUP ----------------------------------------------------------------------------

def config_path(s):
    return os.path.join(s.dir, "config-%d.json" % s._starts)


def write_config(s, cfg):
    with open(config_path(s), "w") as f:
        if isinstance(cfg, str):
            f.write(cfg)
        else:
            json.dump(cfg, f, indent=1)


def hup(s, want):
    """Sends SIGHUP and waits for the next "SIGHUP:" log line, which must hold want; returns it."""
    before = s.stderr().count("SIGHUP:")
    s.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        lines = [l for l in s.stderr().splitlines() if "SIGHUP:" in l]
        if len(lines) > before:
            assert want in lines[-1], (want, lines[-1])
            return lines[-1]
        time.sleep(0.05)
    raise AssertionError("no SIGHUP log line within %.0f s: %s" % (WAIT_S, s.stderr()))


def status(conn, token):
    conn.request("GET", "/v1/cases", headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    r.read()
    return r.status


def test_sighup_adds_and_removes_actors_keeps_connections():
    """SIGHUP: an actor added to the configuration works at once; one removed is refused (revocation
    without a restart); an open keep-alive connection carries on on the same socket; a write queued
    just before the reload commits."""
    with oidc_server() as s:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=WAIT_S)
        assert status(conn, TOKEN["pr-rotterdam"]) == 200
        sock = conn.sock
        new_token = "tok-pr-new-rotterdam"
        st, _ = s.req("GET", "/v1/cases", new_token)
        assert st == 401
        cfg = s.config
        cfg["actors"] = [a for a in cfg["actors"] if a["id"] != "cr2-rotterdam"] + [
            {"id": "pr-new", "role": "procesregisseur", "org": "rotterdam",
             "token_sha256": hashlib.sha256(new_token.encode()).hexdigest()}]
        write_config(s, cfg)
        # a write on the keep-alive connection, sent before the signal, answered after it
        conn.request("POST", "/v1/cases", body=json.dumps({
            "verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
            "regie_intensiteit": "midden", "toestemming_gegevensdeling": True,
            "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}),
            headers={"Authorization": "Bearer " + TOKEN["pr-rotterdam"], "Content-Type": "application/json"})
        hup(s, "configuration reloaded")
        r = conn.getresponse()
        created = json.loads(r.read())
        assert r.status == 201, (r.status, created)
        assert status(conn, new_token) == 200
        assert status(conn, TOKEN["pr-rotterdam"]) == 200
        assert conn.sock is sock, "the keep-alive connection was dropped"
        st, body = s.req("GET", "/v1/cases/" + created["id"], new_token)
        assert st == 200, (st, body)
        st, body = s.req("GET", "/v1/cases", TOKEN["cr2-rotterdam"])
        assert_error(st, body, 401)
        # OIDC tokens still verify after the reload
        st, body = s.req("GET", "/v1/cases", mint(claims()))
        assert st == 200, (st, body)
        conn.close()


def open_stream(s, token):
    """GET /v1/stream on a raw socket; returns the socket after the 200 head (and what followed it)."""
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=WAIT_S)
    sock.sendall(("GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                  "Accept: text/event-stream\r\n\r\n" % token).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "stream closed before its head"
        buf += chunk
    assert buf.startswith(b"HTTP/1.1 200"), buf
    return sock


def read_until(sock, pred, timeout=WAIT_S):
    """Reads until pred(bytes so far) or EOF or timeout; returns (bytes, eof)."""
    buf, deadline = b"", time.monotonic() + timeout
    while not pred(buf):
        left = deadline - time.monotonic()
        if left <= 0:
            return buf, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return buf, False
        if not chunk:
            return buf, True
        buf += chunk
    return buf, False


def test_sighup_streams():
    """SIGHUP and open streams: the stream of an actor the new configuration removes ends (revocation
    reaches it); another actor's stream carries on and gets the items committed after the reload."""
    with oidc_server() as s:
        keep = open_stream(s, TOKEN["ab-horizon"])
        gone = open_stream(s, TOKEN["cr2-rotterdam"])
        cfg = json.loads(json.dumps(s.config))
        cfg["actors"] = [a for a in cfg["actors"] if a["id"] != "cr2-rotterdam"]
        write_config(s, cfg)
        hup(s, "configuration reloaded")
        _, eof = read_until(gone, lambda b: False)
        assert eof, "the removed actor's stream was not ended"
        case = s.create_a()
        st, body = s.toewijzen(case["id"])  # a task for the aanbieder: toewijzing_ontvangen
        assert st == 200, (st, body)
        data, eof = read_until(keep, lambda b: case["id"].encode() in b)
        assert not eof and case["id"].encode() in data, (eof, data)
        keep.close()
        gone.close()


def test_sighup_refuses_a_bad_config():
    """SIGHUP with a broken file, an invalid configuration or changed regions: refused, logged with the
    reason, and the old configuration stays (its tokens work, the new file's do not)."""
    with oidc_server() as s:
        new_token = "tok-never-loaded"
        good = json.loads(json.dumps(s.config))
        added = json.loads(json.dumps(good))
        added["actors"].append({"id": "pr-x", "role": "procesregisseur", "org": "rotterdam",
                                "token_sha256": hashlib.sha256(new_token.encode()).hexdigest()})
        bad_key = dict(added, colour="blue")
        regions = json.loads(json.dumps(added))
        regions["regions"]["holland-noord"]["gemeenten"].append("hoorn")
        bad_oidc = json.loads(json.dumps(added))
        bad_oidc["oidc"]["jwks_file"] = os.path.join(s.dir, "no-such-jwks.json")
        dup = json.loads(json.dumps(added))
        dup["actors"].append(dict(dup["actors"][0]))
        for cfg, why in (("{\"regions\": ", "not valid JSON"), (bad_key, 'unknown configuration key "colour"'),
                         (regions, '"regions" changed'), (bad_oidc, "no-such-jwks.json"),
                         (dup, "is used twice")):
            write_config(s, cfg)
            line = hup(s, "reload refused")
            assert why in line, (why, line)
            assert "running configuration stays" in line, line
            st, body = s.req("GET", "/v1/cases", TOKEN["pr-rotterdam"])
            assert st == 200, (st, body)
            st, body = s.req("GET", "/v1/cases", mint(claims()))
            assert st == 200, (st, body)
            st, body = s.req("GET", "/v1/cases", new_token)
            assert_error(st, body, 401)
        # a good file afterwards loads
        write_config(s, added)
        hup(s, "configuration reloaded")
        st, body = s.req("GET", "/v1/cases", new_token)
        assert st == 200, (st, body)
        st, _, text = s.raw("GET", "/metrics", TOKEN["admin"])
        assert b'casusd_config_reloads_total{outcome="refused"} 5' in text, text
        assert b'casusd_config_reloads_total{outcome="ok"} 1' in text, text


def test_sighup_rotates_the_jwks():
    """SIGHUP reads the JWKS again: a rotated key set verifies the new kid and no longer the old; a
    broken JWKS at reload is refused and the keys in use stay."""
    with oidc_server() as s:
        old = mint(claims())
        new = mint(claims(), key=RSA_KEY_2, kid="rsa-2")
        st, _ = s.req("GET", "/v1/cases", old)
        assert st == 200
        refused(s, new, "unknown kid")
        write_jwks(s.jwks_path, [jwk(RSA_KEY_2, "rsa-2", "RS256"), jwk(EC_KEY, "ec-1", "ES256")])
        hup(s, "configuration reloaded")
        st, body = s.req("GET", "/v1/cases", new)
        assert st == 200, (st, body)
        refused(s, old, "unknown kid")
        with open(s.jwks_path, "w") as f:
            f.write('{"keys": [')
        line = hup(s, "reload refused")
        assert "jwks" in line.lower(), line
        st, body = s.req("GET", "/v1/cases", new)
        assert st == 200, (st, body)


def test_rate_buckets_by_actor_id():
    """The write-rate limit holds for OIDC actors too (a bucket per actor id, not per configured
    actor), and a bucket survives a reload.  When CASUSD_TEST_RATE_ACTORS_MAX (here 2) actors have a
    bucket, the next new actor empties the table: every bucket refills."""
    d = tmpdir("casus-oidc-rate-")
    path = os.path.join(d, "jwks.json")
    write_jwks(path, [jwk(RSA_KEY, "rsa-1", "RS256")])
    cfg = oidc_config(path)
    cfg["rate_limit"] = {"writes_per_second": 0.001, "burst": 1}
    body = {"verwijzer": "gemeente", "gemeente": "rotterdam", "casusregisseur": "cr-rotterdam",
            "jeugdige": {"naam": "Sam", "geboortedatum": "2015-06-01"}}
    a, c = mint(claims(sub="pr-a")), mint(claims(sub="pr-c"))
    with Server(config=cfg, env={"CASUSD_TEST_RATE_ACTORS_MAX": "2"}) as s:
        st, resp = s.req("POST", "/v1/cases", a, body)
        assert st == 201, (st, resp)
        st, resp = s.req("POST", "/v1/cases", a, body)
        assert_error(st, resp, 429, code="rate_limited")
        hup(s, "configuration reloaded")
        st, resp = s.req("POST", "/v1/cases", a, body)
        assert_error(st, resp, 429, code="rate_limited")
        st, resp = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"], body)
        assert st == 201, (st, resp)
        st, resp = s.req("POST", "/v1/cases", TOKEN["pr-rotterdam"], body)
        assert_error(st, resp, 429, code="rate_limited")
        # a third actor: the table (2) is full and emptied; everyone's bucket is full again
        st, resp = s.req("POST", "/v1/cases", c, body)
        assert st == 201, (st, resp)
        st, resp = s.req("POST", "/v1/cases", a, body)
        assert st == 201, (st, resp)
        st, _, text = s.raw("GET", "/metrics", TOKEN["admin"])
        assert b'casusd_config_reloads_total{outcome="ok"} 1' in text, text


def test_sighup_without_config_file():
    """The embedded demo has no file to read again: SIGHUP says so and the server carries on."""
    s = Server(config={})
    s._write_config = lambda: None  # no --config: the demo
    orig = s.start

    def start_demo():
        import casus
        s._starts += 1
        args = [casus.CASUSD, "serve", "--listen", "127.0.0.1:0", "--data", s.data]
        import subprocess
        s.stderr_path = os.path.join(s.dir, "stderr-demo.log")
        with open(s.stderr_path, "wb") as err:
            s.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
        casus._live_servers.append(s)
        out = s._read_until_listening(casus.START_TIMEOUT_S)
        line = [l for l in out.split("\n") if l.startswith("listening on ")]
        assert line, (out, s.stderr())
        s.port = int(line[0][len("listening on "):].split()[0].rsplit(":", 1)[1])
        return s
    s.start = start_demo
    with s:
        hup(s, "nothing to reload")
        st, body = s.req("GET", "/healthz")
        assert st == 200, (st, body)
    del orig


if __name__ == "__main__":
    run(globals())
