#!/bin/sh
# crm-deal import and export: mapping, checks, --on-error, --rejects,
# --dry-run, --upsert by external id, atomicity, a round trip.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 40

crm-contact add --name Ada --email ada@example.org >/dev/null
crm-contact add --kind company --name "Acme GmbH" >/dev/null
crm-deal pipeline add enterprise --stages discovery:20,trial:60 >/dev/null

cat >hub.csv <<'CSV'
Deal Name,Value,Currency,Pipeline,Deal Stage,Contact Email,Company,Close Date,Deal ID,Region
Website,"1200.50",EUR,,proposal,ada@example.org,Acme GmbH,2026-12-31,H-1,north
Hosting,80,USD,,,,,,H-2,
Pilot,5000,EUR,enterprise,trial,,,,H-3,south
CSV
run crm-deal import --map 'Region=fields.region' hub.csv
expect_rc 0 "import a CSV export from another CRM"
expect_out "" "prints nothing"
run crm-deal list -o tsv --fields id,title,contact,company,pipeline,stage,amount,currency,expected_close,external_id,fields
expect_out "$(printf 'id\ttitle\tcontact\tcompany\tpipeline\tstage\tamount\tcurrency\texpected_close\texternal_id\tfields
1\tWebsite\tAda\tAcme GmbH\tdefault\tproposal\t1200.50\tEUR\t2026-12-31\tH-1\t{"region":"north"}
2\tHosting\t\t\tdefault\tlead\t80.00\tUSD\t\tH-2\t{}
3\tPilot\t\t\tenterprise\ttrial\t5000.00\tEUR\t\tH-3\t{"region":"south"}')" \
    "columns recognised by their names, mapped, made custom fields"
is "$(sql "SELECT group_concat(action || ':' || ifnull(json_extract(changes, '$.contact_id'), '-')) FROM events WHERE entity = 'deal'")" \
    "add:1,add:-,add:-" "an add event per deal, with its contact_id"

cat >bad.csv <<'CSV'
title,amount,currency,stage,external_id
Good,10,EUR,lead,B-1
Comma,"1,234.50",EUR,lead,B-2
Yen,10.5,JPY,lead,B-3
Other pipeline,5,EUR,trial,B-4
Fine too,20,EUR,qualified,B-5
CSV
n=$(sql 'SELECT count(*) FROM deals')
run crm-deal import bad.csv
expect_rc 1 "bad rows: the import fails"
expect_err 'crm-deal: line 3: invalid amount "1,234.50": use "." for the decimals and no thousands separators
crm-deal: line 4: invalid amount "10.5": JPY has no decimals
crm-deal: line 5: stage "trial" is in pipeline "enterprise", not in "default"
crm-deal: nothing imported: 3 of 5 records rejected' \
    "every bad row with its line, then the verdict"
is "$(sql 'SELECT count(*) FROM deals')" "$n" "and nothing is written"

run crm-deal import --dry-run bad.csv
expect_rc 1 "--dry-run with bad rows"
is "$(printf '%s\n' "$ERR" | tail -n 1)" \
    "crm-deal: dry run: 2 to add, 0 to update, 0 unchanged, 3 rejected; nothing written" \
    "--dry-run says what it would do"

run crm-deal import --on-error skip --rejects rejects.csv bad.csv
expect_rc 1 "--on-error skip imports the good rows, exits 1"
is "$(printf '%s\n' "$ERR" | tail -n 1)" \
    "crm-deal: imported 2 records, skipped 3" "and says so"
is "$(sql "SELECT group_concat(external_id) FROM deals WHERE external_id LIKE 'B-%'")" \
    "B-1,B-5" "the good rows are in"
is "$(cat rejects.csv)" 'title,amount,currency,stage,external_id
Comma,"1,234.50",EUR,lead,B-2
Yen,10.5,JPY,lead,B-3
Other pipeline,5,EUR,trial,B-4' "--rejects: the bad rows as read, with the header"

run crm-deal import bad.csv --on-error skip
is "$(printf '%s\n' "$ERR" | grep -c 'already belongs')" 2 \
    "without --upsert, a known external id is refused"

cat >up.jsonl <<'JSONL'
{"external_id":"B-1","stage":"negotiation","amount":"12"}
{"external_id":"B-9","title":"New","amount":7}
{"external_id":"B-5","stage":"qualified"}
JSONL
run crm-deal import --upsert up.jsonl
expect_rc 0 "--upsert JSON Lines"
run crm-deal list --where "external_id ~ B-" -o tsv --fields external_id,title,stage,amount
expect_out "$(printf 'external_id\ttitle\tstage\tamount
B-1\tGood\tnegotiation\t12.00
B-5\tFine too\tqualified\t20.00
B-9\tNew\tlead\t7.00')" "updated by external id, or added"
is "$(sql "SELECT count(*) FROM deal_history d JOIN deals x ON x.id = d.deal_id WHERE x.external_id = 'B-1'")" \
    1 "an upsert that moves a deal writes its history"

printf '{"title":"Float","amount":12.5}\n' >float.jsonl
run crm-deal import float.jsonl
expect_rc 1 "an amount as a JSON fraction"
expect_err 'crm-deal: line 1: invalid amount 12.5: give amounts as text, such as "1234.50"
crm-deal: nothing imported: 1 of 1 records rejected' "is refused: no binary fractions"

run crm-deal import --map 'Deal Name=titel' hub.csv
expect_rc 2 "--map to an unknown field"
expect_err 'crm-deal: --map: unknown field "titel" (did you mean "title"?)' \
    "suggests one"
