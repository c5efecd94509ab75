#!/bin/sh
# Runs each cmocka test binary given as an argument, each bounded in time,
# and sums cmocka's own per-binary counts into one closing line:
#   "N passed, N failed"
# A binary that crashes or times out counts as one failure on top.
set -u
passed=0
failed=0
bad=""
limit=${TEST_TIMEOUT:-600}
log=$(mktemp)
for t in "$@"; do
	echo "=== $t"
	timeout -k 10 "$limit" "$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	# a binary may run several groups (test_fetchall runs some twice)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s += $1} END {if (NR) print s}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$log" | awk '{s += $1} END {if (NR) print s}')
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		echo "!!! $t exited with status $rc"
		failed=$((failed + 1))
	fi
	[ "$rc" -ne 0 ] && bad="$bad $t"
done
rm -f "$log"
[ -n "$bad" ] && echo "failing:$bad"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$bad" ]
