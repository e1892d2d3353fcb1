#!/bin/sh
# Databases that cannot be used as asked: read-only, not a database,
# newer than this crm, damaged, busy.  One line on stderr, the right exit
# status, and the file left as it was.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 38

# --- read-only -----------------------------------------------------------

# Root writes a 0444 file regardless; without CAP_DAC_OVERRIDE it cannot,
# and setpriv drops that from the bounding set (then lost across exec).
asuser=""
if [ "$(id -u)" -eq 0 ]; then
	asuser="setpriv --bounding-set=-dac_override,-dac_read_search"
	$asuser true 2>/dev/null || asuser=none
fi

crm-contact add --name A >/dev/null
chmod 444 "$CRM_DB"
cp "$CRM_DB" ro.copy
if [ "$asuser" = none ]; then
	i=0
	while [ $i -lt 6 ]; do
		skip "running as root and setpriv cannot drop CAP_DAC_OVERRIDE"
		i=$((i + 1))
	done
else
	run $asuser crm-contact add --name B
	expect_rc 1 "add to a read-only database"
	expect_err "crm-contact: $CRM_DB: database is read-only" "says so"
	ok "$(cmp -s "$CRM_DB" ro.copy; echo $?)" "the file is byte-identical"
	run $asuser crm-contact list --fields name
	expect_rc 0 "a read-only database can still be read"
	expect_out '{"name":"A"}' "and lists its contacts"
	run $asuser crm-db backup ro-backup.db
	expect_rc 0 "and backed up"
fi
chmod 600 "$CRM_DB"

# --- not a database ----------------------------------------------------

echo hello >text.db
run env CRM_DB="$T_DIR/text.db" crm-contact list
expect_rc 1 "a text file as the database"
expect_err "crm-contact: $T_DIR/text.db: file is not a crm database or is corrupt" \
    "one line: not a crm database"
is "$(cat text.db)" hello "the file is unchanged"
is "$(ls text.db*)" text.db "no -wal or -shm beside it"
run env CRM_DB="$T_DIR/text.db" crm-contact add --name X
expect_rc 1 "nor can one add to it"
is "$(cat text.db)" hello "which stays unchanged"
run crm-db --db "$T_DIR/text.db" check
expect_rc 1 "check of a text file fails"
run crm-db --db "$T_DIR/text.db" init
expect_rc 1 "and so does init"

mkdir dir.db
run crm-db --db "$T_DIR/dir.db" init
expect_rc 1 "a directory as the database"
expect_err "crm-db: $T_DIR/dir.db: is a directory" "says so"

# --- newer -------------------------------------------------------------

version=$(sql 'PRAGMA user_version')
crm-db backup v99.db
sqlite3 v99.db 'PRAGMA user_version = 99'
cp v99.db v99.copy
run env CRM_DB="$T_DIR/v99.db" crm-contact list
expect_rc 1 "a database from a newer crm"
expect_err "crm-contact: $T_DIR/v99.db: schema version 99 is newer than this crm knows ($version): upgrade crm" \
    "is refused, naming both versions"
run env CRM_DB="$T_DIR/v99.db" crm-db init
expect_rc 1 "init does not downgrade it"
ok "$(cmp -s v99.db v99.copy; echo $?)" "the file is byte-identical"

# --- damaged -----------------------------------------------------------

# A database of some 70 pages, copied, with four pages in the middle
# overwritten by a fixed pattern.  One import, not 200 adds: under
# valgrind (make check-valgrind) each command takes seconds.
crm-db --db big.db init
i=0
while [ $i -lt 200 ]; do
	printf 'N%d,%0300d\n' $i $i
	i=$((i + 1))
done | { echo name,title; cat; } | crm-contact --db big.db import >/dev/null
crm-db --db big.db backup damaged.db
pages=$(sqlite3 damaged.db 'PRAGMA page_count')
like "$pages" '^([4-9][0-9]|[1-9][0-9][0-9])$' "a database of $pages pages"
run crm-db --db damaged.db check
expect_rc 0 "the copy checks ok"
psize=$(sqlite3 damaged.db 'PRAGMA page_size')
yes 'crm damage' | head -c $((4 * psize)) >pattern
dd if=pattern of=damaged.db bs="$psize" seek=$((pages / 2)) conv=notrunc \
    2>/dev/null
run crm-db --db damaged.db check
expect_rc 1 "check of the damaged copy fails"
ok "$([ -n "$OUT$ERR" ]; echo $?)" "with a message"
like "$(printf '%s\n' "$ERR" | tail -n 1)" '^crm-db: ' "under the command's name"
run crm-db restore damaged.db
expect_rc 1 "restore of the damaged copy"
like "$ERR" '^crm-db: damaged.db: damaged database: ' "is refused"
is "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')" 1 "in one line"

# --- busy --------------------------------------------------------------

# sqlite3 holds the write lock, fed through a fifo, until told to let go.
mkfifo lock.fifo
sqlite3 "$CRM_DB" <lock.fifo >lock.out 2>&1 &
holder=$!
exec 3>lock.fifo
printf 'BEGIN IMMEDIATE;\n.print locked\n' >&3
i=0
until grep -q locked lock.out || [ $i -ge 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "$(cat lock.out)" locked "another process holds the write lock"

run env CRM_BUSY_TIMEOUT=200 crm-contact add --name Busy
expect_rc 75 "add to a busy database: temporary failure"
expect_err "crm-contact: $CRM_DB: database is busy, try again later" \
    "says to try again"
run env CRM_BUSY_TIMEOUT=200 crm-db restore v99.copy
expect_rc 1 "a refused restore is refused before waiting"
run env CRM_BUSY_TIMEOUT=200 crm-db restore ro.copy
expect_rc 75 "restore into a busy database: temporary failure"
run env CRM_BUSY_TIMEOUT=200 crm-db backup busy-backup.db
expect_rc 0 "a backup reads past the writer (WAL)"
run env CRM_BUSY_TIMEOUT=200 crm-contact list --fields name
expect_out '{"name":"A"}' "and so does list"

printf 'ROLLBACK;\n.quit\n' >&3
exec 3>&-
wait "$holder"
run crm-contact add --name Free
expect_rc 0 "once the lock is gone, add works"
run env CRM_BUSY_TIMEOUT=soon crm-contact list
expect_rc 2 "a bad CRM_BUSY_TIMEOUT"
expect_err 'crm-contact: CRM_BUSY_TIMEOUT: invalid milliseconds "soon"' \
    "is a usage error"
