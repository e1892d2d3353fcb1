#!/bin/sh
# Faults around the database: a read-only file, a read-only directory, a
# full disk (a file size limit, ulimit -f), a damaged file, a file from a
# newer crm.  Each: one line on stderr naming the file and the fault, the
# documented exit status (1, crm(7)), and nothing lost: the database
# checks ok and holds what it held.  (An SMTP server that drops the line
# mid-DATA and an HTTP endpoint that hangs belong to the campaign send:
# see "campaign send" at the end.)
. "${CRM_TOP:-.}/tests/lib.sh"
plan 60

# Root writes anything; without CAP_DAC_OVERRIDE it cannot, and setpriv
# drops that from the bounding set (then lost across exec), as in
# 0103-db-errors.t.
asuser=""
if [ "$(id -u)" -eq 0 ]; then
	asuser="setpriv --bounding-set=-dac_override,-dac_read_search"
	$asuser true 2>/dev/null || asuser=none
fi

# state: what the database holds, for "nothing lost".
state() {
	sql 'SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM
	    contact_tags), (SELECT count(*) FROM deals), (SELECT count(*)
	    FROM events), (SELECT group_concat(title) FROM contacts
	    WHERE id < 4)'
}

# 300 contacts by import (the bulk path), a deal, an update.
awk 'BEGIN {
	print "name,email,tags"
	for (i = 1; i <= 300; i++)
		printf "Name%d Person,n%d@example.org,t%d\n", i, i, i % 3
}' >n300.csv
crm-contact import n300.csv 2>/dev/null
crm-deal add --title Deal --contact 1 --amount 5 >/dev/null
crm-contact update 1 --title Boss >/dev/null
held=$(state)
printf 'name,email\nNew One,new1@example.org\nNew Two,new2@example.org\n' \
    >two.csv

# --- read-only file ----------------------------------------------------

chmod 444 "$CRM_DB"
cp "$CRM_DB" ro.copy
if [ "$asuser" = none ]; then
	i=0
	while [ $i -lt 11 ]; do
		skip "running as root and setpriv cannot drop CAP_DAC_OVERRIDE"
		i=$((i + 1))
	done
else
	msg="$CRM_DB: database is read-only"
	bad=0
	for cmd in "crm-contact add --name B" \
	    "crm-contact update 2 --title x" "crm-contact import two.csv" \
	    "crm-deal add --title D" "crm-ticket open --subject S --contact 1"
	do
		# shellcheck disable=SC2086
		run $asuser $cmd
		if [ "$RC" != 1 ] || [ "$ERR" != "${cmd%% *}: $msg" ]; then
			bad=$((bad + 1))
			echo "# $cmd: exit $RC: $ERR"
		fi
	done
	is "$bad" 0 "every write to a read-only file: exit 1, \"$msg\""
	ok "$(cmp -s "$CRM_DB" ro.copy; echo $?)" "the file is byte-identical"
	run $asuser crm-contact list --where 'id = 1' --fields name,title
	expect_rc 0 "list reads a read-only file"
	expect_out '{"name":"Name1 Person","title":"Boss"}' "and prints"
	run $asuser crm-contact export
	is "$RC|$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "0|300" \
	    "export reads all 300"
	# TODO: search should read a read-only file whatever wrote it.  The
	# index of a bulk import is built by the next search, which cannot
	# write here: for now a clear error, until a search on the writable
	# file has brought the index up to date.
	run $asuser crm-contact search --limit 1 --fields email Name17
	expect_rc 1 "search of a read-only file before its index is built"
	expect_err "crm-contact: $CRM_DB: the search index waits to be \
brought up to date after a bulk import, and the database is read-only" \
	    "says why (a known limit)"
	chmod 600 "$CRM_DB"
	crm-contact search Name17 >/dev/null
	chmod 444 "$CRM_DB"
	run $asuser crm-contact search --limit 1 --fields email Name17
	expect_rc 0 "once built, search reads a read-only file"
	expect_out '{"email":"n17@example.org"}' "and finds the imported row"
	run $asuser crm-db check
	expect_rc 0 "check reads it"
	is "$(state)" "$held" "it holds what it held"
