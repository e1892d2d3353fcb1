#!/bin/sh
# Campaign sends into a local smtp-sink (postfix), with 1 and with 4
# connections, beside postfix's own smtp-source sending as many messages
# of the same size with the same concurrency, and crm's peak RSS.
#
#   BENCH_RCPTS	recipients (default 100000)
#   BENCH_DIR	where the files go (default: a new directory in $TMPDIR,
#		removed afterwards)
#   CRM_BUILD	the build directory
#
# Target (crm-campaign(1)): at least 70% of smtp-source's rate; memory
# flat over 100,000 recipients.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
n=${BENCH_RCPTS:-100000}
PATH=$PATH:/usr/sbin
bench_need smtp-sink smtp-source python3
bench_init camp crm-contact crm-segment crm-campaign
sink=
cleanup() {
	[ -n "$sink" ] && kill "$sink" 2>/dev/null
	[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=
[ "$(id -u)" = 0 ] && user="-u nobody"
# shellcheck disable=SC2086
smtp-sink $user -c "127.0.0.1:$port" 256 >"$work/sink.log" 2>&1 &
sink=$!
sleep 0.5
export CRM_SMTP_URL="smtp://127.0.0.1:$port"

if [ ! -s "$CRM_DB" ]; then
	awk -v n="$n" 'BEGIN { print "name,email,tags"
	    for (i = 1; i <= n; i++)
		printf "Reader %d,reader%d@example.net,readers\n", i, i }' \
	    >"$work/readers.csv"
	crm-contact import "$work/readers.csv" 2>/dev/null || exit 1
	crm-segment create readers --where 'tag = readers' >/dev/null || exit 1
	awk 'BEGIN { print "Hello {{first_name}},"; print ""
	    for (i = 0; i < 30; i++)
		print "This is the news of the month, line " i \
		    ", with enough words to make a real message."
	    print ""; print "{{campaign.name}}" }' >"$work/body.txt"
	crm-campaign create bench --segment readers --subject 'News, {{first_name}}' \
	    --from 'News <news@example.org>' --text "$work/body.txt" >/dev/null ||
	    exit 1
fi
size=$(crm-campaign preview bench --to reader1@example.net | wc -c)
echo "campaign: $n recipients, messages of $size bytes"


rate() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'
}

for c in 1 4; do
	sqlite3 "$CRM_DB" "DELETE FROM campaign_sends;
	    UPDATE campaigns SET status = 'draft'" || exit 1
	timed crm-campaign send bench --connections "$c"
	crm=$(rate "$n" "$sec")
	crm_mb=$mb
	crm_sec=$sec
	timed smtp-source -s "$c" -m "$n" -l "$size" -f news@example.org \
	    -t reader@example.net "127.0.0.1:$port"
	src=$(rate "$n" "$sec")
	printf '%d connection(s): crm-campaign %6s msg/s (%s s, %s MB)   ' \
	    "$c" "$crm" "$crm_sec" "$crm_mb"
	printf 'smtp-source %6s msg/s (%s s)   ratio %s (target: 0.70)\n' \
	    "$src" "$sec" "$(awk -v a="$crm" -v b="$src" \
	    'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
