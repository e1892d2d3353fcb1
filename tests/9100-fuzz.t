#!/bin/sh
# The libFuzzer harnesses (tests/fuzz/, see run.sh there), each built with
# clang and run FUZZ_SECONDS (3) from its seeds: no crash, no leak, no
# broken invariant.  A TAP skip line when clang has no libFuzzer.
# make fuzz runs them longer (60 s each).
. "${CRM_TOP:-.}/tests/lib.sh"

if [ -n "${CRM_VALGRIND:-}" ]; then
	plan 1
	skip "the harnesses run under ASan, not valgrind"
	exit 0
fi

names=
for f in "$CRM_TOP"/tests/fuzz/*_fuzz.c; do
	f=${f##*/}
	names="$names ${f%_fuzz.c}"
done
secs=${FUZZ_SECONDS:-3}
# From the seeds alone: what make fuzz gathered would take long to load.
FUZZ_SECONDS=$secs FUZZ_LOGS=$T_DIR FUZZ_CORPUS=$T_DIR/corpus \
    sh "$CRM_TOP/tests/fuzz/run.sh" >log 2>&1
rc=$?
if [ $rc -eq 77 ]; then
	plan 1
	skip "$(tail -n 1 log)"
	exit 0
fi
# shellcheck disable=SC2086
set -- $names
plan $#
[ $rc -eq 0 ] || sed 's/^/# /' log | grep -v '^# fuzz: [a-z0-9]*: ok'
for n in $names; do
	grep -q "^fuzz: $n: ok" log
	ok $? "$n: ${secs}s of fuzzing, no crash"
done
