#!/bin/sh
# crm-contact import: mapping, validation, bad rows, upsert, encodings,
# companies, the one import event.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 78

T=2026-11-22T12:00:00Z
count() { sql "SELECT count(*) FROM contacts"; }

# --- An Outlook-style export: recognised and custom columns.
printf '%s\n' 'First Name,Last Name,E-mail Address,Company,Job Title,Categories,Home City,EMAIL 2' \
    'Ada,Lovelace,ada@example.org,Acme GmbH,CTO,vip;board,London,' \
    'Grace,Hopper,"grace@example.com ::: g.hopper@example.net",Acme GmbH,"Rear Admiral, Navy","* myContacts ::: Navy Friends",New York,x' \
    'Linus,,,Linux Foundation,,,,' >outlook.csv

run crm-contact import --show-mapping outlook.csv
expect_rc 0 "--show-mapping"
expect_out '{"column":"First Name","field":"first_name","how":"recognised"}
{"column":"Last Name","field":"last_name","how":"recognised"}
{"column":"E-mail Address","field":"email","how":"recognised"}
{"column":"Company","field":"company","how":"recognised"}
{"column":"Job Title","field":"title","how":"recognised"}
{"column":"Categories","field":"tags","how":"recognised"}
{"column":"Home City","field":"fields.home_city","how":"custom"}
{"column":"EMAIL 2","field":"fields.email_2","how":"custom"}' \
    "a record per column: recognised names, custom fields named safely"
[ ! -e "$CRM_DB" ]
ok $? "--show-mapping touches no database"
run crm-contact import --show-mapping -o csv --fields column,field outlook.csv
is "$(sed -n 1,2p out)" "column,field
First Name,first_name" "--show-mapping through the normal formats"

run crm-contact import outlook.csv
expect_rc 0 "import a CSV file"
expect_err "imported 3, updated 0, rejected 0, companies created 2" \
    "the summary on stderr counts the companies created"