fi
chmod 600 "$CRM_DB"

# --- read-only directory -----------------------------------------------

# The write-ahead log lives beside the database: with no -wal and -shm
# there and none to be made, SQLite can neither read nor write it.
mkdir rodir
crm-db backup rodir/crm.db
chmod 555 rodir
if [ "$asuser" = none ]; then
	i=0
	while [ $i -lt 7 ]; do
		skip "running as root and setpriv cannot drop CAP_DAC_OVERRIDE"
		i=$((i + 1))
	done
else
	msg="$T_DIR/rodir/crm.db: the directory of the database is read-only"
	run $asuser crm-contact --db "$T_DIR/rodir/crm.db" add --name B
	expect_rc 1 "add in a read-only directory"
	expect_err "crm-contact: $msg" "says the directory is read-only"
	run $asuser crm-contact --db "$T_DIR/rodir/crm.db" list
	expect_rc 1 "list in a read-only directory fails too"
	expect_err "crm-contact: $msg" "saying the same"
	run $asuser crm-db --db "$T_DIR/rodir/crm.db" check
	expect_rc 1 "and check"
	is "$(ls rodir)" crm.db "nothing was made beside the database"
	chmod 755 rodir
	is "$(CRM_DB=$T_DIR/rodir/crm.db state)" "$held" \
	    "which holds what it held"
fi
chmod 755 rodir

# --- full disk: a file size limit --------------------------------------

# ulimit -f (512-byte blocks) in a subshell, with SIGXFSZ ignored so that
# write(2) fails with EFBIG as on a full disk.  The database file is
# written only at checkpoints; the -wal takes the transaction.
size=$(stat -c %s "$CRM_DB")
awk 'BEGIN {
	print "name,email,title"
	for (i = 1; i <= 20000; i++)
		printf "Big %d,b%d@example.org,Engineer\n", i, i
}' >big.csv
limit=$(((size + 262144) / 512))
run sh -c "trap '' XFSZ; ulimit -f $limit; exec crm-contact import big.csv"
expect_rc 1 "an import that outgrows the file size limit"
expect_err "crm-contact: $CRM_DB: disk I/O error: File too large" \
    "says why, in one line"
run crm-db check
expect_rc 0 "the database checks ok"
is "$(state)" "$held" "and holds what it held"

run sh -c "trap '' XFSZ; ulimit -f 4; exec crm-contact add --name Small"
expect_rc 1 "an add that cannot write its log"
expect_err "crm-contact: $CRM_DB: disk I/O error: File too large" \
    "says why"
run sh -c "trap '' XFSZ; ulimit -f 4; exec crm-deal move 1 won"
expect_rc 1 "and a deal move"
run crm-db check
expect_rc 0 "the database checks ok"
is "$(state)" "$held" "and holds what it held"

# Killed by SIGXFSZ (not ignored) mid-import: a crash, nothing half done.
run sh -c "ulimit -f $limit; exec crm-contact import big.csv"
is "$RC" 153 "an import killed by SIGXFSZ"
run crm-db check
expect_rc 0 "the database checks ok"
is "$(state)" "$held" "and holds what it held"
run crm-contact add --name After --fields name
expect_rc 0 "without the limit, writing works again"

# --- damaged file ------------------------------------------------------

