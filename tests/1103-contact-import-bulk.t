#!/bin/sh
# crm-contact import, the bulk way (an empty table, or an import as large
# as half the table): the search index left to the next search, the
# suppression list applied after the load, the triggers and CHECK
# constraints back afterwards, and nothing of it after a failed import.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 24

backlog() { sql "SELECT coalesce((SELECT after FROM search_backlog), 'none')"; }
triggers() { sql "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"; }
ids() {
	run crm-contact search "$@"
	OUT=$(printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' ')
}

crm-db init >/dev/null
want_triggers=$(triggers)
# On the suppression list before any contact exists.
crm-contact unsubscribe --source bounce gone@example.net >/dev/null 2>&1

printf '%s\n' 'Name,Email,Company,Tags' \
    'Ada Lovelace,ada@example.org,Acme GmbH,vip' \
    'Gone Person,GONE@example.net,,' \
    'Björn Ångström,bjorn@example.se,Acme GmbH,' >first.csv
run crm-contact import --verbose first.csv
expect_rc 0 "a bulk import into an empty table"
like "$ERR" "^bulk: .*the search index left to the next search" \
    "--verbose says the search index waits"
is "$(backlog)" 0 "the whole index waits"
is "$(triggers)" "$want_triggers" "every trigger is back"
is "$(sql "SELECT count(*) FROM contact_search")" 0 "nothing indexed yet"
is "$(sql "SELECT email, opt_in, unsubscribed_at, consent_source FROM contacts WHERE email = 'gone@example.net' COLLATE NOCASE")" \
    "GONE@example.net|0|2026-11-22T12:00:00Z|bounce" \
    "the suppression list holds for contacts loaded in bulk"
is "$(sql "SELECT count(*) FROM contacts WHERE unsubscribed_at IS NOT NULL")" \
    1 "and only for them"
run sql "INSERT INTO contacts (kind, name, fields, created_at, updated_at) VALUES ('robot', 'x', '{}', 'now', 'now')"
like "$ERR" "CHECK constraint failed" "CHECK constraints are on again"

ids acme
expect_rc 0 "the first search"
is "$OUT" "1 4 2 " "indexes what waited and finds it"
is "$(backlog)" none "nothing waits any more"
is "$(sql "SELECT count(*) FROM contact_search")" 4 "one document a contact"

# pad: a column to make a file look as many rows as the table has.
pad=$(printf '%080d' 0)

# A second bulk import (as large as the table): only the new ones wait.
printf '%s\n' 'Name,Email,Tags,Notes' "Carl Anderson,carl@example.org,acme,$pad" \
    "Dora Acmeson,dora@example.org,,$pad" "Eve,eve@example.org,,$pad" \
    "Finn,finn@example.org,,$pad" >second.csv
run crm-contact import --verbose second.csv
expect_rc 0 "a second bulk import"
like "$ERR" "^bulk: " "is bulk again"
is "$(backlog)" 4 "the contacts after id 4 wait"
crm-contact add --name "Gus Acme" --email gus@example.org >/dev/null
crm-contact update 5 --name "Carl Acmeberg" >/dev/null
ids acme
is "$OUT" "1 9 5 4 2 6 " \
    "a search then finds them, and those added and changed meanwhile once each"
is "$(sql "SELECT count(*) FROM contact_search")" 9 "one document a contact"
run sql "INSERT INTO contact_search(contact_search) VALUES('integrity-check')"
expect_rc 0 "the index passes FTS5's integrity check"

# A failed bulk import leaves no backlog, and every trigger.
printf '%s\n' 'Name,Email' 'Hal,hal@example.org' 'Ivy,bad@' 'Jo,jo@example.org' \
    'Kit,kit@example.org' 'Lu,lu@example.org' 'Mo,mo@example.org' \
    'Ned,ned@example.org' 'Oz,oz@example.org' 'Pam,pam@example.org' >bad.csv
run crm-contact import bad.csv
expect_rc 1 "a bad row stops the import"
is "$(backlog)" none "no backlog from an import that wrote nothing"
is "$(triggers)" "$want_triggers" "every trigger is there"

# A read-only database with a backlog: searching says why it cannot.
crm-contact import second.csv --on-error skip >/dev/null 2>&1
{
	echo 'Name,Email,Notes'
	for n in Quinn Rae Sam Tom Uma Vic Wes Xia Yul; do
		echo "$n Zed,$n@example.org,$pad$pad"
	done
} >third.csv
crm-contact import third.csv >/dev/null 2>&1
chmod a-w "$CRM_DB"
run crm-contact search zed
chmod u+w "$CRM_DB"
expect_rc 1 "a search that cannot bring the index up to date fails"
is "$ERR" "crm-contact: $CRM_DB: the search index waits to be brought up to date after a bulk import, and the database is read-only" \
    "and says why"
ids zed
is "$OUT" "10 11 12 13 14 15 16 17 18 " "writable again, it can"
