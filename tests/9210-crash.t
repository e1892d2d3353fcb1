#!/bin/sh
# kill -9 at random points of the commands that write much in one go: an
# import, a merge, a restore, a ticket ingest, a campaign send.  After
# every kill, crm-db check passes and the data is
# all before or all after: a state is a fingerprint of row counts taken
# with sqlite3, compared with the fingerprints of the two possible states.
#
# CRM_CRASH_KILLS (default 15) kills per command (the import's shared by
# its three paths: into an empty table, into a full one, --upsert);
# CRM_CRASH_SEED repeats a run's random delays.  Each delay is drawn in
# [0, 1.3 * the time the command took uninterrupted], so that most kills
# land while it runs and some after.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 27

kills=${CRM_CRASH_KILLS:-15}
seed=${CRM_CRASH_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# seed $seed, $kills kills per command (CRM_CRASH_SEED=$seed repeats)"
round=0

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# delays N MS: N delays in seconds, uniform in [0, 1.3 * MS ms], a new
# sequence each call.
delays() {
	round=$((round + 1))
	awk -v s="$((seed + round))" -v n="$1" -v ms="$2" 'BEGIN {
		srand(s)
		for (i = 0; i < n; i++)
			printf "%.3f\n", rand() * ms * 1.3 / 1000
	}' >"$T_DIR/delays"
}

# reset FILE: the database becomes a copy of FILE (a crm-db backup).
reset() {
	rm -f "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" "$CRM_DB-journal"
	cp "$1" "$CRM_DB"
}

# crash DELAY CMD...: run CMD (stdin from $CRASH_IN), kill -9 it after
# DELAY seconds; KILLED=1 when it was still running.
crash() {
	d=$1
	shift
	# In a subshell whose stderr is closed: no "Killed" from the shell.
	rc=$(
		"$@" <"${CRASH_IN:-/dev/null}" >/dev/null 2>&1 &
		pid=$!
		sleep "$d"
		kill -9 "$pid" 2>/dev/null
		wait "$pid"
		echo $?
	) 2>/dev/null
	if [ "$rc" -eq 137 ]; then KILLED=1; else KILLED=0; fi
}

# timed CMD...: run CMD to its end, its time in $MS.
timed() {
	t0=$(now_ms)
	"$@" <"${CRASH_IN:-/dev/null}" >/dev/null 2>"$T_DIR/timed.err"
	TRC=$?
	MS=$(($(now_ms) - t0))
}

# rounds N NAME BEFORE AFTER FPFN CMD...: N kill rounds of CMD, each
# from the database BEFORE (a file), checked and fingerprinted with FPFN,
# which must give the fingerprint of BEFORE or of the database AFTER.
# Three results: check always ok, state always one of the two, and (a
# diagnostic, no test) how many kills landed before, after, mid-way.
rounds() {
	n=$1 name=$2 before=$3 after=$4 fpfn=$5
	shift 5
	reset "$before"
	fp_before=$($fpfn)
	reset "$after"
	fp_after=$($fpfn)
	checks=0 states=0 n_before=0 n_after=0 n_killed=0
	delays "$n" "$MS"
	# shellcheck disable=SC2013 # one number a line
	for d in $(cat "$T_DIR/delays"); do
		reset "$before"
		crash "$d" "$@"
		[ "$KILLED" -eq 1 ] && n_killed=$((n_killed + 1))
		if ! crm-db check >"$T_DIR/check.out" 2>&1; then
			checks=$((checks + 1))
			echo "# $name: check failed after a kill at ${d}s:"
			sed 's/^/#   /' "$T_DIR/check.out" | head -n 5
			cp "$CRM_DB" "$T_DIR/failed-$name.db" 2>/dev/null
		fi
		fp=$($fpfn)
		if [ "$fp" = "$fp_before" ]; then
			n_before=$((n_before + 1))
		elif [ "$fp" = "$fp_after" ]; then
			n_after=$((n_after + 1))
		else
			states=$((states + 1))
			echo "# $name: kill at ${d}s left state $fp"
			echo "#   (before $fp_before, after $fp_after)"
		fi
	done
	echo "# $name: $n_killed of $n killed running;" \
	    "$n_before before, $n_after after (uninterrupted: $MS ms)"
	is "$checks" 0 "$name: crm-db check passes after every kill"
	is "$states" 0 "$name: every kill leaves all before or all after"
}

# --- import ------------------------------------------------------------

# 20000 rows: names with a word of their own for search, two tags each.
awk 'BEGIN {
	print "name,email,phone,title,tags"
	for (i = 1; i <= 20000; i++) {
		printf "Person zq%dx,p%d@example.org,", i, i
		printf "+4930%07d,Engineer,\"a,t%d\"\n", i, i % 50
	}
}' >big.csv
crm-db init
crm-db backup empty.db
crm-contact import big.csv 2>/dev/null
crm-db backup empty-after.db
reset empty.db
timed crm-contact import big.csv
is "$TRC" 0 "an import of 20000 rows into an empty database"
echo "# it took $MS ms"
import_ms=$MS

