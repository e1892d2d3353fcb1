#!/bin/sh
# crm-db backup and restore: a consistent copy, an atomic restore, and
# refusals that leave the live database alone.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 61

# state: what the live database holds, for before/after comparisons.
state() {
	sql "SELECT id, name, coalesce(title, '') FROM contacts ORDER BY id;
	    SELECT count(*) FROM events; SELECT count(*) FROM contact_tags"
}

crm-contact add --name X --email x@example.org --tag vip >/dev/null
crm-contact add --name Y --email y@example.org >/dev/null
before=$(state)

# --- backup ------------------------------------------------------------

run crm-db backup b.db
expect_rc 0 "backup"
expect_out "" "prints nothing"
expect_err "" "nor complains"
is "$(stat -c %a b.db)" 600 "the backup is 0600"
is "$(sqlite3 b.db 'PRAGMA integrity_check')" ok "and sound"
is "$(sqlite3 b.db 'PRAGMA journal_mode')" delete \
    "one self-contained file, not WAL"
is "$(CRM_DB=b.db state)" "$before" "with the data"
is "$(find . -maxdepth 1 -name '.b.db.*' | wc -l | tr -d ' ')" 0 \
    "no temporary file is left"

echo old >b2.db
chmod 644 b2.db
run crm-db backup b2.db
expect_rc 0 "backup over an existing file"
is "$(sqlite3 b2.db 'SELECT count(*) FROM contacts')" 2 "replaces it"
is "$(stat -c %a b2.db)" 600 "with mode 0600"

mkdir sub
run crm-db backup "$T_DIR/sub/b.db"
expect_rc 0 "backup to an absolute path in another directory"
is "$(sqlite3 sub/b.db 'SELECT count(*) FROM contacts')" 2 "lands there"

run crm-db backup -
expect_rc 2 "backup -"
expect_err 'crm-db backup: a backup needs a file, not "-"
usage: crm-db backup [options] FILE' "is refused: a backup needs a file"
run crm-db backup
expect_rc 2 "backup without a file"
run crm-db backup a.db b.db
expect_rc 2 "backup with two files"
run crm-db backup "$CRM_DB"
expect_rc 1 "backup onto the database itself"
expect_err "crm-db: $CRM_DB: is the database itself" "is refused"
run crm-db backup nodir/b.db
expect_rc 1 "backup into a missing directory"
expect_err "crm-db: nodir/b.db: No such file or directory" "says so"
run crm-db backup sub
expect_rc 1 "backup onto a directory"
expect_err "crm-db: sub: is a directory" "says so"

# Backups taken while another command writes are each whole and sound.
(
	i=0
	while [ $i -lt 40 ]; do
		crm-contact add --name "W$i" >/dev/null || exit 1
		i=$((i + 1))
	done
) &
writer=$!
n=0
bad=""
while [ $n -lt 5 ]; do
	crm-db backup "w$n.db" || bad="$bad backup$n"
	[ "$(sqlite3 "w$n.db" 'PRAGMA integrity_check')" = ok ] ||
	    bad="$bad check$n"
	# Every contact added has its event, or the copy is torn.
	[ "$(sqlite3 "w$n.db" "SELECT (SELECT count(*) FROM contacts
	    WHERE name LIKE 'W%') = (SELECT count(*) FROM events
	    WHERE id > 2)")" = 1 ] || bad="$bad torn$n"
	n=$((n + 1))
done
wait "$writer"
is "$?" 0 "the writer was not held up"
is "$bad" "" "five backups under writes: each sound and consistent"
sql "DELETE FROM contacts WHERE name LIKE 'W%'"
sql "DELETE FROM events WHERE id > 2"

# --- restore -----------------------------------------------------------

crm-contact add --name Z >/dev/null
crm-contact update x@example.org --title Boss >/dev/null
crm-contact tag --add extra y@example.org
run crm-db restore b.db
expect_rc 0 "restore"
expect_out "" "prints nothing"
expect_err "" "nor complains"
is "$(state)" "$before" "the data is back as it was at the backup"
is "$(sql 'PRAGMA journal_mode')" wal "the database is still WAL"
is "$(stat -c %a "$CRM_DB")" 600 "and still 0600"
run crm-contact add --name After
expect_rc 0 "the restored database takes writes"
run crm-db check
expect_out ok "and checks ok"
sql "DELETE FROM contacts WHERE name = 'After'"
sql "DELETE FROM events WHERE id > 2"
before=$(state)

