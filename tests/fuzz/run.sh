#!/bin/sh
# libFuzzer harnesses for the parsers that read outside input, one file
# each, tests/fuzz/NAME_fuzz.c, with seeds in tests/fuzz/seeds/NAME/:
#   csv      CSV: crm_reader, the import reader, mapping and value checks
#   jsonl    JSON Lines: crm_reader, references, the import reader
#   filter   --where and --sort on contacts, tickets, deals, kb (SQL run)
#   time     crm_time_parse          money   amounts, currencies, rates
#   email    crm_email_normalize     charset cp1252/latin1 to UTF-8
#   utf8     crm_utf8_check          mime    RFC 5322/MIME and decoders
#   sla      SLA durations, business hours and due times
#   mail     mail out: composing (no header injection), address parsing
#
# Usage: sh tests/fuzz/run.sh [NAME...]  (make fuzz, tests/9100-fuzz.t)
# Builds the library with clang into build-fuzz/ (instrumented, ASan and
# UBSan) and runs each harness FUZZ_SECONDS (60), FUZZ_JOBS (2) at a time.
# What a harness finds new goes to $FUZZ_CORPUS/NAME (default
# build-fuzz/corpus, kept from run to run), crashes to
# build-fuzz/crash/NAME-*, its output to $FUZZ_LOGS/NAME.log (default
# build-fuzz/log).  The public corpora ($CRM_CORPORA) are read as extra
# seeds when present.  Exit 77 when clang's libFuzzer is missing, 1 when
# a harness failed.  Every crash found so far has a regression test in
# tests/unit/ and its input in seeds/NAME/regress-*.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
B=build-fuzz
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-2}
corpora=${CRM_CORPORA:-$top/../shared/corpora}
CLANG=${FUZZ_CC:-clang}
OPT="-O1 -gline-tables-only"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
SAN="$SAN -fno-omit-frame-pointer"
L=${FUZZ_LOGS:-$B/log}
C=${FUZZ_CORPUS:-$B/corpus}
mkdir -p $B/crash $B/fuzz "$L"
# Not the jobserver or variables of a make that runs this.
unset MAKEFLAGS MFLAGS MAKELEVEL
# Runs at the same time (make check in one tree) build one at a time.
exec 9>$B/lock
command -v flock >/dev/null 2>&1 && flock 9

echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
    >$B/probe.c
if ! $CLANG -fsanitize=fuzzer $B/probe.c -o $B/probe >/dev/null 2>&1; then
	echo "fuzz: no clang with libFuzzer ($CLANG -fsanitize=fuzzer)" >&2
	exit 77
fi
make -s -j2 CC="$CLANG" BUILD=$B CFLAGS="$OPT" \
    SANFLAGS="-fsanitize=fuzzer-no-link $SAN" $B/lib/libcrm.a || exit 1
libs=$(pkg-config --libs sqlite3 libcjson libcurl)
cflags=$(pkg-config --cflags sqlite3 libcjson libcurl)

if [ $# -gt 0 ]; then
	names="$*"
else
	names=
	for f in tests/fuzz/*_fuzz.c; do
		f=${f##*/}
		names="$names ${f%_fuzz.c}"
	done
fi
# One harness built, when its source or the library changed.
build() {
	src=tests/fuzz/${1}_fuzz.c
	[ -f "$src" ] || { echo "fuzz: no $src" >&2; return 1; }
	[ -x $B/fuzz/"$1" ] &&
	    [ -z "$(find "$src" $B/lib/libcrm.a -newer $B/fuzz/"$1")" ] &&
	    return 0
	# shellcheck disable=SC2086
	$CLANG -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	    -Wall -Wextra -Werror -Wno-unused-parameter $OPT \
	    -fsanitize=fuzzer $SAN -Ilib $cflags -o $B/fuzz/"$1".new \
	    "$src" $B/lib/libcrm.a $libs -lcsv -lm -pthread &&
	    mv $B/fuzz/"$1".new $B/fuzz/"$1"	# another run may be using it
}
fail=0 pids=""
for n in $names; do
	build "$n" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail=1; done
[ $fail -eq 0 ] || exit 1
exec 9>&-

# Extra seeds from the public corpora, when there.
extra() {
	case $1 in
	csv) d=$corpora/csv ;;
	jsonl) d=$corpora/json ;;
	email) d=$corpora/email-addresses ;;
	mime|charset|utf8|dsn) d=$corpora/email-inbound ;;
	*) d= ;;
	esac
	[ -n "$d" ] && [ -d "$d" ] && echo "$d"
}

# One harness: its log in $L/NAME.log, a line of verdict.
one() {
	mkdir -p "$C/$1"
	# shellcheck disable=SC2046
	ASAN_OPTIONS=detect_leaks=1 $B/fuzz/"$1" -max_total_time="$secs" \
	    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$B/crash/"$1"- "$C/$1" \
	    tests/fuzz/seeds/"$1" $(extra "$1") >"$L/$1.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$L/$1.log" |
	    tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz: $1: ok, ${runs:-?} runs in ${secs}s"
	else
		echo "fuzz: $1: FAILED (exit $rc), see $L/$1.log:"
		# The sanitizer's verdict and what the harness printed.
		grep -E 'ERROR|SUMMARY|Test unit written|^[a-z"].* ' \
		    "$L/$1.log" | head -n 8 | sed 's/^/fuzz:   /'
		return 1
	fi
}

running=0 pids=""
for n in $names; do
	one "$n" &
	pids="$pids $!"
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || fail=1; done
		pids="" running=0
	fi
done
for p in $pids; do wait "$p" || fail=1; done
exit $fail
