#!/usr/bin/env python3
"""Replays ethereum/execution-apis' rpc-compat tests (tests/*/*.io: request
and geth's exact response) against a running parevm node that imported the
suite's chain:

    parevm init --datadir D tests/genesis.json
    parevm import --datadir D tests/chain.rlp
    parevm node --datadir D --http.port 8545 &
    scripts/rpc-compat.py http://127.0.0.1:8545 PATH/TO/execution-apis/tests [FILTER]

"speconly" tests are checked for result-vs-error only. Prints one line per
mismatch and a summary; the exit status is non-zero on any mismatch. A
development check: the suite is not part of the fixtures, so make test does
not run it."""
import json, os, sys, urllib.request

def post(url, body):
    req = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

def main():
    url, root = sys.argv[1], sys.argv[2]
    filt = sys.argv[3] if len(sys.argv) > 3 else ""
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
