#!/usr/bin/env bash
# Coverage-guided fuzzing of one Wallet.Fuzz target with AFL++ (SharpFuzz instruments the assemblies under test).
#   fuzz/run.sh <target> [seconds=600]        targets: sbe fix json http journal raft client amount snapshot (Wallet.Fuzz list)
# Installs afl++ (apt) and the sharpfuzz tool if missing, publishes and instruments, seeds, runs afl-fuzz for the given
# time, then replays every crash AFL saved. Exit 0 = no crash, 1 = crashes (inputs under fuzz/out/<target>/findings),
# 2 = usage/setup error. Everything it writes stays under fuzz/out and fuzz/.tools (both git-ignored).
set -euo pipefail
target="${1:-}"; seconds="${2:-600}"
[[ "$target" =~ ^[a-z]+$ ]] || { echo "usage: fuzz/run.sh <target> [seconds]   (targets: sbe fix json http journal raft client amount snapshot)" >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+$ ]] && (( seconds >= 10 && seconds <= 86400 )) || { echo "seconds must be 10..86400" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"; cd "$root"
out="fuzz/out"; bin="$out/bin"; work="$out/$target"

if ! command -v afl-fuzz >/dev/null; then
  echo "[fuzz] installing afl++"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [[ ! -x fuzz/.tools/sharpfuzz ]]; then
  echo "[fuzz] installing the sharpfuzz tool"
  dotnet tool install --tool-path fuzz/.tools SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

echo "[fuzz] publishing Wallet.Fuzz"
rm -rf "$bin" "$bin-afl"
mkdir -p "$out"
if ! dotnet publish fuzz/Wallet.Fuzz -c Release -o "$bin" -nr:false -v q > "$out/publish.log" 2>&1; then
  echo "[fuzz] publish failed:" >&2; tail -20 "$out/publish.log" >&2; exit 2
fi
if ! dotnet "$bin/Wallet.Fuzz.dll" list | awk '{print $1}' | grep -qx "$target"; then
  echo "[fuzz] unknown target '$target'; the targets are:" >&2; dotnet "$bin/Wallet.Fuzz.dll" list >&2; exit 2
fi
# An instrumented copy for AFL: instrumented code only runs under AFL's forkserver (it writes AFL's coverage map),
# so seeds and crash replays use the plain copy. Only the code under test is instrumented (not the harness, not the BCL).
cp -r "$bin" "$bin-afl"
for dll in Wallet.Protocol Wallet.Gateway Wallet.Engine Wallet.Replication Wallet.Client; do fuzz/.tools/sharpfuzz "$bin-afl/$dll.dll" >/dev/null; done

rm -rf "$work"; mkdir -p "$work"
dotnet "$bin/Wallet.Fuzz.dll" seeds "$target" "$work/in" >/dev/null
echo "[fuzz] afl-fuzz on '$target' for ${seconds}s (findings in $work/findings)"
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
afl-fuzz -i "$work/in" -o "$work/findings" -V "$seconds" -t 10000 -m none -- dotnet "$bin-afl/Wallet.Fuzz.dll" afl "$target" > "$work/afl.log" 2>&1 || true
stats="$work/findings/default/fuzzer_stats"
if [[ ! -f "$stats" ]]; then echo "[fuzz] afl-fuzz did not start; see $work/afl.log" >&2; tail -20 "$work/afl.log" >&2; exit 2; fi
grep -E '^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|saved_crashes|saved_hangs|run_time) ' "$stats" | sed 's/^/[fuzz]   /'
crashes=$(find "$work/findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
if (( crashes > 0 )); then
  echo "[fuzz] $crashes crash(es); replaying:"
  dotnet "$bin/Wallet.Fuzz.dll" replay "$target" "$work/findings/default/crashes" || true
  exit 1
fi
echo "[fuzz] no crash"
