#!/usr/bin/env bash
# Build the C floor server (bench/native/floor.c) into bench/target/native/ringbus-floor (issue 16).
# Rebuilds only when the binary is missing or older than its source. gcc: -O2, the SSE4.2 CRC32
# instruction chosen at run time (with a portable table otherwise).
#   bench/native/build.sh [OUTPUT_DIR]      (default: bench/target/native)
set -euo pipefail

native_dir=$(cd "$(dirname "$0")" && pwd)
out_dir=${1:-$native_dir/../target/native}
CC=${CC:-gcc}
source=$native_dir/floor.c
binary=$out_dir/ringbus-floor

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "$CC not found: the C floor server needs a C compiler (apt-get install -y gcc)" >&2
    exit 3
fi
mkdir -p "$out_dir"
if [ -x "$binary" ] && [ "$binary" -nt "$source" ] && [ "$binary" -nt "$0" ]; then
    exit 0
fi
# Compile to a temporary name, then rename: a concurrent reader never sees half a binary.
temporary=$(mktemp "$out_dir/ringbus-floor.XXXXXX")
trap 'rm -f "$temporary"' EXIT
"$CC" -std=c11 -O2 -Wall -Wextra -Werror -o "$temporary" "$source"
chmod 755 "$temporary"
mv -f "$temporary" "$binary"
trap - EXIT
echo "built $binary" >&2