fp_import() {
	sql 'SELECT (SELECT count(*) FROM contacts),
	    (SELECT count(*) FROM contact_tags), (SELECT count(*) FROM events),
	    (SELECT count(*) FROM contacts WHERE email IS NOT NULL)'
}
rounds $((kills - 2 * (kills / 3))) import-empty empty.db empty-after.db \
    fp_import crm-contact import big.csv

# The same into a table of 2000 contacts, and with --upsert (the live
# path: every row looked up), whose file names 1000 of them.
awk 'BEGIN {
	print "name,email"
	for (i = 1; i <= 2000; i++)
		printf "Old %d,o%d@example.org\n", i, i
}' >old.csv
reset empty.db
crm-contact import old.csv 2>/dev/null
crm-db backup some.db
crm-contact import big.csv 2>/dev/null
crm-db backup some-after.db
reset some.db
timed crm-contact import big.csv
is "$TRC" 0 "an import into a table of 2000 rows"
rounds $((kills / 3)) import-some some.db some-after.db fp_import \
    crm-contact import big.csv

awk 'BEGIN {
	print "name,email,title"
	for (i = 1001; i <= 11000; i++)
		printf "Up %d,%s%d@example.org,Boss\n", i,
		    i <= 2000 ? "o" : "n", i
}' >upsert.csv
fp_upsert() {
	sql "SELECT (SELECT count(*) FROM contacts),
	    (SELECT count(*) FROM contacts WHERE title = 'Boss'),
	    (SELECT count(*) FROM events)"
}
reset some.db
crm-contact import --upsert upsert.csv 2>/dev/null
crm-db backup upsert-after.db
reset some.db
timed crm-contact import --upsert upsert.csv
is "$TRC" 0 "an upsert of 10000 rows, 1000 of them updates"
rounds $((kills / 3)) import-upsert some.db upsert-after.db fp_upsert \
    crm-contact import --upsert upsert.csv

# The search index after a kill: an import's rows are found when they
# are there, and only then.
reset empty.db
delays 1 "$import_ms"
crash "$(cat "$T_DIR/delays")" crm-contact import big.csv
crm-db check >/dev/null 2>&1
have=$(sql 'SELECT count(*) FROM contacts')
run crm-contact search --fields email zq12345x
expect_rc 0 "search after a killed import"
if [ "$have" -eq 0 ]; then
	expect_out "" "finds nothing of an import that did not land"
else
	expect_out '{"email":"p12345@example.org"}' \
	    "finds the row of an import that landed"
fi

# --- merge -------------------------------------------------------------

# Contact 1 and 200 duplicates with a tag, an activity each for some.
awk 'BEGIN {
	print "name,email,tags"
	for (i = 1; i <= 201; i++)
		printf "Dup %d,d%d@example.org,t%d\n", i, i, i % 7
}' >dup.csv
reset empty.db
crm-contact import dup.csv 2>/dev/null
i=2
while [ $i -le 201 ]; do
	echo "$i"
	i=$((i + 30))
done >logged
while read -r i; do
	crm-contact log "$i" --type note --subject "note $i" >/dev/null
done <logged
crm-db backup merge.db
seq 2 201 >others
CRASH_IN=others
timed crm-contact merge 1 -
is "$TRC" 0 "a merge of 200 duplicates into one"
crm-db backup merge-after.db
fp_merge() {
	sql "SELECT (SELECT count(*) FROM contacts),
	    (SELECT count(*) FROM contact_tags),
	    (SELECT count(*) FROM activities WHERE contact_id = 1),
	    (SELECT count(*) FROM events),
	    (SELECT length(fields) FROM contacts WHERE id = 1)"
}
rounds "$kills" merge merge.db merge-after.db fp_merge crm-contact merge 1 -
CRASH_IN=

# --- restore -----------------------------------------------------------

# The database holds 2000 contacts; the backup 20000: after a kill it is
# the one or the other.
reset some.db
timed crm-db restore empty-after.db
is "$TRC" 0 "a restore of 20000 contacts over 2000"
fp_restore() {
	sql 'SELECT (SELECT count(*) FROM contacts),
	    (SELECT count(*) FROM contact_tags), (SELECT count(*) FROM events),
	    (SELECT max(id) FROM contacts)'
}
rounds "$kills" restore some.db empty-after.db fp_restore \
    crm-db restore empty-after.db

# --- ticket ingest -----------------------------------------------------

