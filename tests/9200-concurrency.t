#!/bin/sh
# Four writers and two readers at once on one database, for a bounded
# time (CRM_STRESS_SECONDS, default 10): every write acknowledged with
# status 0 is there afterwards, and every refused one is not; the counts
# add up; no command says "database is locked" or gives up (exit 75)
# inside the busy timeout; readers never fail.  Then a command that waits
# past CRM_BUSY_TIMEOUT exits 75, and one whose wait ends in time does
# its work.  A campaign send to a local SMTP server joins the writers:
# each campaign it sends reaches each recipient exactly once.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"
plan 33

secs=${CRM_STRESS_SECONDS:-10}
within="the default timeout"
# Under valgrind (make check-valgrind) a command takes seconds, and holds
# the write lock as long, six at once on two cores: the workers need more
# time to get work done, the writers a longer wait for their turn.
if [ -n "${CRM_VALGRIND:-}" ]; then
	secs=${CRM_STRESS_SECONDS:-40}
	CRM_BUSY_TIMEOUT=120000
	export CRM_BUSY_TIMEOUT
	within="the timeout (120 s under valgrind)"
fi

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# 20 contacts for the updater, the deal pipeline made.
i=1
while [ $i -le 20 ]; do
	echo "Seed $i,c$i@example.org"
	i=$((i + 1))
done | { echo name,email; cat; } | crm-contact import 2>/dev/null
crm-deal pipeline list >/dev/null

end=$(($(date +%s) + secs))
mkdir logs

# Each worker logs "STATUS what" a command, and keeps every stderr.
w_add() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		crm-contact add --name "Add $i" --email "w1-$i@example.org" \
		    --fields id >/dev/null 2>>logs/err
		echo "$? w1-$i@example.org"
		i=$((i + 1))
	done >logs/add
}

w_update() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		j=$((i % 20 + 1))
		crm-contact update "c$j@example.org" --title "t$i" \
		    >/dev/null 2>>logs/err
		echo "$? $j t$i"
		i=$((i + 1))
	done >logs/update
}

w_import() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		{
			echo name,email,tags
			for k in 1 2 3 4 5; do
				echo "Imp $i $k,w3-$i-$k@example.org,batch$i"
			done
		} >logs/imp.csv
		crm-contact import logs/imp.csv >/dev/null 2>>logs/err
		echo "$? $i"
		i=$((i + 1))
	done >logs/import
}

w_deal() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		id=$(crm-deal add --title "Deal $i" --amount 10 --fields id \
		    2>>logs/err | tr -dc 0-9)
		echo "$? add $i $id"
		if [ -n "$id" ]; then
			crm-deal move "$id" qualified >/dev/null 2>>logs/err
			echo "$? move $i $id"
		fi
		i=$((i + 1))
	done >logs/deal
}

# Readers: the number of contacts an export sees never goes down.
r_export() {
	last=0
	while [ "$(date +%s)" -lt "$end" ]; do
		crm-contact export >logs/export.out 2>>logs/rerr
		rc=$?
		n=$(wc -l <logs/export.out)
		echo "$rc export $n"
		[ "$n" -lt "$last" ] && echo "1 export went down $last $n"
		last=$n
		crm-contact list --where 'email ~ "w1-"' --fields id \
		    >/dev/null 2>>logs/rerr
		echo "$? list"
	done >logs/reader1
}

r_search() {
	while [ "$(date +%s)" -lt "$end" ]; do
		crm-contact search --limit 5 Imp >/dev/null 2>>logs/rerr
		echo "$? search"
		crm-deal list --fields id,stage >/dev/null 2>>logs/rerr
		echo "$? deals"
		crm-report pipeline >/dev/null 2>>logs/rerr
		echo "$? pipeline"
		crm-report customers --by source >/dev/null 2>>logs/rerr
		echo "$? customers"
	done >logs/reader2
}

# A campaign sender: a copy of one campaign after another, each sent to
# the twenty seeds, logged "STATUS name" a send.
w_campaign() {
	i=0
	while [ "$(date +%s)" -lt "$end" ]; do
		crm-campaign clone base "k$i" >/dev/null 2>>logs/err &&
		    crm-campaign send "k$i" >/dev/null 2>>logs/cerr
		echo "$? k$i"
		i=$((i + 1))
	done >logs/campaign
}