# A copy with the pages of the contacts table, in the middle of the file,
# overwritten by a pattern (SQLite reads only the pages it needs: damage
# elsewhere shows in check and stats, not in contact commands).
crm-db backup damaged.db
sqlite3 damaged.db 'PRAGMA journal_mode = WAL' >/dev/null
psize=$(sqlite3 damaged.db 'PRAGMA page_size')
yes 'crm damage' | head -c "$psize" >pattern
for p in $(sqlite3 damaged.db "SELECT pageno FROM dbstat
    WHERE name = 'contacts'"); do
	dd if=pattern of=damaged.db bs="$psize" seek=$((p - 1)) count=1 \
	    conv=notrunc 2>/dev/null
done
cp damaged.db damaged.copy
msg="$T_DIR/damaged.db: file is not a crm database or is corrupt"
bad=0
for cmd in "crm-contact list" "crm-contact export" \
    "crm-contact search Name17" "crm-contact add --name X" \
    "crm-contact update 2 --title x" "crm-contact import two.csv" \
    "crm-deal add --title D --contact 1" "crm-contact show 1"; do
	# shellcheck disable=SC2086
	run env CRM_DB="$T_DIR/damaged.db" $cmd
	if [ "$RC" != 1 ] || [ "$ERR" != "${cmd%% *}: $msg" ]; then
		bad=$((bad + 1))
		echo "# $cmd: exit $RC: $ERR"
	fi
done
is "$bad" 0 "every command on a damaged file: exit 1, \"$msg\""
run crm-db --db "$T_DIR/damaged.db" check
expect_rc 1 "check fails on it"
like "$(printf '%s\n' "$ERR" | tail -n 1)" '^crm-db: ' \
    "under the command's name"
ok "$(cmp -s damaged.db damaged.copy; echo $?)" \
    "the damaged file is byte-identical"
is "$(ls damaged.db*)" damaged.db "no -wal or -shm left beside it"

# --- newer version -----------------------------------------------------

version=$(sql 'PRAGMA user_version')
crm-db backup newer.db
sqlite3 newer.db 'PRAGMA user_version = 99'
cp newer.db newer.copy
msg="$T_DIR/newer.db: schema version 99 is newer than this crm knows"
msg="$msg ($version): upgrade crm"
bad=0
for cmd in "crm-contact list" "crm-contact add --name X" \
    "crm-contact import two.csv" "crm-deal add --title D" \
    "crm-ticket open --subject S --contact 1" "crm-db init" "crm-db check" \
    "crm-db stats"; do
	# shellcheck disable=SC2086
	run env CRM_DB="$T_DIR/newer.db" $cmd
	if [ "$RC" != 1 ] || [ "$ERR" != "${cmd%% *}: $msg" ]; then
		bad=$((bad + 1))
		echo "# $cmd: exit $RC: $ERR"
	fi
done
is "$bad" 0 "every command on a newer database: exit 1, one line"
ok "$(cmp -s newer.db newer.copy; echo $?)" "the file is byte-identical"
run crm-db restore newer.db
expect_rc 1 "restore of a newer database is refused"
is "$(state | cut -d'|' -f1)" 301 "and the database keeps its contacts"

# --- campaign send -----------------------------------------------------

# A webhook endpoint that takes the request and never answers: the
# timeout honoured, exit 75, that recipient unknown (the request went
# out), nothing else sent.  A read-only file and a full disk: the
# documented exit 1, one line, nothing written, nothing posted.  (The
# SMTP faults are in 9230-mail-faults.t.)
. "$CRM_TOP/tests/httpd.sh"
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
grace=0
[ -z "${CRM_VALGRIND:-}" ] || grace=5000
# log CAMPAIGN: "contact status attempts" of its send log, by contact.
log() {
	sql "SELECT group_concat(contact_id || ' ' || status || ' ' ||
	    attempts, ',') FROM (SELECT * FROM campaign_sends
	    WHERE campaign_id = (SELECT id FROM campaigns WHERE name = '$1')
	    ORDER BY contact_id)"
}
if ! httpd_find; then
	i=0
	while [ $i -lt 19 ]; do
		skip "no python3 for the HTTP server"
		i=$((i + 1))
	done
