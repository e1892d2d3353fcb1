#!/bin/sh
# crm-contact export: every format, the same records as list, and round
# trips through import with messy data.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 19

# Messy contacts: quotes, commas, newlines, CJK, custom fields, tags,
# companies, control characters and backslashes.
crm-contact add --kind company --name 'Acme, "The" GmbH' \
    --set fields.industry=retail >/dev/null
crm-contact add --kind company --name '株式会社 山田' >/dev/null
CRM_NOW=2026-11-23T08:00:00Z crm-contact add \
    --name 'Ada "The Countess" Lovelace' --email ada@example.org \
    --company 'Acme, "The" GmbH' --title 'CTO, R&D' --tag vip,board --opt-in \
    --set 'fields.note=line one
line two, with comma' --set 'fields.quote=say "hi" \o/' \
    --phone '+44 20 1234' --external-id A-17 --stage customer --owner sam \
    --source fair >/dev/null
crm-contact add --name '山田 太郎' --email taro@example.jp \
    --company '株式会社 山田' --set fields.city=東京 --tag 顧客 >/dev/null
crm-contact add --name 'Zoë Ünicode' --email zoe@example.net \
    --set "fields.tab=$(printf 'a\tb\001c')" --set fields.city= >/dev/null
crm-contact tag --add x 5 >/dev/null
CRM_NOW=2026-11-24T09:30:00Z crm-contact update --set unsubscribed_at=-1d \
    zoe@example.net >/dev/null

run crm-contact export
expect_rc 0 "export"
crm-contact list -o jsonl >list.jsonl
is "$OUT" "$(cat list.jsonl)" "the same records, byte for byte, as list -o jsonl"
is "$(wc -l <out | tr -d ' ')" 5 "one line per contact"
CRM_FORMAT=table run crm-contact export
is "$OUT" "$(cat list.jsonl)" "JSON Lines whatever CRM_FORMAT says"
run crm-contact export --where 'tag = vip or name ~ "山田"' --fields id,name
expect_out '{"id":2,"name":"株式会社 山田"}
{"id":3,"name":"Ada \"The Countess\" Lovelace"}
{"id":4,"name":"山田 太郎"}' "--where and --fields"
run crm-contact export --where 'stag = x'
expect_rc 2 "a bad --where"
run crm-contact export -o json
is "$(jq length out)" 5 "-o json: one array"
run crm-contact export -o csv
expect_rc 0 "-o csv"
is "$(sed -n 1p out)" \
    "id,kind,name,email,phone,company,company_id,title,stage,owner,source,external_id,tags,fields.city,fields.industry,fields.note,fields.quote,fields.tab,opt_in,unsubscribed_at,created_at,updated_at" \
    "custom fields flattened into fields.NAME columns"
run crm-contact export -o tsv
is "$(sed -n 4p out | cut -f 1,3,6,13)" \
    "3	Ada \"The Countess\" Lovelace	Acme, \"The\" GmbH	board;vip" "-o tsv"
crm-contact export | head -n 1 >/dev/null 2>err.txt
is "$(cat err.txt)" "" "a closed pipe is no error"

# Round trips into empty databases: export, import, export again.
crm-contact export -o csv >first.csv
crm-contact export >first.jsonl
CRM_DB=$T_DIR/csv.db run crm-contact import first.csv
expect_rc 0 "import the CSV export into an empty database"
CRM_DB=$T_DIR/csv.db crm-contact export -o csv >second.csv
is "$(cat second.csv)" "$(cat first.csv)" "CSV: the second export equals the first"
CRM_DB=$T_DIR/jsonl.db run crm-contact import first.jsonl
expect_rc 0 "import the JSON Lines export"
CRM_DB=$T_DIR/jsonl.db crm-contact export >second.jsonl
is "$(cat second.jsonl)" "$(cat first.jsonl)" \
    "JSON Lines: the second export equals the first"
is "$(sqlite3 "$T_DIR/jsonl.db" "SELECT created_at, updated_at, unsubscribed_at FROM contacts WHERE id = 3 OR id = 5")" \
    "2026-11-23T08:00:00Z|2026-11-23T08:00:00Z|
2026-11-22T12:00:00Z|2026-11-24T09:30:00Z|2026-11-23T09:30:00Z" \
    "times kept from the file"

# Into a database with other contacts: ids differ, the rest does not.
crm-contact add --name Other --email other@example.org >/dev/null
CRM_DB=$T_DIR/other.db crm-contact add --name Before >/dev/null
CRM_DB=$T_DIR/other.db run crm-contact import first.jsonl
expect_rc 0 "import beside other contacts"
strip() { jq -c 'del(.id, .company_id)'; }
CRM_DB=$T_DIR/other.db crm-contact export --where 'id > 1' | strip >a.jsonl
strip <first.jsonl >b.jsonl
is "$(cat a.jsonl)" "$(cat b.jsonl)" "the same records, ids aside"
is "$(sqlite3 "$T_DIR/other.db" "SELECT c.name, co.name FROM contacts c JOIN contacts co ON co.id = c.company_id ORDER BY c.id")" \
    'Ada "The Countess" Lovelace|Acme, "The" GmbH
山田 太郎|株式会社 山田' "people linked to the imported companies, not new ones"
