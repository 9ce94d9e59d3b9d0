#!/usr/bin/env bash
# Run many seeds of the deterministic simulation (issue 14) and report the failures.
#
#   sim/run-many.sh FIRST COUNT [JOBS] [-- extra 'ringbus sim' flags]
#
# Runs seeds FIRST .. FIRST+COUNT-1 in JOBS parallel processes (default: the number of cores),
# each over a contiguous slice, and prints every FAIL line with the command that reproduces it,
# then a summary. Exit status 1 if any seed failed. Needs the jar: mvn -B -DskipTests package.
set -euo pipefail
cd "$(dirname "$0")/.."
first=${1:?usage: sim/run-many.sh FIRST COUNT [JOBS] [-- flags]}
count=${2:?usage: sim/run-many.sh FIRST COUNT [JOBS] [-- flags]}
jobs=${3:-$(nproc)}
shift $(( $# >= 3 ? 3 : $# ))
[ "${1:-}" = "--" ] && shift
jar=bus-cli/target/ringbus.jar
[ -f "$jar" ] || { echo "no $jar: run 'mvn -B -DskipTests package' first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
slice=$(( (count + jobs - 1) / jobs ))
start=$SECONDS
for (( j = 0; j < jobs; j++ )); do
  a=$(( first + j * slice ))
  b=$(( a + slice - 1 ))
  (( b > first + count - 1 )) && b=$(( first + count - 1 ))
  (( a > b )) && continue
  java -jar "$jar" sim --seeds "$a..$b" "$@" > "$out/$j.out" 2> "$out/$j.err" &
done
wait || true
cat "$out"/*.out > "$out/all"
ran=$(grep -c '^seed ' "$out/all" || true)
failed=$(grep -c ' FAIL ' "$out/all" || true)
grep ' FAIL ' "$out/all" || true
grep '^reproduce: ' "$out"/*.err | sed 's/^[^:]*://' || true
echo "seeds run: $ran, failed: $failed, in $(( SECONDS - start )) s"
[ "$failed" -eq 0 ] && [ "$ran" -eq "$count" ]