# Each mail is a transaction: after a kill the first k mails are there,
# whole (ticket, contact, events), and the others not at all; ingesting
# the mbox again files exactly the rest.
if crm-ticket help ingest >/dev/null 2>&1; then
	awk 'BEGIN {
		for (i = 1; i <= 60; i++) {
			printf "From s%d@example.org", i
			printf " Sun Nov 22 12:00:00 2026\n"
			printf "From: Sender %d <s%d@example.org>\n", i, i
			printf "To: help@example.com\nSubject: Problem %d\n", i
			printf "Message-ID: <m%d@example.org>\n", i
			printf "Date: Sun, 22 Nov 2026 12:00:00 +0000\n\n"
			printf "Body of message %d.\n\n", i
		}
	}' >in.mbox
	reset empty.db
	timed crm-ticket ingest --mbox in.mbox
	is "$TRC" 0 "an ingest of 60 mails"
	full=$(sql 'SELECT count(*) FROM tickets')
	checks=0 states=0 resumed=0 n_killed=0 n_rounds=0
	delays "$kills" "$MS"
	# shellcheck disable=SC2013 # one number a line
	for d in $(cat "$T_DIR/delays"); do
		reset empty.db
		crash "$d" crm-ticket ingest --mbox in.mbox
		[ "$KILLED" -eq 1 ] && n_killed=$((n_killed + 1))
		crm-db check >/dev/null 2>&1 || checks=$((checks + 1))
		k=$(sql 'SELECT count(*) FROM tickets')
		fp=$(sql "SELECT (SELECT count(*) FROM contacts),
		    (SELECT count(*) FROM events),
		    (SELECT count(*) FROM ticket_comments),
		    (SELECT count(*) FROM tickets WHERE message_id IN
		    (SELECT '<m' || value || '@example.org>' FROM
		    generate_series(1, $k)))" 2>&1)
		want="$k|$((2 * k))|$k|$k"
		if [ "$fp" != "$want" ]; then
			states=$((states + 1))
			echo "# ingest: kill at ${d}s left $fp, want $want"
		fi
		# Every third round (for time): ingest the rest.
		[ $((n_rounds % 3)) -eq 0 ] && {
			crm-ticket ingest --mbox in.mbox >/dev/null 2>&1
			[ "$(sql 'SELECT count(*) FROM tickets')" = "$full" ] ||
			    resumed=$((resumed + 1))
		}
		n_rounds=$((n_rounds + 1))
	done
	echo "# ingest: $n_killed of $kills killed running"
	is "$full" 60 "every mail is a ticket"
	is "$checks" 0 "ingest: crm-db check passes after every kill"
	is "$states" 0 "ingest: the first k mails are there, whole"
	is "$resumed" 0 "ingest: ingesting again files the rest"
else
	for i in 1 2 3 4 5; do
		skip "no crm-ticket ingest"
	done
fi

# --- campaign send -----------------------------------------------------

# kill -9 while it sends to a local SMTP server, again and again, each
# time from where the last one stopped: after each, at most the one
# message in flight is left claimed and tried (the rest of its batch is
# only reserved, and goes back to the queue); after a last run to the
# end, nobody got the mail twice, everyone sent to got it once, nobody
# is left.
. "$CRM_TOP/tests/smtpd.sh"
if smtpd_find && smtpd_start accept; then
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
	i=1
	while [ $i -le 300 ]; do
		echo "Reader $i,r$i@example.net,readers"
		i=$((i + 1))
	done | { echo name,email,tags; cat; } | crm-contact import 2>/dev/null
	crm-segment create readers --where 'tag = readers' >/dev/null
	printf 'Hi {{first_name}}\n' >"$T_DIR/body.txt"
	crm-campaign create crash --segment readers --subject x \
	    --from news@example.org --text "$T_DIR/body.txt" >/dev/null
	delays "$kills" 1000
	checks=0 flight=0 n_killed=0
	# shellcheck disable=SC2013 # one number a line
	for d in $(cat "$T_DIR/delays"); do
		crash "$d" crm-campaign send crash --rate 20/s
		n_killed=$((n_killed + KILLED))
		crm-db check >/dev/null 2>&1 || checks=$((checks + 1))
		[ "$(sql "SELECT count(*) FROM campaign_sends
		    WHERE status = 'claimed' AND claimed_at IS NOT NULL")" \
		    -le 1 ] || flight=$((flight + 1))
	done
	echo "# campaign send: $n_killed of $kills kills landed mid-run"
	is "$checks" 0 "campaign send: crm-db check passes after every kill"
	is "$flight" 0 "at most one recipient in flight at each kill"
	crm-campaign send crash 2>/dev/null
	unknown=$(sql "SELECT count(*) FROM campaign_sends WHERE status = 'unknown'")
	sent=$(sql "SELECT count(*) FROM campaign_sends WHERE status = 'sent'")
	got=$(grep -h '^X-Rcpt-Args:' "$SMTPD_DIR"/* | sort)
	is "$(printf '%s\n' "$got" | uniq -d | wc -l | tr -d ' ')" 0 \
	    "nobody got the mail twice"
	n=$(printf '%s\n' "$got" | grep -c .)
	ok "$([ "$n" -ge "$sent" ] && [ "$n" -le $((sent + unknown)) ]
	    echo $?)" "each sent recipient got it once, an unknown one at most once ($sent sent, $unknown unknown)"
	is "$((sent + unknown))" 300 "nobody forgotten"
	smtpd_stop
else
	for i in 1 2 3 4 5; do
		skip "campaign send: no SMTP server"
	done
fi