mail=0
if smtpd_find && smtpd_start accept; then
	mail=1
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
	crm-segment create seeds --where 'name ~ "Seed"' >/dev/null
	printf 'Hi {{first_name}}\n' >body.txt
	crm-campaign create base --segment seeds --subject x \
	    --from news@example.org --text body.txt >/dev/null
fi

t0=$(now_ms)
w_add & p1=$!
w_update & p2=$!
w_import & p3=$!
w_deal & p4=$!
r_export & p5=$!
r_search & p6=$!
if [ $mail = 1 ]; then
	w_campaign & p7=$!
	wait $p7
fi
wait $p1 $p2 $p3 $p4 $p5 $p6
echo "# ran $(($(now_ms) - t0)) ms"

adds=$(grep -c '^0 ' logs/add)
imports=$(grep -c '^0 ' logs/import)
updates=$(grep -c '^0 ' logs/update)
deals=$(grep -c '^0 add' logs/deal)
moves=$(grep -c '^0 move' logs/deal)
reads=$(cat logs/reader1 logs/reader2 | grep -c '^0 ')
echo "# acknowledged: $adds adds, $updates updates, $imports imports," \
    "$deals deals, $moves moves; $reads reads"
ok "$([ "$adds" -gt 0 ] && [ "$updates" -gt 0 ] && [ "$imports" -gt 0 ] &&
    [ "$deals" -gt 0 ] && [ "$moves" -gt 0 ] && [ "$reads" -gt 0 ]
    echo $?)" "every worker got work done"

is "$(grep -ci 'locked' logs/err logs/rerr | awk -F: '{ n += $2 } END {
    print n }')" 0 'no command said "database is locked"'
is "$(cat logs/add logs/update logs/import logs/deal | grep -c '^75 ')" 0 \
    "no writer gave up busy within $within"
is "$(cat logs/add logs/update logs/import logs/deal |
    grep -vc '^0 ')" 0 "every write succeeded"
grep -v '^imported ' logs/err | sed 's/^/# writer: /' | sort | uniq -c |
    head
is "$(cat logs/reader1 logs/reader2 | grep -vc '^0 ')" 0 \
    "every read succeeded, and no export saw fewer contacts than before"
sed 's/^/# reader: /' logs/rerr | sort | uniq -c | head

