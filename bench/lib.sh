# shellcheck shell=sh disable=SC2154,SC2034 # $top from the caller; $sec, $mb for it
# Shared by the scenario scripts of bench/ (deals.sh, segments.sh,
# campaign.sh), sourced after setting $top:
#
#   bench_init NAME CMD...	$build, $work (BENCH_DIR, or a new directory
#				removed at exit), the commands CMD... of the
#				build first on PATH, a database of its own
#   bench_need PROG...		each program on PATH, else exit 1
#   timed CMD...		run CMD, stdout to /dev/null: $sec, $mb
#				(wall clock, peak RSS, from GNU time)
#   median CMD...		the median of $runs (BENCH_RUNS, 5) timed
#				runs: $sec, $mb
#   row NAME SEC MB		a line of the results

bench_init() {
	name=$1
	shift
	build=${CRM_BUILD:-build}
	case $build in /*) ;; *) build=$top/$build ;; esac
	if [ -n "${BENCH_DIR:-}" ]; then
		work=$BENCH_DIR
		mkdir -p "$work"
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-$name.XXXXXX") ||
		    exit 1
		trap 'rm -rf "$work"' EXIT
	fi
	if ! /usr/bin/time -f '%e' true >/dev/null 2>&1; then
		echo "bench: GNU time is missing as /usr/bin/time" >&2
		exit 1
	fi
	for c in "$@"; do
		[ -x "$build/bin/$c" ] || { echo "bench: $build/bin/$c is" \
		    "missing: run make" >&2; exit 1; }
	done
	PATH=$build/bin:$PATH
	CRM_DB=$work/crm.db
	CRM_USER=bench
	export PATH CRM_DB CRM_USER
	unset CRM_NOW CRM_FORMAT CRM_CONFIG
}

bench_need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 ||
		    { echo "bench: $p is missing" >&2; exit 1; }
	done
}

timed() {
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null \
	    2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	read -r sec kb <<TIMED
$(tail -n 1 "$work/time")
TIMED
	mb=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
}

median() {
	: >"$work/runs"
	i=0
	while [ "$i" -lt "${runs:=${BENCH_RUNS:-5}}" ]; do
		timed "$@"
		echo "$sec $mb" >>"$work/runs"
		i=$((i + 1))
	done
	read -r sec mb <<MEDIAN
$(sort -n "$work/runs" | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
MEDIAN
}

row() {
	printf '%-44s %8s s %6s MB\n' "$1" "$2" "$3"
}
