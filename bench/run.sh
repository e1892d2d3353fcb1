#!/bin/sh
# make bench: crm against sqlite3 and sqlite-utils, on the same generated
# files, in the same run, reported as ratios with peak RSS.
#
#   BENCH_N	contacts (default 1000000); a second pass at 100000 shows
#		whether memory stays flat (BENCH_SIZES overrides both)
#   BENCH_DIR	where the files go (default: a new directory in $TMPDIR,
#		removed afterwards)
#   CRM_BUILD	the build directory (make bench sets it)
#
# Times are wall-clock seconds and peak RSS from GNU time; absolute numbers
# drift from machine to machine, the ratios much less.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${CRM_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
crm=$build/bin/crm-contact
n=${BENCH_N:-1000000}
sizes=${BENCH_SIZES:-$n}
[ -z "${BENCH_SIZES:-}" ] && [ "$n" -gt 100000 ] && sizes="$n 100000"
if [ -n "${BENCH_DIR:-}" ]; then
	work=$BENCH_DIR
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
fi

for p in sqlite3 sqlite-utils; do
	command -v "$p" >/dev/null 2>&1 ||
	    { echo "bench: $p is missing (make deps installs it)" >&2; exit 1; }
done
if ! /usr/bin/time -f '%e' true >/dev/null 2>&1; then
	echo "bench: GNU time is missing as /usr/bin/time (make deps)" >&2
	exit 1
fi
[ -x "$crm" ] || { echo "bench: $crm is missing: run make" >&2; exit 1; }
${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$work/gen" \
    "$top/bench/gen.c" || exit 1

# timed NAME CMD...: run CMD (stdout to $work/NAME.out), set $sec and $mb.
timed() {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/$name.out" \
	    2>"$work/$name.err"
	# A failing command adds a line before the numbers.
	read -r sec kb <<EOF
$(tail -n 1 "$work/time")
EOF
	mb=$(awk -v k="$kb" 'BEGIN { printf "%.0f", k / 1024 }')
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# verdict VALUE OP LIMIT: "ok" or "MISSED".
verdict() {
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		ok = (op == "<=" ? v <= l : v >= l)
		print ok ? "ok" : "MISSED" }'
}

row() {
	printf '%-26s %8s s %5s MB   %-30s %8s s %5s MB  %7s  %s\n' "$@"
}

median_ms() {
	sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] }'
}

