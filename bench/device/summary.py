#!/usr/bin/env python3
"""Summarizes the outputs of bench/device/run.sh (one folder) as a short table."""
import glob, json, os, re, sys

d = sys.argv[1]


def load(path):
    try:
        text = open(path).read()
        return json.loads(text[text.index("{"):])
    except Exception:
        return None


def name(p):
    return os.path.basename(p)[:-4]


print("gigagas (execution alone, median of 3; seq = the same block sequentially)")
for p in sorted(glob.glob(f"{d}/gigagas-*.out")):
    j = load(p)
    if not j:
        print(f"  {name(p):28s} failed"); continue
    path = "Block-STM" if j["block_stm"] else f"seq fallback ({j.get('why_sequential')})"
    print(f"  {name(p):28s} seq {1e3*j['seq_exec_seconds']:8.1f} ms  par {1e3*j['par_exec_seconds']:8.1f} ms  "
          f"x{j['speedup']:.2f}  CPU par/seq {j['par_exec_cpu_seconds']/max(j['seq_exec_cpu_seconds'],1e-9):.2f}  "
          f"{j['par_mgas_per_s']:.0f} Mgas/s  {path}, {j['executions']} exec {j['aborts']} aborts; "
          f"senders x{j['senders_speedup']:.2f}")
    ph = j.get("phases_seconds")
    if ph:
        print(f"  {'':28s} phases: before {1e3*ph['before']:.1f} ms, workers {1e3*ph['workers']:.1f} ms "
              f"(rolling commit {1e3*ph['commit']:.1f} ms), after {1e3*ph['after']:.1f} ms")

print("mainnet (44 blocks, execution alone)")
for p in sorted(glob.glob(f"{d}/mainnet-*.out")):
    text = open(p).read()
    tail = [l.strip() for l in text.splitlines() if re.match(r"\s*(Block-STM blocks|fallback blocks|all blocks|throughput|sender recovery|\d+ passed)", l)]
    print(f"  {name(p)}:")
    for l in tail: print(f"    {l}")

print("engine (erc20, 1M accounts, 12 blocks back to back)")
for p in sorted(glob.glob(f"{d}/engine-*.out")):
    j = load(p)
    if not j:
        print(f"  {name(p):22s} failed"); continue
    st = j["stages_s"]
    print(f"  {name(p):22s} newPayload p50 {j['new_payload_ms']['p50']:7.1f} ms p99 {j['new_payload_ms']['p99']:7.1f}  "
          f"{j['mgas_per_s']:.0f} Mgas/s  exec {st['execute']:.3f} s senders {st['senders']:.3f} commit {st['commit']:.3f}  "
          f"root after exec {st['root_after_execution']:.3f} s = {100*j['root_over_execute']:.0f}% of exec "
          f"(waiting {st.get('root_after_execution_waiting', 0):.3f} s)  "
          f"overlap {100*j['root_overlap']:.0f}%  rounds {j['preroot_blocks']} ({j['preroot_chained']} chained)")

print("import (erc20, 1M accounts, 10M slots, 20 blocks of 30 Mgas; built: bench import; the others re-import after db unwind 0)")
for p in sorted(glob.glob(f"{d}/import-*.out")):
    j = load(p)
    if not j:
        print(f"  {name(p):22s} failed"); continue
    extra = ""
    if "import" in j:  # bench import's report
        extra = f"  genesis {j['genesis_seconds']:.1f} s  peak RSS {j['peak_rss_bytes']/2**30:.2f} GiB  store {j['db_bytes']/2**30:.2f} GiB"
        j = j["import"]
    t, s = j["time"], j["seconds"]
    print(f"  {name(p):22s} {s:6.3f} s  {j['mgas_per_s']:7.1f} Mgas/s  exec {100*t['execute']/s:.0f}% root {100*t['state_root']/s:.0f}% "
          f"commit {100*t['commit']/s:.0f}% senders {100*t['senders']/s:.0f}% (root+commit {100*(t['state_root']+t['commit'])/s:.0f}%) "
          f"wait {100*t['commit_wait']/s:.0f}%  rounds {j['preroot_blocks']}  senders ahead {j.get('senders_ahead', 0)}  "
          f"head {j['head']}{extra}")
