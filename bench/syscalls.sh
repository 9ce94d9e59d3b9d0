#!/usr/bin/env bash
# Syscalls (and CPU time) per request on the server side, for a fixed run (issue 5, Bench).
#
# For each server named (default: ringbus-nio ringbus-uring) it starts the server alone in its own
# JVM (io.ringbus.bench.harness.EchoServerMain), warms it up with unmeasured load, then counts the
# server process's syscalls during
#   - a pipelined run: COUNT requests with BODY-byte bodies over one connection, WINDOW in flight;
#   - a round-trip run: RT_COUNT requests one at a time;
# both sent by io.ringbus.bench.harness.FixedLoad from a second JVM. A request is one frame in and
# one frame out, so "per request" is per frame pair. The closing ping/pong of a pipelined run and
# the client JVM's start (the server idles meanwhile; see the idle row) fall inside the window.
#
# TOOL=perf (default): perf stat on the syscall tracepoints with --per-thread: counts in the kernel,
#   no slowdown; gives per-thread counts (the I/O thread apart from GC and JIT threads) and
#   task-clock (CPU time).
# TOOL=strace: strace -c -f -p PID: whole process only, and ptrace stops every syscall, which slows
#   the server down a lot (so it batches more per syscall than it would unwatched); a cross-check.
#
# TLS servers (ringbus-tls, netty-tls, ...) work too: both JVMs share one certificate directory.
# So do the WebSocket servers (ringbus-ws, netty-ws, java-websocket and their -wss variants).
#
# Usage (from the repository root, after mvn -pl bench -am package -DskipTests):
#   bench/syscalls.sh [SERVER ...]
#   COUNT=200000 RT_COUNT=20000 BODY=64 WINDOW=128 TOOL=perf bench/syscalls.sh ringbus-nio netty-epoll
# Needs perf (linux-perf) or strace (apt-get install -y strace) and, for io_uring servers, a kernel
# that allows io_uring.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
JAR=${JAR:-$script_dir/target/benchmarks.jar}
COUNT=${COUNT:-200000}
RT_COUNT=${RT_COUNT:-20000}
BODY=${BODY:-64}
WINDOW=${WINDOW:-128}
WARMUP_ROUNDS=${WARMUP_ROUNDS:-5}
TOOL=${TOOL:-perf}
JAVA=${JAVA:-java}
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
    servers=(ringbus-nio ringbus-uring)
fi

if [ ! -f "$JAR" ]; then
    echo "missing $JAR: run mvn -B -pl bench -am package -DskipTests first" >&2
    exit 2
fi
case "$TOOL" in
    perf) command -v perf >/dev/null || { echo "perf not found (apt-get install -y linux-perf)" >&2; exit 2; } ;;
    strace) command -v strace >/dev/null || { echo "strace not found (apt-get install -y strace)" >&2; exit 2; } ;;
    *) echo "TOOL=$TOOL: perf or strace" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/ringbus-syscalls.XXXXXX")
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

jvm=("$JAVA" --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -Dringbus.bench.tls.dir="$work/tls"
    -cp "$JAR")

# Syscalls counted one by one (tracepoints, those this kernel has); the rest show up as "other".
events=(read write readv writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_pwait epoll_pwait2 epoll_ctl
    io_uring_enter futex poll ppoll ioctl sched_yield)
perf_events=task-clock,raw_syscalls:sys_enter
if [ "$TOOL" = perf ]; then
    for event in "${events[@]}"; do
        if perf list "syscalls:sys_enter_$event" 2>/dev/null | grep -q Tracepoint; then
            perf_events+=",syscalls:sys_enter_$event"
        fi
    done
fi

# I/O threads: a ringbus shard, a Netty event loop, the blocking server's threads, Java-WebSocket's
# selector and decoder worker.
io_thread_pattern='^(ringbus-shard|netty-|blocking|WebSocketSelector|WebSocketWorker)'

load()
{
    # load PORT TLSFLAG MODE COUNT
    local mode_args=(--mode "$3" --count "$4" --body "$BODY")
    if [ "$3" = pipelined ]; then
        mode_args+=(--window "$WINDOW")
    fi
    "${jvm[@]}" io.ringbus.bench.harness.FixedLoad --port "$1" $2 "${mode_args[@]}"
}

# Sum perf --per-thread CSV: prints "total_syscalls io_syscalls process_cpu_ms io_cpu_ms" then
# "name=count" pairs of the named syscalls on the I/O threads.
summarise_perf()
{
    awk -F, -v pattern="$io_thread_pattern" '
        /^#/ || NF < 4 { next }
        {
            thread = $1; sub(/-[0-9]+$/, "", thread)
            event = $4; value = $2 + 0
            io = thread ~ pattern
            if (event == "task-clock") { cpu += value; if (io) iocpu += value; next }
            if (event == "raw_syscalls:sys_enter") { total += value; if (io) iototal += value; next }
            sub(/^syscalls:sys_enter_/, "", event)
            if (io) named[event] += value
        }
        END {
            printf "%d %d %.1f %.1f", total, iototal, cpu, iocpu
            for (name in named) if (named[name] > 0) { printf " %s=%d", name, named[name]; counted += named[name] }
            if (iototal > counted) printf " other=%d", iototal - counted
            printf "\n"
        }' "$1"
}

