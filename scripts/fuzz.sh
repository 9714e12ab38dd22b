#!/usr/bin/env bash
# Builds the libFuzzer harness Fuzz/ (if needed) and fuzzes the CourierWire decoder
# for SECONDS seconds. See Fuzz/README.md.
#
# usage: scripts/fuzz.sh SECONDS [extra libFuzzer flags...]
#
# Environment:
#   FUZZ_BUILD_JOBS   swift build -j (default: 1; the machine is shared)
#
# Corpus: Fuzz/corpus (seeded from Tests/Vectors/wire-vectors.json, gitignored).
# Crashes: Fuzz/artifacts/ (gitignored). Log of the last run: Fuzz/.build/fuzz-last.log.
# Exit status: 0 when no crash was found, 1 when one was (or libFuzzer failed), 2 on
# bad usage.
set -euo pipefail

usage() { echo "usage: $(basename "$0") SECONDS [extra libFuzzer flags...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
duration=$1
shift
[[ $duration =~ ^[0-9]+$ && $duration -gt 0 ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fuzz_dir="$root/Fuzz"
scratch="$fuzz_dir/.build"
corpus="$fuzz_dir/corpus"
artifacts="$fuzz_dir/artifacts"
dict="$fuzz_dir/courier.dict"
log="$scratch/fuzz-last.log"

build=(
    swift build -c release
    --package-path "$fuzz_dir" --scratch-path "$scratch"
    -j "${FUZZ_BUILD_JOBS:-1}"
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
)

echo "== building the harness: ${build[*]}"
"${build[@]}"
binary="$("${build[@]}" --show-bin-path)/CourierWireFuzz"
[[ -x $binary ]] || { echo "fuzz.sh: $binary was not built" >&2; exit 1; }

echo "== seeding $corpus from Tests/Vectors/wire-vectors.json"
python3 "$fuzz_dir/seed_corpus.py" "$root/Tests/Vectors/wire-vectors.json" "$corpus"
mkdir -p "$artifacts"

crashes_before=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
corpus_before=$(find "$corpus" -maxdepth 1 -type f | wc -l)

# Let libFuzzer handle a trap itself (it prints the stack and writes the artifact):
# the Swift runtime's backtracer reads the stack in a way AddressSanitizer reports as
# a stack-buffer-underflow, and can hang the crashed process.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

echo "== fuzzing for ${duration}s (corpus: $corpus_before files)"
started=$(date +%s)
set +e
"$binary" "$corpus" \
    -dict="$dict" \
    -max_total_time="$duration" \
    -timeout=25 \
    -artifact_prefix="$artifacts/" \
    -print_final_stats=1 \
    "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
executions=$(stat number_of_executed_units)
per_second=$(stat average_exec_per_sec)
new_units=$(stat new_units_added)
peak_rss=$(stat peak_rss_mb)
corpus_after=$(find "$corpus" -maxdepth 1 -type f | wc -l)
crashes_after=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
new_crashes=$(( crashes_after - crashes_before ))

echo
echo "== fuzz.sh summary"
echo "duration:          ${elapsed} s (requested ${duration} s)"
echo "total executions:  ${executions:-unknown}"
echo "executions/s:      ${per_second:-unknown}"
echo "new corpus units:  ${new_units:-unknown}"
echo "corpus size:       ${corpus_after} files (was ${corpus_before})"
echo "peak RSS:          ${peak_rss:-unknown} MB"
echo "crashes found:     ${new_crashes} (artifacts in $artifacts)"
echo "libFuzzer status:  ${status}"
echo "log:               $log"

if [[ $status -ne 0 || $new_crashes -gt 0 ]]; then
    echo "fuzz.sh: libFuzzer found a problem; reproduce with: $binary ARTIFACT" >&2
    exit 1
fi