# The campaigns: every send acknowledged, each campaign's twenty seeds
# sent to, and each message received once.
if [ $mail = 1 ]; then
	sends=$(grep -c '^0 ' logs/campaign)
	echo "# acknowledged: $sends campaign sends"
	is "$(grep -vc '^0 ' logs/campaign)" 0 \
	    "every campaign send succeeded ($sends, beside the writers)"
	is "$(sql "SELECT count(*) FROM campaign_sends WHERE status = 'sent'")" \
	    $((20 * sends)) "each sent to the twenty seeds"
	is "$(grep -h '^Message-ID:' "$SMTPD_DIR"/* 2>/dev/null | sort |
	    uniq -d | wc -l | tr -d ' ') $(grep -l '^Message-ID:' \
	    "$SMTPD_DIR"/* 2>/dev/null | wc -l | tr -d ' ')" \
	    "0 $((20 * sends))" "every message received once"
	smtpd_stop
else
	skip "no SMTP server: the campaign sender did not run"
	skip "no SMTP server"
	skip "no SMTP server"
fi

run crm-db check
expect_rc 0 "the database checks ok"

# Every acknowledged add is there, and no refused one.
sed -n 's/^0 //p' logs/add | sort >want
sql "SELECT email FROM contacts WHERE email LIKE 'w1-%'" | sort >got
is "$(comm -3 want got | head -n 5)" "" "every acknowledged add is there"

sed -n 's/^0 //p' logs/import | sort -n >want
sql "SELECT DISTINCT tag FROM contact_tags WHERE tag LIKE 'batch%'" |
    sed 's/batch//' | sort -n >got
is "$(comm -3 want got | head -n 5)" "" \
    "every acknowledged import is there, no other"
is "$(sql "SELECT tag FROM contact_tags WHERE tag LIKE 'batch%'
    GROUP BY tag HAVING count(*) != 5")" "" "each with its 5 rows"

is "$(sql 'SELECT count(*) FROM contacts')" $((20 + adds + 5 * imports)) \
    "the contacts add up: 20 + $adds + 5 x $imports"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'contact' AND
    action = 'add'")" "$adds" "an add event for each add"
is "$(sql "SELECT count(*), sum(json_extract(changes, '$.imported'))
    FROM events WHERE entity = 'contact' AND action = 'import'")" \
    "$((imports + 1))|$((20 + 5 * imports))" \
    "an import event for each import, counting its rows"

# Each contact's title is that of the last acknowledged update to it.
awk '$1 == 0 { t[$2] = $3 } END { for (j in t) print j, t[j] }' \
    logs/update | sort -n >want
sql "SELECT id, title FROM contacts WHERE id <= 20 AND title IS NOT NULL
    ORDER BY id" | tr '|' ' ' >got
is "$(cat got)" "$(cat want)" "every contact holds its last acknowledged update"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'contact' AND
    action = 'update'")" "$updates" "an update event for each"

# Deals: each acknowledged add is there, in qualified when its move was
# acknowledged.
awk '$1 == 0 && $2 == "add" { print $4 }' logs/deal | sort -n >want
sql 'SELECT id FROM deals' | sort -n >got
is "$(comm -3 want got | head -n 5)" "" "every acknowledged deal is there"
awk '$1 == 0 && $2 == "move" { print $4 }' logs/deal | sort -n >want
sql "SELECT id FROM deals WHERE stage_id = (SELECT id FROM stages
    WHERE name = 'qualified')" | sort -n >got
is "$(comm -3 want got | head -n 5)" "" "and every acknowledged move"
is "$(sql "SELECT count(*) FROM deal_history WHERE to_stage = 'qualified'")" \
    "$moves" "with a history line for each move"
is "$(sql "SELECT action, count(*) FROM events WHERE entity = 'deal'
    GROUP BY action ORDER BY action")" "add|$deals
move|$moves" "and an event for each add and move"

# --- a bulk import into an empty table, others arriving ----------------

# A bulk import drops and rebuilds indexes and triggers inside its
# transaction: whoever comes meanwhile reads the state before it or waits
# within the busy timeout, and is not refused.  Five rounds, the others
# arriving 0 to 0.2 s after the import starts (it takes about half a
# second).
awk 'BEGIN {
	print "name,email"
	for (i = 1; i <= 20000; i++)
		printf "Bulk %d,b%d@example.org\n", i, i
}' >bulk.csv
bulk_bad=0 bulk_lost=0 bulk_acked=0
for delay in 0 0.02 0.05 0.1 0.2; do
	db=$T_DIR/bulk-$delay.db
	crm-db --db "$db" init
	crm-contact --db "$db" import bulk.csv >/dev/null 2>logs/bulk.err &
	importer=$!
	sleep "$delay"
	: >logs/bulk
	i=0
	while kill -0 "$importer" 2>/dev/null; do
		crm-contact --db "$db" add --name "Late $i" \
		    --email "late$i@example.org" >/dev/null 2>>logs/bulk.err
		echo "$? add late$i@example.org" >>logs/bulk
		crm-contact --db "$db" search --limit 1 Bulk >/dev/null \
		    2>>logs/bulk.err
		echo "$? search" >>logs/bulk
		crm-contact --db "$db" list --limit 1 >/dev/null \
		    2>>logs/bulk.err
		echo "$? list" >>logs/bulk
		i=$((i + 1))
	done
	wait "$importer"
	echo "$? import" >>logs/bulk
	if grep -v '^0 ' logs/bulk >/dev/null ||
	    grep -v '^imported ' logs/bulk.err >/dev/null; then
		bulk_bad=$((bulk_bad + 1))
		echo "# after $delay s:"
		grep -v '^0 ' logs/bulk | sort | uniq -c | sed 's/^/#   /'
		grep -v '^imported ' logs/bulk.err | sort | uniq -c |
		    sed 's/^/#   /'
	fi
	acked=$(grep -c '^0 add' logs/bulk)
	bulk_acked=$((bulk_acked + acked))
	want=$((acked + $(grep -c '^0 import' logs/bulk) * 20000))
	got=$(sqlite3 "$db" 'SELECT count(*) FROM contacts')
	[ "$got" = "$want" ] || {
		bulk_lost=$((bulk_lost + 1))
		echo "# after $delay s: $got contacts, want $want"
	}
	crm-db --db "$db" check >/dev/null 2>&1 ||
	    bulk_lost=$((bulk_lost + 1))
	[ "$(crm-contact --db "$db" search --fields email b12345)" = \
	    '{"email":"b12345@example.org"}' ] || {
		bulk_lost=$((bulk_lost + 1))
		echo "# after $delay s: search does not find b12345"
	}
done
echo "# $bulk_acked adds during the imports"
is "$bulk_bad" 0 "commands during a bulk import wait, and succeed"
is "$bulk_lost" 0 "afterwards: every row there, the database ok, searchable"

# --- busy past the timeout ---------------------------------------------

# sqlite3 holds the write lock, fed through a fifo, until told to let go.
mkfifo lock.fifo
hold() {
	sqlite3 "$CRM_DB" <lock.fifo >lock.out 2>&1 &
	holder=$!
	exec 3>lock.fifo
	printf 'BEGIN IMMEDIATE;\n.print locked\n' >&3
	i=0
	until grep -q locked lock.out || [ $i -ge 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

before=$(sql 'SELECT (SELECT count(*) FROM contacts),
    (SELECT count(*) FROM deals), (SELECT count(*) FROM events)')
hold
is "$(cat lock.out)" locked "another process holds the write lock"
printf 'name,email\nLate,late@example.org\n' >late.csv
fails=0 short=0
for cmd in "crm-contact add --name Late" \
    "crm-contact update c1@example.org --title late" \
    "crm-contact import late.csv" \
    "crm-deal add --title Late" \
    "crm-deal move 1 proposal" \
    "crm-ticket open --subject Late --contact 1"; do
	t0=$(now_ms)
	# shellcheck disable=SC2086
	run env CRM_BUSY_TIMEOUT=300 $cmd
	ms=$(($(now_ms) - t0))
	prog=${cmd%% *}
	if [ "$RC" != 75 ] ||
	    [ "$ERR" != "$prog: $CRM_DB: database is busy, try again later" ]
	then
		fails=$((fails + 1))
		echo "# $cmd: exit $RC: $ERR"
	fi
	[ "$ms" -lt 290 ] && short=$((short + 1)) && echo "# $cmd: $ms ms"
done
is "$fails" 0 "every writer exits 75: database is busy, try again later"
is "$short" 0 "after waiting the busy timeout (300 ms)"
run crm-contact list --limit 1 --fields id
expect_rc 0 "a reader does not wait for the writer"
expect_out '{"id":1}' "and reads"

# Waiting less than the timeout: the lock goes after about a second.
(sleep 1; printf 'ROLLBACK;\n.quit\n' >&3) &
releaser=$!
t0=$(now_ms)
run env CRM_BUSY_TIMEOUT=10000 crm-contact add --name Patient \
    --fields name
ms=$(($(now_ms) - t0))
expect_rc 0 "a writer whose wait ends within the timeout"
expect_out '{"name":"Patient"}' "does its work"
ok "$([ "$ms" -ge 700 ] && [ "$ms" -lt 10000 ]; echo $?)" \
    "after waiting for the lock ($ms ms)"
wait "$releaser"
exec 3>&-
wait "$holder"
is "$(sql 'SELECT (SELECT count(*) FROM contacts),
    (SELECT count(*) FROM deals), (SELECT count(*) FROM events)')" \
    "$(($(echo "$before" | cut -d'|' -f1) + 1))|$(echo "$before" |
    cut -d'|' -f2)|$(($(echo "$before" | cut -d'|' -f3) + 1))" \
    "the busy commands wrote nothing; the patient one its contact"
run crm-db check
expect_rc 0 "the database checks ok at the end"
