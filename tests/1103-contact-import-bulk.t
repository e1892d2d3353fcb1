#!/bin/sh
# crm-contact import, the bulk way (an empty table, or an import as large
# as half the table): the search index left to the next search, the
# suppression list applied after the load, the triggers and CHECK
# constraints back afterwards, and nothing of it after a failed import.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 34

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

# Rows are read ahead in chunks of a few hundred (and of 256 KiB): line
# numbers, duplicates, bad rows and --rejects hold across them, and a row
# bigger than a chunk goes whole.
CRM_DB=$T_DIR/many.db
export CRM_DB
big=$(awk 'BEGIN { while (n++ < 6000) printf "0123456789" }')
awk -v big="$big" 'BEGIN {
	print "Name,Email,Tags,A,B,C,D,E,F"
	for (i = 1; i <= 3000; i++) {
		if (i == 700 || i == 2999)
			printf "Bad %d,bad%d@,,,,,,,\n", i, i
		else if (i == 1500)
			printf "Big,big@example.org,,%s,%s,%s,%s,%s,%s\n",
			    big, big, big, big, big, big
		else if (i == 2600)
			printf "Again,P1@EXAMPLE.org,,,,,,,\n"
		else
			printf "P %d,p%d@example.org,t%d,,,,,,\n", i, i, i % 7
	}
}' >many.csv
run crm-contact import --on-error skip --rejects rej.csv many.csv
expect_rc 1 "3000 rows with three bad ones"
is "$ERR" "crm-contact: line 701: invalid email \"bad700@\": no domain
crm-contact: line 3000: invalid email \"bad2999@\": no domain
crm-contact: line 2601: duplicate email \"P1@example.org\" (line 2)
imported 2997, updated 0, rejected 3" \
    "reported with their lines across chunks, duplicates once indexed"
is "$(sort rej.csv | cut -c1-22)" "Again,P1@EXAMPLE.org,,
Bad 2999,bad2999@,,,,,
Bad 700,bad700@,,,,,,,
Name,Email,Tags,A,B,C," "--rejects holds them as they were"
is "$(sql "SELECT count(*), count(DISTINCT email), min(name), max(name)
    FROM contacts")" "2997|2997|Big|P 999" "every good row is there once"
is "$(sql "SELECT name FROM contacts WHERE id IN (1, 700, 1499, 1500, 2998)
    ORDER BY id")" "P 1
P 701
Big
P 1501
P 3000" "in the order of the file"
is "$(sql "SELECT group_concat(length(value)) FROM contacts, json_each(fields)
    WHERE email = 'big@example.org' AND value = '$big'")" \
    "60000,60000,60000,60000,60000,60000" "the row bigger than a chunk whole"
is "$(sql "SELECT count(*), sum(tag = 't' || (substr(name, 3) % 7))
    FROM contact_tags JOIN contacts ON id = contact_id")" "2996|2996" \
    "with every tag on its contact"

# The first search after a bulk import indexes it: on a terminal it says
# so (script(1) gives it one), in a pipe it stays quiet.
printf '%s\n' 'Name,Email' 'Ada Tty,ada@example.org' >tty.csv
CRM_DB=$T_DIR/tty1.db crm-contact import tty.csv >/dev/null 2>&1
run env CRM_DB="$T_DIR/tty1.db" crm-contact search tty
is "$ERR" "" "a search in a pipe says nothing of the indexing"
CRM_DB=$T_DIR/tty2.db
crm-contact import tty.csv >/dev/null 2>&1
TERM=dumb script -qec "crm-contact search tty >/dev/null" /dev/null >tty.out
is "$(tr -d '\r' <tty.out)" \
    "crm-contact: indexing the contacts of a bulk import for search, once" \
    "on a terminal, the first search says why it waits"
TERM=dumb script -qec "crm-contact search tty >/dev/null" /dev/null >tty.out
is "$(tr -d '\r' <tty.out)" "" "and the next one has nothing to say"