expect_out "" "nothing on stdout"
is "$(sql "SELECT id, kind, name, coalesce(email, '-'), coalesce(company_id, '-'), coalesce(title, '-'), fields FROM contacts ORDER BY id")" \
"1|company|Acme GmbH|-|-|-|{}
2|person|Ada Lovelace|ada@example.org|1|CTO|{\"home_city\":\"London\"}
3|person|Grace Hopper|grace@example.com|1|Rear Admiral, Navy|{\"home_city\":\"New York\",\"email_2\":\"x\",\"other_emails\":\"g.hopper@example.net\"}
4|company|Linux Foundation|-|-|-|{}
5|person|Linus|-|4|-|{}" \
    "names joined, companies made and linked, the second address kept"
is "$(sql "SELECT contact_id, tag FROM contact_tags ORDER BY 1, 2" | tr '\n' ' ')" \
    "2|board 2|vip 3|Navy-Friends 3|myContacts " \
    "tags split on ; and :::, Google's * dropped, blanks become -"
is "$(sql "SELECT entity, entity_id, action, actor, at FROM events")" \
    "contact|0|import|tester|$T" "one import event, entity_id 0"
is "$(sql "SELECT changes FROM events")" \
    '{"source":"outlook.csv","format":"csv","imported":3,"updated":0,"unchanged":0,"rejected":0,"companies_created":2,"inserted_ids":{"first":1,"last":5},"updated_ids":[]}' \
    "the event holds the counts and the id range"

# --- Column names in any case; --map; --ignore-unknown; stdin.
printf '%s\n' 'EMAIL,FIRSTNAME,LASTNAME,Mobile Phone,Lifecycle Stage,Notes' \
    'hedy@example.org,Hedy,Lamarr,+1 555 0100,Marketing Qualified Lead,inventor' >sf.csv
run crm-contact import --ignore-unknown - <sf.csv
expect_rc 0 "Salesforce capitals, from stdin"
is "$(sql "SELECT name, phone, stage, fields FROM contacts WHERE email = 'hedy@example.org'")" \
    "Hedy Lamarr|+1 555 0100|marketing-qualified-lead|{}" \
    "capitals recognised, a HubSpot stage label made one word, Notes dropped"
printf '%s\n' 'Mail,Who,Org' 'marie@example.org,Marie Curie,Sorbonne' >m.csv
run crm-contact import --map 'Mail=email,Who=name' --map 'Org=fields.org' m.csv
expect_rc 0 "--map"
is "$(sql "SELECT name, fields FROM contacts WHERE email = 'marie@example.org'")" \
    'Marie Curie|{"org":"Sorbonne"}' "mapped columns"
run crm-contact import --map 'Mail=emial' m.csv
expect_rc 2 "--map to an unknown field"
expect_err 'crm-contact: --map: unknown field "emial" (did you mean "email"?)' \
    "suggests the field"
run crm-contact import --map 'Mial=email' m.csv
expect_rc 2 "--map of a column the input lacks"
expect_err 'crm-contact: --map: no column "Mial" in the input (did you mean "Mail"?)' \
    "names it"
run crm-contact import --map 'Mail=email,Who=email' m.csv
expect_rc 2 "two columns mapped to one field"
run crm-contact import --on-error maybe m.csv
expect_rc 2 "--on-error takes abort or skip"
run crm-contact import --key phone m.csv
expect_rc 2 "--key takes email or ext"
run crm-contact import --encoding ebcdic m.csv
expect_rc 2 "an unknown encoding"
run crm-contact import nosuch.csv
expect_rc 1 "a file that does not exist"
expect_err "crm-contact: nosuch.csv: No such file or directory" "says so"

# --- Bad rows: all or nothing by default.
before=$(count)
printf '%s\n' 'email,name,phone' \
    'ok1@example.org,One,' \
    'bob@,Bob,' \
    'ok2@example.org,Two' \
    'ok3@example.org,Three,,extra' \
    ',,' \
    'x@example.org,X,call me' \
    'OK1@Example.org,Again,' \
    'ada@example.org,Ada again,' >bad.csv
run crm-contact import bad.csv
expect_rc 1 "bad rows abort the import"
expect_err "crm-contact: line 3: invalid email \"bob@\": no domain
crm-contact: line 4: 2 values, expected 3 as in the header
crm-contact: line 5: 4 values, expected 3 as in the header
crm-contact: line 6: a contact needs a name or an email
crm-contact: line 7: invalid phone \"call me\": expected digits and + - ( ) . / x
crm-contact: line 8: duplicate email \"OK1@example.org\" (line 2)
crm-contact: line 9: email \"ada@example.org\" already belongs to contact 2
crm-contact: nothing imported: 7 of 8 rows rejected (--on-error skip imports the others)" \
    "one line per bad row, with its line number and reason"
is "$(count)" "$before" "nothing written"
is "$(sql "SELECT count(*) FROM events")" 3 "no event either"

run crm-contact import --on-error skip --rejects rejects.csv bad.csv
expect_rc 1 "--on-error skip: exit 1"
is "$(tail -n 1 err)" "imported 1, updated 0, rejected 7" \
    "the summary counts both"
is "$(sql "SELECT name FROM contacts WHERE email = 'ok1@example.org'")" One \
    "the good row landed"
is "$(cat rejects.csv)" 'email,name,phone
bob@,Bob,
ok2@example.org,Two
ok3@example.org,Three,,extra
,,
x@example.org,X,call me
OK1@Example.org,Again,
ada@example.org,Ada again,' "--rejects: the header and the raw rows, ready to fix"

run crm-contact import --dry-run m.csv
expect_rc 1 "--dry-run still finds a duplicate"
printf '%s\n' 'email,name' 'new@example.org,New' >new.csv
before=$(count)
run crm-contact import --dry-run new.csv
expect_rc 0 "--dry-run of a good file"
expect_err "dry run: imported 1, updated 0, rejected 0 (nothing written)" \
    "says what it would do"
is "$(count)" "$before" "and writes nothing"

# --- Upsert.
printf '%s\n' 'email,name,stage,tags,unsubscribed,Score' \
    'ADA@example.org,Ada King,customer,paid,true,90' \
    'newbie@example.org,Newbie,,,,' \
    'grace@example.com,Grace Hopper,,,no,' \
    'NEWBIE@example.org,Twice,,,,' >up.csv
run crm-contact import --upsert --on-error skip up.csv
expect_rc 1 "--upsert with one duplicate row"
expect_err "crm-contact: line 5: duplicate email \"NEWBIE@example.org\" (line 3)
imported 1, updated 1, rejected 1, unchanged 1" \
    "updated, inserted, unchanged and rejected counted"
is "$(sql "SELECT email, name, stage, opt_in, unsubscribed_at, fields FROM contacts WHERE id = 2")" \
    "ada@example.org|Ada King|customer|0|$T|{\"home_city\":\"London\",\"score\":\"90\"}" \
    "the existing contact updated, its address kept, fields merged"
is "$(sql "SELECT group_concat(tag) FROM contact_tags WHERE contact_id = 2")" \
    "board,paid,vip" "tags are added"
is "$(sql "SELECT changes FROM events ORDER BY id DESC LIMIT 1" | jq -c '[.updated, .unchanged, .updated_ids]')" \
    '[1,1,[2]]' "the event lists the ids updated"
run crm-contact import --upsert --on-error skip up.csv
is "$(tail -n 1 err)" "imported 0, updated 0, rejected 1, unchanged 3" \
    "again: nothing changes"
printf '%s\n' 'Record ID,email,name' 'A-1,ext1@example.org,Ext One' >ext1.csv
run crm-contact import ext1.csv
printf '%s\n' 'Record ID,email,name' 'A-1,ext1b@example.org,Ext One B' >ext2.csv
run crm-contact import --upsert --key ext ext2.csv
expect_rc 0 "--upsert --key ext"
is "$(sql "SELECT email, name FROM contacts WHERE external_id = 'A-1'")" \
    "ext1b@example.org|Ext One B" "matched by external id, email changed"

# --- Encodings.
printf 'email,name\nzoe@example.org,Zo\353 Caf\351 \200\n' >cp.csv
run crm-contact import cp.csv
expect_rc 1 "invalid UTF-8 without --encoding"
expect_err "crm-contact: line 2: invalid UTF-8 in column \"name\" (give --encoding for a file that is not UTF-8)
crm-contact: nothing imported: 1 of 1 rows rejected (--on-error skip imports the others)" \
    "reported with its line, never stored"
run crm-contact import --encoding cp1252 cp.csv
expect_rc 0 "--encoding cp1252"
is "$(sql "SELECT name FROM contacts WHERE email = 'zoe@example.org'")" \
    "Zoë Café €" "converted to UTF-8, 0x80 the euro sign"
printf 'email,name\nx1@example.org,A\nx2@example.org,B\201\n' >cp2.csv
run crm-contact import --encoding cp1252 cp2.csv
expect_rc 1 "a byte cp1252 does not define"
is "$(sed -n 1p err)" \
    "crm-contact: line 3: byte 0x81 in column \"name\" has no character in cp1252" \
    "names the byte and the line"
run crm-contact import --encoding latin1 cp2.csv
expect_rc 0 "latin1 takes every byte"
printf '\357\273\277email,name\nbom@example.org,Bom\n' >bom.csv
run crm-contact import --show-mapping -o tsv --fields column bom.csv
is "$OUT" "column
email
name" "a UTF-8 byte order mark is not part of the first name"
run crm-contact import bom.csv
expect_rc 0 "import with a BOM"

# --- Input that is not rows.
: >empty.csv
run crm-contact import empty.csv
expect_rc 1 "an empty file"
expect_err "crm-contact: empty.csv: no input" "says there is no input"
printf '\n\n' >blank.txt
run crm-contact import <blank.txt
expect_rc 1 "blank stdin"
expect_err "crm-contact: stdin: no input" "the same on stdin"
printf 'email,name\n' >header.csv
before=$(count)
run crm-contact import header.csv
expect_rc 0 "a header alone"
expect_err "imported 0, updated 0, rejected 0" "imports nothing, fine"
printf 'email,name\nq1@example.org,"open\nq2@example.org,Two\n' >open.csv
run crm-contact import --on-error skip open.csv
expect_rc 1 "an unterminated quote"
expect_err "crm-contact: line 2: unterminated quoted field" \
    "is reported with its line; nothing after it can be trusted"
is "$(count)" "$before" "nothing written, even with skip"
printf 'email,name\n"a"x@example.org,A\n' >q.csv
run crm-contact import q.csv
expect_err "crm-contact: line 2: malformed quotes in column \"email\"
crm-contact: nothing imported: 1 of 1 rows rejected (--on-error skip imports the others)" \
    "text after a closing quote"
awk 'BEGIN { printf "email,name\nbig@example.org,"; for (i = 0; i < 1048576; i++) printf "x"; printf "\nsmall@example.org,Small\n" }' >big.csv
run crm-contact import --on-error skip big.csv
expect_rc 1 "a 1 MB value"
expect_err "crm-contact: line 2: column \"name\" longer than 65536 bytes
imported 1, updated 0, rejected 1" "is refused with its line; the next row lands"
printf '%s\n' '{"email":"j1@example.org","name":"J1","tags":["a","b"],"fields":{"x":"1","n":2}}' \
    '[1,2]' '{"email":"j2@example.org",' '' '{"name":"J3","opt_in":true}' >in.jsonl
run crm-contact import --on-error skip in.jsonl
expect_rc 1 "JSON Lines with bad lines"
expect_err "crm-contact: line 2: expected a JSON object
crm-contact: line 3: invalid JSON near column 27
imported 2, updated 0, rejected 2" "a line that is no object, broken JSON"
is "$(crm-contact list --where 'name = J1 or name = J3' -o jsonl | jq -c '[.name, .tags, .fields, .opt_in]')" \
    '["J1",["a","b"],{"x":"1","n":"2"},false]
["J3",[],{},true]' "arrays as tags, objects as custom fields, booleans"

# --- Bulk into an empty database: duplicates found after the load.
rm -f "$CRM_DB"
{
	echo 'Email,Name,Record ID'
	i=1
	while [ $i -le 300 ]; do
		echo "p$i@example.org,Person $i,R$i"
		i=$((i + 1))
	done
	echo ' P7@EXAMPLE.ORG ,Seven again,R9999'
	echo 'fresh@example.org,Fresh,R7'
} >bulk.csv
run crm-contact import --verbose --on-error skip --rejects r2.csv bulk.csv
expect_rc 1 "bulk import with duplicates"
is "$(sed -n 1,3p err)" 'crm-contact: line 302: duplicate email "P7@example.org" (line 8)
crm-contact: line 303: duplicate external id "R7" (line 8)
imported 300, updated 0, rejected 2' "each names the line it repeats"
like "$(sed -n 4p err)" "^bulk: indexes rebuilt after the load, the search index left to the next search; load " \
    "--verbose says how the rows were written"
is "$(cat r2.csv)" 'Email,Name,Record ID
 P7@EXAMPLE.ORG ,Seven again,R9999
fresh@example.org,Fresh,R7' "the rejects file, in line order"
is "$(sql "SELECT count(*), count(DISTINCT email), min(id), max(id) FROM contacts")" \
    "300|300|1|300" "no duplicate stored, ids in file order"
is "$(sql "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' AND name LIKE 'contacts_%' ORDER BY 1" | tr '\n' ' ')" \
    "contacts_company contacts_email contacts_external_id contacts_name contacts_stage " \
    "the indexes are back"
is "$(sql "PRAGMA integrity_check")" ok "and the database is sound"
is "$(sql "PRAGMA foreign_keys")" 0 "(sqlite3 has its own connection)"
is "$(crm-contact list --where 'email = "p150@example.org"' -o tsv --fields name | tail -n 1)" \
    "Person 150" "the email index answers"
