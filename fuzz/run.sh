#!/bin/sh
# Runs each libFuzzer binary given as an argument (build/fuzz/fuzz_NAME),
# one after the other, for $FUZZ_SECONDS each (0: only the seeds, once),
# and prints one line per target:
#   "fuzz_NAME: ok, N runs, N exec/s, cov: N, ft: N, corpus: N inputs"
# Each run works on a scratch copy of $SEEDS/NAME in a fresh directory
# under $FUZZ_OUT/tmp (the seeds in fixtures/ are never written, and two
# runs never share one), removed after a clean run and kept after a failed
# one; uses $DICTS/NAME.dict when there is one; leaves its log in
# $FUZZ_OUT/logs/NAME.log; and writes any crashing, leaking or slow input
# to $FUZZ_OUT/crashes/NAME-*.  $FUZZ_FLAGS is passed
# on to libFuzzer (e.g. "-fork=1 -ignore_crashes=1" to go on past a known
# crash).  Exits 1 if any target found one (or failed to run), after
# running them all.
set -u
secs=${FUZZ_SECONDS:-10}
out=${FUZZ_OUT:-build/fuzz}
seeds=${SEEDS:-fixtures/fuzz}
dicts=${DICTS:-fuzz}
status=0
mkdir -p "$out/crashes" "$out/logs" "$out/tmp" || exit 2
case $secs in
'' | *[!0-9]*)
	echo "FUZZ_SECONDS must be a number of seconds, not '$secs'"
	exit 2
	;;
esac
if [ "$secs" -eq 0 ]; then
	limit=-runs=0
else
	limit=-max_total_time=$secs
fi
for bin in "$@"; do
	name=${bin##*/fuzz_}
	work=$(mktemp -d "$out/tmp/$name.XXXXXX") || exit 2
	corpus=$work/corpus
	log=$work/log
	mkdir "$corpus" || exit 2
	if [ -d "$seeds/$name" ]; then
		cp "$seeds/$name"/* "$corpus"/ 2>/dev/null
	fi
	set -- "$limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$name-"
	[ -f "$dicts/$name.dict" ] && set -- "$@" -dict="$dicts/$name.dict"
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
	set -- "$@" ${FUZZ_FLAGS:-}
	# The wall-clock bound only matters if libFuzzer itself gets stuck.
	timeout -k 10 $((secs + 300)) "$bin" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	# The log quotes inputs, so it may hold any byte: grep -a.
	runs=$(grep -a '^stat::number_of_executed_units:' "$log" | tail -n 1 | tr -dc 0-9)
	speed=$(grep -a '^stat::average_exec_per_sec:' "$log" | tail -n 1 | tr -dc 0-9)
	if [ -z "$runs" ]; then # -fork prints no final stats, only "#RUNS: cov: ..."
		runs=$(grep -a '^#[0-9]*: cov:' "$log" | tail -n 1 | cut -d: -f1 | tr -dc 0-9)
		[ -n "$runs" ] && [ "$secs" -gt 0 ] && speed=$((runs / secs))
	fi
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -ao 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(grep -ao 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	if [ "$rc" -eq 0 ]; then
		verdict=ok
	else
		verdict="FAILED (exit $rc)"
		status=1
	fi
	echo "fuzz_$name: $verdict, ${runs:-?} runs, ${speed:-?} exec/s," \
		"cov: ${cov:-?}, ft: ${ft:-?}, corpus: ${corp:-?} inputs"
	if [ "$rc" -ne 0 ]; then
		sed -n '/^==[0-9]*== *ERROR/,/^SUMMARY/p' "$log" | head -n 40
		grep -ah 'Test unit written to' "$log" | sort -u
		echo "full log: $log, corpus: $corpus"
		cp "$log" "$out/logs/$name.log"
	else
		mv "$log" "$out/logs/$name.log"
		rm -rf "$work"
	fi
done
exit "$status"
