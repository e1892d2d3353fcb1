#!/bin/sh
# Run every unit test and end-to-end test, print TAP per file and one
# closing line "N passed, N failed".  CRM_BUILD names the build directory.
# Usage: sh tests/run.sh [TEST...]
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CRM_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
export CRM_BUILD="$build"
export CRM_TOP="$top"
export CRM_CORPORA="${CRM_CORPORA:-$top/../shared/corpora}"

pass=0 fail=0 skip=0 bad=""
if [ $# -gt 0 ]; then
	tests="$*"
else
	tests="$(ls "$build"/tests/*_test 2>/dev/null) $(ls "$top"/tests/*.t)"
fi
out=$(mktemp)
for t in $tests; do
	name=${t#"$top"/}
	name=${name#"$build"/}
	case $t in
	*.t) (cd "$top" && sh "$t") >"$out" 2>&1 ;;
	*) "$t" >"$out" 2>&1 ;;
	esac
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	s=$(grep -c '^ok .*# [Ss][Kk][Ii][Pp]' "$out")
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
	status=ok
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ] || [ -z "$planned" ] ||
	    [ "$planned" -ne $((p + f)) ]; then
		status=FAIL
		bad="$bad $name"
		cat "$out"
		[ -z "$planned" ] && echo "# $name: no plan (exit $rc)"
		[ "$f" -eq 0 ] && f=1
	fi
	printf '%-50s %s (%d tests)\n' "$name" "$status" $((p + f))
	pass=$((pass + p - s))
	fail=$((fail + f))
	skip=$((skip + s))
done
rm -f "$out"
[ -n "$bad" ] && echo "failed:$bad"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