# Refusals leave the live database alone.
echo hello >x.db
run crm-db restore x.db
expect_rc 1 "restore of a text file"
expect_err "crm-db: x.db: not a crm database" "one line: not a crm database"
is "$(state)" "$before" "the live database is unchanged"
is "$(cat x.db)" hello "and so is the file"

: >empty.db
run crm-db restore empty.db
expect_rc 1 "restore of an empty file"
expect_err "crm-db: empty.db: not a crm database" "is not a crm database"

sqlite3 plain.db 'CREATE TABLE t (x); INSERT INTO t VALUES (1)'
run crm-db restore plain.db
expect_rc 1 "restore of an SQLite database that is not crm's"
expect_err "crm-db: plain.db: not a crm database" "is refused too"

version=$(sql 'PRAGMA user_version')
cp b.db v99.db
sqlite3 v99.db 'PRAGMA user_version = 99'
run crm-db restore v99.db
expect_rc 1 "restore of a newer database"
expect_err "crm-db: v99.db: schema version 99 is newer than this crm knows ($version): upgrade crm" \
    "is refused, naming both versions"
is "$(state)" "$before" "the live database is unchanged"

run crm-db restore nope.db
expect_rc 1 "restore of a missing file"
expect_err "crm-db: nope.db: No such file or directory" "says so"
run crm-db --db fresh.db restore nope.db
ok "$([ ! -e fresh.db ]; echo $?)" "and creates no database on the way"
run crm-db restore -
expect_rc 2 "restore -"
run crm-db restore "$CRM_DB"
expect_rc 1 "restore of the database onto itself"
expect_err "crm-db: $CRM_DB: is the database itself" "is refused"

# An older schema is taken and upgraded.
# Version 1 held the events table alone: drop every later table and view,
# virtual tables (which take their shadow tables along) first.
cp b.db v1.db
sqlite3 v1.db "SELECT 'DROP ' || upper(type) || ' IF EXISTS \"' || name || '\";'
    FROM sqlite_schema WHERE type IN ('table', 'view') AND name != 'events'
    AND name NOT LIKE 'sqlite_%' ORDER BY sql NOT LIKE 'CREATE VIRTUAL%'" |
    sqlite3 v1.db
sqlite3 v1.db 'PRAGMA user_version = 1'
run crm-db restore v1.db
expect_rc 0 "restore of a version 1 database"
is "$(sql 'PRAGMA user_version')" "$version" "is migrated to version $version"
is "$(sql 'SELECT count(*) FROM contacts; SELECT count(*) FROM events')" \
    "0
2" "with its events and the new, empty tables"
run crm-contact add --name New
expect_rc 0 "and takes writes"

# Restore into a database that does not exist yet: a new machine.
run crm-db --db "$T_DIR/new/crm.db" restore b.db
expect_rc 0 "restore into a new database"
is "$(sqlite3 "$T_DIR/new/crm.db" 'SELECT count(*) FROM contacts')" 2 \
    "holds the backup"

# A backup with pages of another size (4 KiB, as databases had before crm
# chose 8 KiB): rewritten to the database's size on the way in.
sqlite3 b.db 'PRAGMA page_size' >/dev/null
cp b.db p4.db
sqlite3 p4.db 'PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096;
    VACUUM' >/dev/null
is "$(sqlite3 p4.db 'PRAGMA page_size')" 4096 "a backup of 4 KiB pages"
run crm-db --db "$T_DIR/p4/crm.db" restore p4.db
expect_rc 0 "restores into a new database"
is "$(sqlite3 "$T_DIR/p4/crm.db" 'PRAGMA page_size;
    SELECT count(*) FROM contacts')" "8192
2" "of 8 KiB pages, with the backup's contacts"
is "$(ls -a "$T_DIR/p4")" ".
..
crm.db" "and no temporary file is left"
is "$(sqlite3 "$T_DIR/p4/crm.db" 'PRAGMA quick_check')" ok "which is sound"
