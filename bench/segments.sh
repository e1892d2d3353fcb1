#!/bin/sh
# Segments at scale: count of a three-clause dynamic segment, members
# streamed against sqlite3 -json on the equivalent query, lead scoring
# with ten rules and RFM, on the contacts of bench/gen.c and won deals.
#
#   BENCH_N	contacts (default 1000000)
#   BENCH_DEALS	won deals (default 300000)
#   BENCH_RUNS	runs of each read, the median is reported (default 5)
#   BENCH_DIR	where the files go (default: a new directory in $TMPDIR,
#		removed afterwards); a crm.db already there is used as it is
#   CRM_BUILD	the build directory
#
# Targets (crm-segment(1)): count under 300 ms; members at no less than
# half the rate of sqlite3 -json, in constant memory; score with ten rules
# and rfm each under 10 s.  Wall-clock seconds and peak RSS from GNU time.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
n=${BENCH_N:-1000000}
deals=${BENCH_DEALS:-300000}
runs=${BENCH_RUNS:-5}
bench_need sqlite3 awk sort
bench_init seg crm-contact crm-deal crm-segment

if [ ! -s "$CRM_DB" ]; then
	${CC:-cc} -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$work/gen" \
	    "$top/bench/gen.c" || exit 1
	"$work/gen" "$n" >"$work/contacts.csv"
	crm-contact import --on-error skip "$work/contacts.csv" 2>/dev/null
	# Won deals over three years, a few per customer.
	awk -v d="$deals" -v n="$n" 'BEGIN {
		srand(7)
		print "title,contact_id,stage,amount,currency,closed_at"
		for (i = 1; i <= d; i++) {
			c = 1 + int(rand() * rand() * n)
			y = 2023 + int(rand() * 4)
			m = 1 + int(rand() * (y == 2026 ? 10 : 12))
			printf "Order %d,%d,won,%d.%02d,EUR,%d-%02d-%02dT10:00:00Z\n",
			    i, c, int(rand() * 20000), int(rand() * 100), y, m,
			    1 + int(rand() * 28)
		}
	}' >"$work/deals.csv"
	crm-deal import --on-error skip "$work/deals.csv" 2>/dev/null
fi
contacts=$(sqlite3 "$CRM_DB" "SELECT count(*) FROM contacts")
won=$(sqlite3 "$CRM_DB" "SELECT count(*) FROM deals")
echo "segments: $contacts contacts, $won won deals, $runs runs a read"

sqlite3 "$CRM_DB" "DELETE FROM segments; DELETE FROM score_rules" || exit 1
where="stage = customer and tag = vip and created_at > -3650d"
crm-segment create three --where "$where" >/dev/null || exit 1
crm-segment create customers --where 'stage = customer' >/dev/null || exit 1

median crm-segment count three
row "crm-segment count (three clauses)" "$sec" "$mb"
c=$(crm-segment count three)
echo "  ($c contacts; target: under 0.3 s)"

timed crm-segment members customers
m_sec=$sec
row "crm-segment members (stage = customer)" "$sec" "$mb"
timed sqlite3 -json "$CRM_DB" "SELECT c.*, (SELECT json_group_array(tag)
    FROM contact_tags t WHERE t.contact_id = c.id) AS tags
    FROM contacts c WHERE c.stage = 'customer' ORDER BY c.id"
row "sqlite3 -json, the same contacts" "$sec" "$mb"
awk -v a="$m_sec" -v b="$sec" -v k="$(crm-segment count customers)" \
    'BEGIN { printf "  (%d contacts; rate %.2fx of sqlite3 -json; " \
    "target: at least 0.5x)\n", k, (a > 0 ? b / a : 0) }'
timed crm-segment members customers --limit 1000
row "crm-segment members --limit 1000 (memory)" "$sec" "$mb"

for r in 'stage = customer:10' 'stage = "Sales Qualified Lead":8' \
    'tag = vip:15' 'tag = newsletter:2' 'tag = churn-risk:-20' \
    'email ~ "@example.org":1' 'fields.city = Berlin:3' \
    'opt_in:5' 'segment = three:7' 'title ~ CEO or title ~ Founder:6'; do
	crm-segment score rule add "${r%:*}" "${r##*:}" >/dev/null || exit 1
done
timed crm-segment score
row "crm-segment score (ten rules)" "$sec" "$mb"
echo "  (target: under 10 s)"
timed crm-segment rfm
row "crm-segment rfm" "$sec" "$mb"
echo "  (target: under 10 s)"
median crm-segment count customers
row "crm-segment count (stage = customer)" "$sec" "$mb"
median crm-contact list --where 'score >= 20' --limit 10
row "crm-contact list --where 'score >= 20' --limit 10" "$sec" "$mb"
