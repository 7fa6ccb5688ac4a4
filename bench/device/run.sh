#!/bin/bash
# Benchmarks on a lent many-core machine (16 cores): Block-STM scaling on
# the gigagas blocks and the mainnet blocks, the engine's newPayload with and
# without state-root rounds, and the chain import. Runs from the repository
# root on what bench/device/pack.sh put in .devrun/; writes every log and
# JSON under $OUT and prints a short summary last.
#
#   bench/device/run.sh [SECTION...]   sections: gigagas mainnet engine import
#                                      (default: all, in that order)
#   BINS="base parevm"                 binaries of .devrun/bin to alternate
#   (GG_BINS, MN_BINS, ENGINE_BINS, IMPORT_BINS: per section; see each)
#   IMPORT_AHEAD="0 auto 4"            import --senders-ahead values to alternate
#                                      (auto: the flag left out; default auto)
set -u
here=$(pwd)
dev=$here/.devrun
# $OUT brings back 8 files at most: the log and summary go there, every
# command's output into $W, packed into $OUT/results.tgz after each section
OUT=${OUT:-/tmp/devout}
W=${W:-$(mktemp -d /tmp/parevm-device-XXXXXX)}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$dev/lib
export TMPDIR=${TMPDIR_BENCH:-/tmp/parevm-bench}
mkdir -p "$TMPDIR"
BINS=${BINS:-parevm}
# smaller sizes for a trial run on a small machine
EA=${ENGINE_ACCOUNTS:-1000000}
IA=${IMPORT_SIZE:---accounts 1000000 --slots 10000000}
TL=${THREADS:-4 8 16}
TMAX=${TL##* }
log=$OUT/log.txt
sections=${*:-gigagas mainnet engine import}
t_start=$(date +%s)

say() { echo "== $* ($(($(date +%s) - t_start)) s)" | tee -a "$log"; }
# run NAME SECONDS CMD...: output to $OUT/NAME.out, appended to the log
run() {
    local name=$1 secs=$2
    shift 2
    say "$name: $*"
    timeout "$secs" "$@" >"$W/$name.out" 2>"$W/$name.err"
    local rc=$?
    cat "$W/$name.out" >>"$log"
    tail -5 "$W/$name.err" >>"$log"
    [ $rc = 0 ] || say "$name: exit $rc"
}

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(free -g | awk '/Mem/{print $2}') GiB"
for b in $BINS; do "$dev/bin/$b" --version >>"$log" 2>&1 || say "$b does not start"; done

for s in $sections; do case $s in
gigagas) # GG_SPECS: kind:threads[:binary] ... (no binary: each of GG_BINS)
    for spec in ${GG_SPECS:-$(for t in $TL; do echo erc20:$t; done) uniswap:$TMAX transfers:$TMAX}; do
        IFS=: read -r kind t only <<<"$spec"
        for b in ${only:-${GG_BINS:-$BINS}}; do
            run "gigagas-$kind-$b-$t" 60 "$dev/bin/$b" bench gigagas --kind $kind --threads $t --repeat 3 --json ${GG_PHASES---phases}
        done
    done ;;
mainnet)
    mkdir -p /tmp/fixtures && tar -C /tmp/fixtures -xJf "$dev/mainnet.tar.xz"
    for t in ${MN_THREADS:-$TL}; do
        for b in ${MN_BINS:-$BINS}; do run "mainnet-$b-$t" 60 "$dev/bin/$b" bench mainnet --threads $t /tmp/fixtures/mainnet; done
    done ;;
engine) # ENGINE_SPECS: threads:preroot[:binary] ... (no binary: each of ENGINE_BINS)
    for spec in ${ENGINE_SPECS:-8:off 8:on 12:on}; do
        IFS=: read -r t pre only <<<"$spec"
        for b in ${only:-${ENGINE_BINS:-$BINS}}; do
            run "engine-$b-$t-$pre" 120 "$dev/bin/$b" bench engine --kind erc20 --accounts $EA --blocks 12 \
                --threads $t --preroot $pre --json
        done
    done ;;
import) # the chain is built once (the first binary); each binary then
        # imports it IMPORT_REPEAT times at each of IMPORT_THREADS, alternating
    set -- ${IMPORT_BINS:-$BINS}
    rm -rf "$TMPDIR"/parevm-bench-import-*
    run "import-$1-$TMAX-built" 240 "$dev/bin/$1" bench import --kind erc20 $IA --threads $TMAX --keep --json
    dir=$(ls -d "$TMPDIR"/parevm-bench-import-* 2>/dev/null | head -1)
    if [ -n "$dir" ]; then
        for t in ${IMPORT_THREADS:-$TMAX}; do
            for r in $(seq ${IMPORT_REPEAT:-2}); do
                for b in "$@"; do
                    for ah in ${IMPORT_AHEAD:-auto}; do
                        aa=; [ "$ah" = auto ] || aa="--senders-ahead $ah"
                        run "unwind-$b-$t-$r-a$ah" 60 "$dev/bin/$b" db --datadir "$dir/db" unwind 0
                        # shellcheck disable=SC2086
                        run "import-$b-$t-$r-a$ah" 120 "$dev/bin/$b" import --datadir "$dir/db" --threads $t $aa \
                            --no-sync --json "$dir/chain.rlp"
                    done
                done
            done
        done
        rm -rf "$dir"
    fi ;;
esac
    tar -C "$W" -czf "$OUT/results.tgz" .
done

say "done"
python3 "$here/bench/device/summary.py" "$W" | tee "$OUT/summary.txt"