# strace -c summary: the "total" line's calls (4th column), then "name=count" of the syscalls that
# make up at least 0.5% of it. No per-thread split and no CPU time: "-" in those places.
summarise_strace()
{
    awk '
        $1 ~ /^[0-9.]+$/ && NF >= 5 { calls[$NF] = $4 + 0 }
        END {
            total = calls["total"]
            printf "%d - - -", total
            for (name in calls) if (name != "total" && calls[name] * 200 >= total) printf " %s=%d", name, calls[name]
            printf "\n"
        }' "$1"
}

# measure PID PORT TLSFLAG MODE COUNT -> prints the summary line of the server's syscalls
measure()
{
    local out="$work/count.txt"
    if [ "$TOOL" = perf ]; then
        perf stat -x, --per-thread -e "$perf_events" -p "$1" -o "$out" -- \
            "${jvm[@]}" io.ringbus.bench.harness.FixedLoad --port "$2" $3 --mode "$4" --count "$5" --body "$BODY" \
            $( [ "$4" = pipelined ] && echo "--window $WINDOW" ) >"$work/client.txt"
        summarise_perf "$out"
    else
        strace -c -f -p "$1" -o "$out" 2>"$work/strace.err" &
        local strace_pid=$!
        sleep 1 # attach to every thread before the load starts
        load "$2" "$3" "$4" "$5" >"$work/client.txt"
        kill -INT "$strace_pid"
        wait "$strace_pid" || true
        summarise_strace "$out"
    fi
}

per_request()
{
    # per_request VALUE COUNT
    awk -v v="$1" -v n="$2" 'BEGIN { if (v == "-") print "-"; else printf "%.3f", v / n }'
}

cpu_per_request()
{
    # cpu_per_request MS COUNT -> microseconds
    awk -v v="$1" -v n="$2" 'BEGIN { if (v == "-") print "-"; else printf "%.2f", 1000 * v / n }'
}

echo "# Server syscalls per request ($TOOL), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -sr)"
echo "# pipelined: $COUNT requests of $BODY B, window $WINDOW; round trip: $RT_COUNT requests one at a time"
echo
echo "| server | run | client msg/s or p50 | syscalls/request, process | syscalls/request, I/O thread | CPU µs/request, process | CPU µs/request, I/O thread | I/O thread syscalls/request by name |"
echo "|---|---|---:|---:|---:|---:|---:|---|"

for server in "${servers[@]}"; do
    tls_flag=
    case "$server" in
        *wss) tls_flag="--tls --ws" ;;
        *tls*) tls_flag=--tls ;;
        *-ws|java-websocket) tls_flag=--ws ;;
    esac
    rm -f "$work/port"
    "${jvm[@]}" io.ringbus.bench.harness.EchoServerMain "$server" "$work/port" 2>"$work/server-$server.log" &
    server_pid=$!
    for _ in $(seq 100); do
        [ -f "$work/port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -f "$work/port" ]; then
        echo "| $server | failed to start: $(tail -1 "$work/server-$server.log") | | | | | | |"
        wait "$server_pid" 2>/dev/null || true
        server_pid=
        continue
    fi
    port=$(cat "$work/port")

    # Unmeasured warm-up: let the JIT compile the server's paths before anything is counted.
    for _ in $(seq "$WARMUP_ROUNDS"); do
        load "$port" "$tls_flag" pipelined "$COUNT" >/dev/null
    done
    load "$port" "$tls_flag" roundtrip "$RT_COUNT" >/dev/null

    for run in pipelined roundtrip; do
        count=$COUNT
        [ "$run" = roundtrip ] && count=$RT_COUNT
        read -r total io cpu iocpu named <<<"$(measure "$server_pid" "$port" "$tls_flag" "$run" "$count")"
        client=$(sed -E 's/.*: //' "$work/client.txt")
        by_name=
        for pair in $named; do
            by_name+="${pair%%=*} $(per_request "${pair#*=}" "$count"), "
        done
        echo "| $server | $run | $client | $(per_request "$total" "$count") | $(per_request "$io" "$count") |" \
            "$(cpu_per_request "$cpu" "$count") | $(cpu_per_request "$iocpu" "$count") | ${by_name%, } |"
    done

    if [ "$TOOL" = perf ]; then
        # Idle: what the server does with no load, for a second (the client JVM's start is in each window).
        perf stat -x, --per-thread -e "$perf_events" -p "$server_pid" -o "$work/idle.txt" -- sleep 1
        read -r total io cpu iocpu named <<<"$(summarise_perf "$work/idle.txt")"
        echo "| $server | idle, 1 s | - | $total per s | $io per s | $cpu ms | $iocpu ms | $named |"
    fi

    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=
done
