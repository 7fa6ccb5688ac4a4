# Sourced by the command-line tests of tests/import (init_cli.sh,
# export_cli.sh, preroot.sh): a temporary folder removed at exit, the pass/fail
# counters, and the checks they count. `finish` prints the summary line and
# gives the exit status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# check DESCRIPTION command...: the command must succeed
check() {
    local d=$1
    shift
    if "$@" >/dev/null 2>"$tmp/err"; then ok; else bad "$d: $(head -3 "$tmp/err")"; fi
}

# expect_fail PATTERN command...: non-zero exit, no crash, output matches
expect_fail() {
    local pattern=$1
    shift
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -ge 128 ] || [ $rc -eq 0 ] || ! grep -qE "$pattern" <<<"$out"; then
        bad "$* (exit $rc), wanted /$pattern/, got: $(head -3 <<<"$out")"
    else
        ok
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ $failed -eq 0 ]
}