else
	for i in 1 2 3; do
		crm-contact add --name "Hook $i" --email "hook$i@example.org" \
		    --tag hook >/dev/null
	done
	crm-segment create hook --where 'tag = hook' >/dev/null
	printf '{"to": "{{email}}", "text": "Hi {{first_name}}"}\n' >hook.json
	httpd_start slow || exit 1
	crm-campaign create hang --channel webhook --segment hook \
	    --url "http://127.0.0.1:$HTTPD_PORT/hook" --body hook.json >/dev/null
	t0=$(now_ms)
	run env CRM_WEBHOOK_TIMEOUT=1 crm-campaign send hang
	t1=$(now_ms)
	expect_rc 75 "campaign send to an endpoint that never answers"
	expect_err "crm-campaign: sent 0, failed 0, skipped 0, remaining 2, unknown 1 (not sent again: see crm-campaign retry --unknown)
crm-campaign: http://127.0.0.1:$HTTPD_PORT/hook: no reply within 1 s after the request went out" \
	    "the summary, then one line naming the endpoint and the timeout"
	[ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt $((2000 + grace)) ]
	ok $? "CRM_WEBHOOK_TIMEOUT=1 honoured ($((t1 - t0)) ms)"
	is "$(log hang)" "302 unknown 1,303 queued 0,304 queued 0" \
	    "the one in flight unknown, the others untouched"
	is "$(sql "SELECT message_id FROM campaign_sends WHERE status =
	    'unknown'")" campaign-1.contact-302 "under its Idempotency-Key"
	is "$(httpd_count)" 1 "one request went out, nothing else"
	httpd_stop

	# Read-only: a send and a create.
	httpd_start ok || exit 1
	crm-campaign create ro --channel webhook --segment hook \
	    --url "http://127.0.0.1:$HTTPD_PORT/hook" --body hook.json >/dev/null
	chmod 444 "$CRM_DB"
	cp "$CRM_DB" ro.copy
	if [ "$asuser" = none ]; then
		i=0
		while [ $i -lt 7 ]; do
			skip "running as root and setpriv cannot drop CAP_DAC_OVERRIDE"
			i=$((i + 1))
		done
	else
		msg="crm-campaign: $CRM_DB: database is read-only"
		run $asuser crm-campaign send ro
		expect_rc 1 "campaign send on a read-only file"
		expect_err "$msg" "says so, in one line"
		run $asuser crm-campaign create ro2 --channel webhook \
		    --segment hook --url "http://127.0.0.1:$HTTPD_PORT/hook" \
		    --body hook.json
		expect_rc 1 "campaign create on a read-only file"
		expect_err "$msg" "says so"
		ok "$(cmp -s "$CRM_DB" ro.copy; echo $?)" \
		    "the file is byte-identical"
		is "$(httpd_count)" 0 "nothing posted"
		run $asuser crm-campaign send ro --dry-run -o jsonl
		is "$RC|$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "0|3" \
		    "a dry run reads it"
	fi
	chmod 600 "$CRM_DB"

	# A full disk (a file size limit, as above): the audience cannot be
	# taken, so nothing goes out.
	run sh -c "trap '' XFSZ; ulimit -f 4; exec crm-campaign send ro"
	expect_rc 1 "campaign send that cannot write"
	expect_err "crm-campaign: $CRM_DB: disk I/O error: File too large" \
	    "says why, in one line"
	is "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id =
	    (SELECT id FROM campaigns WHERE name = 'ro')") $(sql "SELECT
	    status FROM campaigns WHERE name = 'ro'")" "0 draft" \
	    "no send log, the campaign still a draft"
	run sh -c "trap '' XFSZ; ulimit -f 4; exec crm-campaign create full \
	    --channel webhook --segment hook --url http://127.0.0.1:1/x \
	    --body hook.json"
	expect_rc 1 "campaign create that cannot write"
	is "$(sql "SELECT count(*) FROM campaigns WHERE name = 'full'")" 0 \
	    "nothing of it written"
	is "$(httpd_count)" 0 "nothing posted"
	httpd_stop
fi

run crm-db check
expect_rc 0 "the database checks ok at the end"