run crm-deal import --map 'Name=title' hub.csv
expect_rc 2 "--map of a column the file lacks"
expect_err 'crm-deal: --map: no column "Name" in hub.csv' "names it"
run crm-deal import nothere.csv
expect_rc 1 "a file that does not exist"

# A round trip: export, import into an empty database, export again.
crm-deal win 1 >/dev/null
crm-deal lose 2 --reason "too small" >/dev/null
crm-deal export >all.jsonl
crm-deal export -o csv >all.csv
crm-contact --db copy.db add --name Ada --email ada@example.org >/dev/null
crm-contact --db copy.db add --kind company --name "Acme GmbH" >/dev/null
crm-deal --db copy.db pipeline add enterprise --stages discovery:20,trial:60 >/dev/null
run crm-deal --db copy.db import all.csv
expect_rc 0 "the CSV export imports"
crm-deal --db copy.db export >again.jsonl
is "$(jq -c 'del(.updated_at)' again.jsonl)" "$(jq -c 'del(.updated_at)' all.jsonl)" \
    "and exports again as it was"
rm -f copy.db*
crm-contact --db copy.db add --name Ada --email ada@example.org >/dev/null
crm-contact --db copy.db add --kind company --name "Acme GmbH" >/dev/null
crm-deal --db copy.db pipeline add enterprise --stages discovery:20,trial:60 >/dev/null
crm-deal --db copy.db import all.jsonl
crm-deal --db copy.db export >again.jsonl
is "$(jq -c 'del(.updated_at)' again.jsonl)" "$(jq -c 'del(.updated_at)' all.jsonl)" \
    "so does the JSON Lines export"
run crm-deal --db copy.db import --upsert all.jsonl
expect_rc 0 "importing it again with --upsert"
is "$(sqlite3 copy.db "SELECT count(*) FROM events WHERE entity = 'deal' AND action = 'update'")" \
    0 "changes nothing"

# Into an empty table: CSV lines split without libcsv where they are
# plain, with it where a quoted field goes on past its line; external ids
# out of order and taken within the file; indexes built again.
rm -f copy.db*
crm-contact --db copy.db add --name Ada --email ada@example.org >/dev/null
crm-contact --db copy.db add --name Bob --email bob@example.org >/dev/null
printf 'title,contact,amount,external_id,tags,notes\r\n"Say ""hi""",bob@example.org, 5 ,E-2,a;b,\r\nTwo,ada@example.org,6,E-1,,"two\r\nlines"\r\nThird,,7,E-2,c,\r\nFourth,ada@example.org,8,E-3,b,\r\n' >crlf.csv
run crm-deal --db copy.db import --on-error skip --rejects rej2.csv crlf.csv
expect_rc 1 "a taken external id within the file"
expect_err 'crm-deal: line 5: external id "E-2" already belongs to deal 1
crm-deal: imported 3 records, skipped 1' "is refused with its line"
is "$(sqlite3 copy.db "SELECT group_concat(id || ':' || title || ':' || ifnull(contact_id, '-') || ':' || amount || ':' || external_id || ':' || fields, ' ') FROM deals")" \
    '1:Say "hi":2:500:E-2:{} 2:Two:1:600:E-1:{"notes":"two\r\nlines"} 3:Fourth:1:800:E-3:{}' \
    "quotes, line breaks in quotes, blanks around values"
is "$(cat rej2.csv)" 'title,contact,amount,external_id,tags,notes
Third,,7,E-2,c,' "--rejects: the refused row"
is "$(sqlite3 copy.db "SELECT group_concat(deal_id || tag, ' ') FROM deal_tags")" \
    "1a 1b 3b" "tags of the deals added only"
is "$(sqlite3 copy.db "SELECT group_concat(entity_id || ':' || changes, ' ') FROM events WHERE entity = 'deal'")" \
    '1:{"title":"Say \"hi\"","contact_id":2,"company_id":null} 2:{"title":"Two","contact_id":1,"company_id":null} 3:{"title":"Fourth","contact_id":1,"company_id":null}' \
    "an add event per deal, as before"
is "$(sqlite3 copy.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deals' ORDER BY name)")" \
    "deals_board deals_company deals_contact deals_external_id" \
    "the indexes are all there"
is "$(sqlite3 copy.db "PRAGMA foreign_key_check; PRAGMA integrity_check")" "ok" \
    "references hold, indexes match"

# Ids are never reused, even into a table emptied by deletes.
rm -f copy.db*
crm-deal --db copy.db add --title gone >/dev/null
crm-deal --db copy.db delete 1 >/dev/null
printf 'title,tags\nX,t1\nY,\n' >again.csv
run crm-deal --db copy.db import again.csv
expect_rc 0 "an import into an emptied table"
is "$(sqlite3 copy.db "SELECT group_concat(id || title, ' ') FROM deals; SELECT group_concat(deal_id || tag) FROM deal_tags; SELECT group_concat(entity_id || action, ' ') FROM events WHERE entity = 'deal'")" \
    "2X 3Y
2t1
1add 1delete 2add 3add" "takes the ids after the deleted one, events and tags with them"

# The reader's own faults name their line once.
printf 'title,amount\none\ntwo,2,3\n"open,4\n' >short.csv
run crm-deal --db copy.db import short.csv
expect_err 'crm-deal: line 2: 1 field, expected 2 (header has 2)
crm-deal: line 3: 3 fields, expected 2 (header has 2)
crm-deal: line 4: unterminated quoted field
crm-deal: nothing imported: 3 of 3 records rejected' "a bad CSV line is named once"
