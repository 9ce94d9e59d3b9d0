#!/usr/bin/env bash
# Coverage-guided fuzzing of every Jazzer target of the repository, one at a time (issue 14, point 3).
#
# A target is a method annotated @FuzzTest in a test class whose name ends in FuzzTest, under
# <module>/src/test/java. Each one is run alone by surefire (-Dtest=Class#method) with JAZZER_FUZZ=1,
# which makes jazzer-junit fuzz it instead of replaying the committed inputs, for SECONDS seconds.
#
# The duration: @FuzzTest(maxDuration = "60s") in the source is only the default. Jazzer reads its
# options from jazzer.* system properties and JAZZER_* environment variables, and its max_duration
# option "overrides @FuzzTest(maxDuration)" for JUnit tests (jazzer 0.30.0, driver Opt); this script
# sets JAZZER_MAX_DURATION=${SECONDS}s, which the surefire JVM inherits (-Djazzer.max_duration=..
# on the mvn command line would need forwarding into the forked JVM).
#
# Without JAZZER_FUZZ (a plain `mvn verify`, CI) the same tests run in regression mode over
# src/test/resources/<package>/<Class>Inputs/<method>/ and an empty input. What the fuzzer finds
# while fuzzing is left in <module>/.cifuzz-corpus (working corpus, not committed) and a crash
# reproducer is reported in the log; commit it under the Inputs directory once it is fixed.
#
# Usage (from anywhere; offline, the dependencies must be in ~/.m2):
#   bench/fuzz.sh [SECONDS] [PATTERN]
#     SECONDS  fuzzing time per target (default 60)
#     PATTERN  only targets whose Class#method matches this extended regex (default: all)
# Prints per target one line: module, Class#method, runs and seconds from libFuzzer's
# "Done N runs in S second(s)", or FAIL with the log. Exits non-zero if any target failed.
# Logs: $LOG_DIR (default a fresh directory under /tmp).
set -uo pipefail

SECONDS_PER_TARGET=${1:-60}
PATTERN=${2:-.}
root=$(cd "$(dirname "$0")/.." && pwd)
LOG_DIR=${LOG_DIR:-$(mktemp -d /tmp/ringbus-fuzz.XXXXXX)}
mkdir -p "$LOG_DIR"

if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_TARGET" -lt 1 ]; then
    echo "usage: $0 [SECONDS] [PATTERN]" >&2
    exit 2
fi

# module<TAB>fully.qualified.Class<TAB>method, for each @FuzzTest method of each *FuzzTest.java.
list_targets()
{
    cd "$root" || exit 1
    find . -path '*/src/test/java/*' -name '*FuzzTest.java' -not -path '*/target/*' | sort | while read -r file; do
        file=${file#./}
        module=${file%%/src/test/java/*}
        class=${file#*/src/test/java/}
        class=${class%.java}
        class=${class//\//.}
        # The method is declared on the first line after @FuzzTest that has "void name(".
        awk '/@FuzzTest/ { want = 1; next }
             want && match($0, /void[ \t]+[A-Za-z0-9_]+[ \t]*\(/) {
                 m = substr($0, RSTART, RLENGTH); sub(/^void[ \t]+/, "", m); sub(/[ \t]*\($/, "", m);
                 print m; want = 0 }' "$file" | while read -r method; do
            printf '%s\t%s\t%s\n' "$module" "$class" "$method"
        done
    done
}

failed=0
count=0
while IFS=$'\t' read -r module class method; do
    simple=${class##*.}
    if ! [[ "$simple#$method" =~ $PATTERN ]]; then
        continue
    fi
    count=$((count + 1))
    log="$LOG_DIR/$simple.$method.log"
    # -am builds the modules it depends on from this tree; -Dtest matches only this target there.
    (cd "$root" && JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${SECONDS_PER_TARGET}s" \
        mvn -B -o -pl "$module" -am verify -Dtest="$simple#$method" -Dsurefire.failIfNoSpecifiedTests=false \
        > "$log" 2>&1)
    rc=$?
    done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
    runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")
    secs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")
    if [ $rc -eq 0 ] && [ -n "$done_line" ]; then
        printf '%-10s %-60s %12s runs in %5s s\n' "$module" "$simple#$method" "$runs" "$secs"
    else
        failed=$((failed + 1))
        finding=$(grep -m1 -E 'FuzzTestFindingException|Exception:|Error:' "$log" | cut -c1-200)
        printf '%-10s %-60s FAIL (rc %s, %s runs) %s; log %s\n' "$module" "$simple#$method" "$rc" "${runs:-?}" \
            "$finding" "$log"
    fi
done < <(list_targets)

if [ $count -eq 0 ]; then
    echo "no fuzz target matches '$PATTERN'" >&2
    exit 2
fi
echo "$count target(s), $failed failed; logs in $LOG_DIR"
[ $failed -eq 0 ]
