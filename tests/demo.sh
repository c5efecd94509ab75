#!/bin/sh
# `make demo`: install what is missing, build, start the test server on
# loopback and download 500 URLs that each take 50 ms to answer, first one
# at a time (-j 1), then 16 at a time (-j 16); print both times and the
# speedup.  Everything stays on 127.0.0.1 and in a temporary directory.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
make -s all
bin=build/release
work=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
"$bin/testserver" --quiet --max-seconds 600 >"$work/port" &
server_pid=$!
i=0
while ! grep -q '^port ' "$work/port" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -gt 100 ] && { echo "demo: the test server did not start" >&2; exit 1; }
	sleep 0.1
done
port=$(sed -n 's/^port //p' "$work/port")
n=500
i=1
while [ "$i" -le "$n" ]; do
	echo "http://127.0.0.1:$port/delay/50/file$i.txt"
	i=$((i + 1))
done >"$work/urls.txt"

now() { date +%s.%N; }
echo "demo: $n URLs, each answered after 50 ms, from a local test server (127.0.0.1:$port)"
for j in 1 16; do
	rm -rf "$work/out"
	t0=$(now)
	"$bin/fetchall" "$work/urls.txt" -j "$j" -o "$work/out" -q
	t1=$(now)
	files=$(find "$work/out" -type f | wc -l)
	t=$(echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}')
	echo "demo: -j $j: $files files in $t s (ideal $(awk "BEGIN{printf \"%.2f\", $n*0.05/$j}") s)"
	eval "t_$j=$t"
done
echo "demo: speedup -j 16 over -j 1: $(awk "BEGIN{printf \"%.1fx\", $t_1/$t_16}")"
