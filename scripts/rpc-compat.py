#!/usr/bin/env python3
"""Replays ethereum/execution-apis' rpc-compat tests (tests/*/*.io: request
and geth's exact response) against a running parevm node that imported the
suite's chain:

    parevm init --datadir D tests/genesis.json
    parevm import --datadir D tests/chain.rlp
    parevm node --datadir D --http.port 8545 --authrpc.port 8551 &
    scripts/rpc-compat.py http://127.0.0.1:8545 PATH/TO/execution-apis/tests [FILTER] \
        [--auth http://127.0.0.1:8551 D/jwtsecret]

With --auth, tests/headfcu.json (the forkchoice that names the chain's
safe and finalized blocks, which hive sends first) goes to the Engine API
before the tests; without it "safe" and "finalized" are unknown, as in
geth, and the tests that read them fail. testing_buildBlockV1 is served on
the Engine API port only.

"speconly" tests are checked for result-vs-error only. Prints one line per
mismatch and a summary; the exit status is non-zero on any mismatch. A
development check: the suite is not part of the fixtures, so make test does
not run it."""
import base64, hashlib, hmac, json, os, sys, time, urllib.request

def post(url, body, headers=None):
    req = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

def jwt(secret_file):
    secret = bytes.fromhex(open(secret_file).read().strip().removeprefix("0x"))
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
    signed = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps({"iat": int(time.time())}).encode())
    return (signed + b"." + b64(hmac.new(secret, signed, hashlib.sha256).digest())).decode()

def main():
    args = sys.argv[1:]
    if "--auth" in args:
        i = args.index("--auth")
        auth_url, secret = args[i + 1], args[i + 2]
        del args[i:i + 3]
        fcu = open(os.path.join(args[1], "headfcu.json")).read()
        print("headfcu:", json.dumps(post(auth_url, fcu, {"Authorization": "Bearer " + jwt(secret)})))
    url, root = args[0], args[1]
    filt = args[2] if len(args) > 2 else ""
    passed = failed = 0
    for d in sorted(os.listdir(root)):
        dp = os.path.join(root, d)
        if not os.path.isdir(dp):
            continue
        for f in sorted(os.listdir(dp)):
            if not f.endswith(".io") or filt not in d + "/" + f:
                continue
            lines = open(os.path.join(dp, f)).read().splitlines()
            speconly = any("speconly" in l for l in lines if l.startswith("//"))
            ok = True
            req = None
            for l in lines:
                if l.startswith(">> "):
                    req = l[3:]
                elif l.startswith("<< ") and req:
                    want = json.loads(l[3:])
                    try:
                        got = post(url, req)
                    except Exception as e:
                        got = {"transport error": str(e)}
                    same = (("result" in got) == ("result" in want)) if speconly else got == want
                    if not same:
                        ok = False
                        print("FAIL %s/%s\n  req  %s\n  want %s\n  got  %s" % (d, f, req[:300], json.dumps(want)[:1500], json.dumps(got)[:1500]))
                    req = None
            passed += ok
            failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