bench_size() {
	size=$1
	d=$work/$size
	mkdir -p "$d"
	"$work/gen" "$size" >"$d/contacts.csv"
	"$work/gen" -f jsonl "$size" >"$d/contacts.jsonl"
	cat "$d/contacts.csv" "$d/contacts.jsonl" >/dev/null
	csvmb=$(du -m "$d/contacts.csv" | cut -f1)
	jsonmb=$(du -m "$d/contacts.jsonl" | cut -f1)

	echo
	echo "== $size contacts: contacts.csv $csvmb MB (16 columns, HubSpot" \
	    "names), contacts.jsonl $jsonmb MB"
	echo "   The files hold about 2% duplicate emails (case, blanks):" \
	    "crm imports with --on-error skip,"
	echo "   rejects those rows and exits 1; the peers store every row" \
	    "and check nothing."
	row "work" "crm" "RSS" "peer" "peer" "RSS" "ratio" "target"

	# Import CSV.
	timed crm_csv env CRM_DB="$d/crm.db" "$crm" import --on-error skip \
	    --verbose "$d/contacts.csv"
	c_sec=$sec c_mb=$mb
	summary=$(grep -v '^crm-contact: line' "$work/crm_csv.err" |
	    tr '\n' ' ')
	timed sq_csv sqlite3 "$d/bare.db" ".import --csv $d/contacts.csv t"
	s_sec=$sec s_mb=$mb
	timed su_csv sqlite-utils insert "$d/su.db" t "$d/contacts.csv" --csv
	u_sec=$sec u_mb=$mb
	r=$(ratio "$c_sec" "$s_sec")
	row "import CSV" "$c_sec" "$c_mb" "sqlite3 .import" "$s_sec" "$s_mb" \
	    "${r}x" "<= 2x: $(verdict "$r" '<=' 2)"
	r=$(ratio "$u_sec" "$c_sec")
	row "" "" "" "sqlite-utils insert --csv" "$u_sec" "$u_mb" \
	    "${r}x" ">= 10x faster: $(verdict "$r" '>=' 10)"
	# What SQLite itself needs to store the file as crm keeps it: WAL,
	# one transaction, and an index on each column crm indexes.
	sqlite3 "$d/idx.db" 'PRAGMA page_size = 8192;
	    PRAGMA journal_mode = WAL' >/dev/null
	timed sq_idx sqlite3 "$d/idx.db" "BEGIN" ".import --csv $d/contacts.csv t" \
	    "PRAGMA threads = 2" \
	    'CREATE INDEX t1 ON t("Email" COLLATE NOCASE)' \
	    'CREATE INDEX t2 ON t("Record ID")' \
	    'CREATE INDEX t3 ON t("Company Name")' \
	    'CREATE INDEX t4 ON t("Lifecycle Stage")' \
	    'CREATE INDEX t5 ON t("First Name", "Last Name")' \
	    'CREATE INDEX t6 ON t("Tags")' "COMMIT"
	row "" "" "" "sqlite3 .import + 6 indexes" "$sec" "$mb" \
	    "$(ratio "$c_sec" "$sec")x" "(crm's indexes, WAL)"
	rm -f "$d/idx.db"*
	echo "   crm: $summary"
	rss_csv=$c_mb

	# Import JSON Lines.
	timed crm_jsonl env CRM_DB="$d/crm2.db" "$crm" import --on-error skip \
	    --verbose "$d/contacts.jsonl"
	j_sec=$sec j_mb=$mb
	summary=$(grep -v '^crm-contact: line' "$work/crm_jsonl.err" |
	    tr '\n' ' ')
	timed su_nl sqlite-utils insert "$d/su2.db" t "$d/contacts.jsonl" --nl
	row "import JSONL" "$j_sec" "$j_mb" "sqlite3 .import (the CSV)" \
	    "$s_sec" "$s_mb" "$(ratio "$j_sec" "$s_sec")x" ""
	r=$(ratio "$sec" "$j_sec")
	row "" "" "" "sqlite-utils insert --nl" "$sec" "$mb" "${r}x" \
	    "(crm ${r}x faster)"
	echo "   crm: $summary"

	# Export JSON Lines.
	timed crm_export env CRM_DB="$d/crm.db" "$crm" export
	e_sec=$sec e_mb=$mb
	timed sq_json sqlite3 -json "$d/bare.db" "SELECT * FROM t"
	r=$(ratio "$e_sec" "$sec")
	row "export JSONL" "$e_sec" "$e_mb" "sqlite3 -json" "$sec" "$mb" \
	    "${r}x" "<= 1.5x: $(verdict "$r" '<=' 1.5)"
	rss_export=$e_mb

	# One contact by its indexed email: start-up, open, query, print.
	email=$(sqlite3 "$d/crm.db" "SELECT email FROM contacts \
	    WHERE email IS NOT NULL LIMIT 1 OFFSET $((size / 2))")
	for _ in 1 2 3 4 5 6 7 8 9 10 11; do
		t0=$(date +%s%N)
		CRM_DB="$d/crm.db" "$crm" list --where "email = \"$email\"" \
		    >"$work/list.out"
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | awk '{ print $1 / 1000 }' | median_ms >"$work/ms"
	ms=$(cat "$work/ms")
	for _ in 1 2 3 4 5 6 7 8 9 10 11; do
		t0=$(date +%s%N)
		sqlite3 "$d/bare.db" "SELECT 1" >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done | awk '{ print $1 / 1000 }' | median_ms >"$work/ms"
	[ -s "$work/list.out" ] || echo "bench: list found nothing for $email"
	printf '%-26s %8s ms           %-30s %8s ms                 %s\n' \
	    "list --where 'email = …'" "$ms" "sqlite3 start-up + SELECT 1" \
	    "$(cat "$work/ms")" "< 20 ms: $(verdict "$ms" '<=' 20)"

	# Full-text search, when crm-contact has it.  A bulk import leaves
	# its contacts to the next search to index: that one is timed apart.
	if "$crm" --completion-helper | grep -qx search; then
		timed first_search env CRM_DB="$d/crm.db" "$crm" search \
		    --limit 10 lovelace
		printf '%-26s %8s s %5s MB   %s\n' "first search (indexes)" \
		    "$sec" "$mb" "the index a bulk import leaves to it"
		for _ in 1 2 3 4 5; do
			t0=$(date +%s%N)
			CRM_DB="$d/crm.db" "$crm" search --limit 10 lovelace \
			    >/dev/null 2>&1
			t1=$(date +%s%N)
			echo $(((t1 - t0) / 1000))
		done | awk '{ print $1 / 1000 }' | median_ms >"$work/ms"
		printf '%-26s %8s ms\n' "search lovelace (10)" "$(cat "$work/ms")"
	else
		echo "search: skipped, crm-contact has no search verb yet"
	fi
	# A merge of two contacts: start-up, both looked up, everything of
	# the second moved, one transaction, an event.  Eleven pairs from the
	# middle of the table, the median.
	sqlite3 "$d/crm.db" "SELECT id FROM contacts WHERE kind = 'person'
	    AND id > $((size / 2)) ORDER BY id LIMIT 22" >"$work/pairs"
	while read -r keep && read -r other; do
		t0=$(date +%s%N)
		CRM_DB="$d/crm.db" "$crm" merge "$keep" "$other" >/dev/null \
		    2>"$work/merge.err" || cat "$work/merge.err"
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000))
	done <"$work/pairs" | awk '{ print $1 / 1000 }' | median_ms >"$work/ms"
	ms=$(cat "$work/ms")
	printf '%-26s %8s ms                                                         %s\n' \
	    "merge KEEP OTHER" "$ms" "< 20 ms: $(verdict "$ms" '<=' 20)"
	printf '%-26s import %s MB (< 64: %s), export %s MB (< 64: %s)\n' \
	    "peak RSS" "$rss_csv" "$(verdict "$rss_csv" '<=' 64)" \
	    "$rss_export" "$(verdict "$rss_export" '<=' 64)"
	rm -rf "$d"
}

echo "crm benchmark: $(uname -sm), $(nproc) cores, sqlite3 $(sqlite3 \
    --version | cut -d' ' -f1), sqlite-utils $(sqlite-utils --version |
    awk '{ print $NF }')"
for size in $sizes; do
	bench_size "$size"
done
