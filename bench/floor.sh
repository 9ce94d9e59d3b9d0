#!/usr/bin/env bash
# The C floor server and CPU/instructions per request of any server, for a fixed run (issue 16).
#
# For each server named (default: c-floor ringbus-nio) it starts the server alone in its own process
# (c-floor, c-floor-poll, byte-echo: bench/target/native/ringbus-floor, built from bench/native/ when
# missing or stale; any other harness server: io.ringbus.bench.harness.EchoServerMain in a JVM), warms
# it up with unmeasured load, then runs `perf stat --per-thread` on the server's process during COUNT
# pipelined requests of BODY bytes (WINDOW in flight) sent by io.ringbus.bench.harness.FixedLoad from
# a second JVM, and prints per request: instructions (user, kernel) and task-clock of the server's I/O
# thread(s), and task-clock of its whole process. Where the machine has no hardware counters (many
# VMs: perf says "<not supported>") the instruction columns say so and CPU time remains.
#
# Usage (from the repository root, after mvn -B -pl bench -am package -DskipTests):
#   bench/floor.sh [SERVER ...]
#   COUNT=1000000 BODY=64 WINDOW=128 bench/floor.sh c-floor c-floor-poll ringbus-nio netty-epoll
#   bench/floor.sh --build      (only build the C server; gcc needed)
# A spinning server (c-floor-poll, *-spin) takes a core: on 2 cores, nothing else should run.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
JAR=${JAR:-$script_dir/target/benchmarks.jar}
FLOOR=$script_dir/target/native/ringbus-floor
COUNT=${COUNT:-1000000}
BODY=${BODY:-64}
WINDOW=${WINDOW:-128}
WARMUP_ROUNDS=${WARMUP_ROUNDS:-3}
JAVA=${JAVA:-java}

"$script_dir/native/build.sh" "$script_dir/target/native" || {
    status=$?
    echo "cannot build the C floor server (bench/native/build.sh exited $status)" >&2
    exit "$status"
}
if [ "${1:-}" = --build ]; then
    echo "$FLOOR"
    exit 0
fi
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
    servers=(c-floor ringbus-nio)
fi
if [ ! -f "$JAR" ]; then
    echo "missing $JAR: run mvn -B -pl bench -am package -DskipTests first" >&2
    exit 2
fi
command -v perf >/dev/null || { echo "perf not found (apt-get install -y linux-perf)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ringbus-floor.XXXXXX")
server_pid=
cleanup()
{
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

jvm=("$JAVA" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Dringbus.bench.tls.dir="$work/tls" -cp "$JAR")
# I/O threads: the C server's one thread, a ringbus shard, a Netty event loop, the blocking server's.
io_thread_pattern='^(ringbus-floor|ringbus-shard|netty-|blocking|WebSocketSelector|WebSocketWorker)'

load()
{
    # load PORT COUNT
    "${jvm[@]}" io.ringbus.bench.harness.FixedLoad --port "$1" --mode pipelined --count "$2" --body "$BODY" \
        --window "$WINDOW"
}

# perf --per-thread CSV -> "io_instr_u io_instr_k io_cpu_ms process_cpu_ms" ("-" where not counted)
summarise()
{
    awk -F, -v pattern="$io_thread_pattern" '
        /^#/ || NF < 4 { next }
        {
            thread = $1; sub(/-[0-9]+$/, "", thread)
            io = thread ~ pattern
            supported = $2 !~ /not (supported|counted)/
            if ($4 == "task-clock") { cpu += $2; if (io) iocpu += $2; next }
            if ($4 ~ /^instructions:u/) { if (!supported) nu = 1; else if (io) iu += $2; next }
            if ($4 ~ /^instructions:k/) { if (!supported) nk = 1; else if (io) ik += $2; next }
        }
        END {
            printf "%s %s %.3f %.3f\n", nu ? "-" : iu, nk ? "-" : ik, iocpu, cpu
        }' "$1"
}

per_request()
{
    awk -v v="$1" -v n="$2" -v scale="$3" 'BEGIN { if (v == "-") print "not supported"; else printf "%.0f", scale * v / n }'
}

echo "# Server cost per request (perf stat), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -sr)," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $COUNT pipelined requests of $BODY B, window $WINDOW, one connection (FixedLoad)"
echo
echo "| server | client | instructions/req, I/O thread, user | kernel | CPU ns/req, I/O thread | CPU ns/req, process |"
echo "|---|---|---:|---:|---:|---:|"

for server in "${servers[@]}"; do
    rm -f "$work/port"
    case "$server" in
        c-floor) "$FLOOR" --idle block --name "$server" --port-file "$work/port" >/dev/null 2>"$work/server.log" & ;;
        c-floor-poll) "$FLOOR" --idle poll --name "$server" --port-file "$work/port" >/dev/null 2>"$work/server.log" & ;;
        byte-echo) "$FLOOR" --mode echo --name "$server" --port-file "$work/port" >/dev/null 2>"$work/server.log" & ;;
        *) "${jvm[@]}" io.ringbus.bench.harness.EchoServerMain "$server" "$work/port" 2>"$work/server.log" & ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do
        [ -f "$work/port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -f "$work/port" ]; then
        echo "| $server | failed to start: $(tail -1 "$work/server.log") | | | | |"
        wait "$server_pid" 2>/dev/null || true
        server_pid=
        continue
    fi
    port=$(cat "$work/port")
    for _ in $(seq "$WARMUP_ROUNDS"); do
        load "$port" "$COUNT" >/dev/null
    done
    perf stat -x, --per-thread -e instructions:u,instructions:k,task-clock -p "$server_pid" -o "$work/perf.txt" -- \
        "${jvm[@]}" io.ringbus.bench.harness.FixedLoad --port "$port" --mode pipelined --count "$COUNT" \
        --body "$BODY" --window "$WINDOW" >"$work/client.txt"
    read -r iu ik iocpu cpu <<<"$(summarise "$work/perf.txt")"
    client=$(sed -E 's/.*: //' "$work/client.txt")
    echo "| $server | $client | $(per_request "$iu" "$COUNT" 1) | $(per_request "$ik" "$COUNT" 1) |" \
        "$(per_request "$iocpu" "$COUNT" 1000000) | $(per_request "$cpu" "$COUNT" 1000000) |"
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
done
