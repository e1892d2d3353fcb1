#!/bin/sh
# crm-contact list and show: filters, sorting, formats, pipes.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 22

crm-contact add --kind company --name Acme >/dev/null
crm-contact add --name "Ada Lovelace" --email ada@example.org --stage customer \
    --company Acme --tag vip >/dev/null
crm-contact add --name "Björn Ångström" --email bjorn@example.se --stage lead \
    --set fields.industry=retail >/dev/null
crm-contact add --name "山田太郎" --email taro@example.jp --stage customer \
    --tag vip,jp --set fields.score=40 >/dev/null
crm-contact add --name "Zoë" --email zoe@example.com --stage lead \
    --set fields.score=7 >/dev/null

ids() { printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' '; }

run crm-contact list
expect_rc 0 "list"
is "$(ids)" "1 2 3 4 5 " "every contact, by id, as JSON Lines in a pipe"

run crm-contact list --where 'stage = customer and tag = vip'
is "$(ids)" "2 4 " "--where with a tag"
run crm-contact list --where 'email ~ "@example.s" or fields.score >= 40'
is "$(ids)" "3 4 " "contains, and a custom field compared as a number"
run crm-contact list --where 'not tag = vip and kind = person'
is "$(ids)" "3 5 " "not"
run crm-contact list --where 'company = Acme'
is "$(ids)" "2 " "company by name"
run crm-contact list --where 'created_at > -1d and fields.industry is set'
is "$(ids)" "3 " "relative dates and is set"

run crm-contact list --where 'stag = lead'
expect_rc 2 "an unknown field in --where"
expect_err 'crm-contact: --where: column 1: unknown field "stag" (did you mean "stage"?)' \
    "names the column and suggests the field"
run crm-contact list --where 'name = "x'"'"'); drop table contacts; --"'
expect_rc 0 "a hostile value is only a value"
is "$OUT" "" "it matches nothing"
is "$(sql 'SELECT count(*) FROM contacts')" 5 "and the table is intact"

run crm-contact list --sort -name --limit 2 --fields id,name
expect_rc 0 "--sort, --limit and --fields"
expect_out '{"id":4,"name":"山田太郎"}
{"id":5,"name":"Zoë"}' "exactly the fields asked for, sorted by bytes"

run crm-contact list -o csv --fields id,name,email,tags,fields.industry --where 'id <= 3'
expect_out 'id,name,email,tags,fields.industry
1,Acme,,,
2,Ada Lovelace,ada@example.org,vip,
3,Björn Ångström,bjorn@example.se,,retail' "CSV with a header and a flattened custom field"

run crm-contact list -o tsv --fields id,tags --where 'tag = vip'
expect_out "$(printf 'id\ttags\n2\tvip\n4\tjp;vip')" "TSV, arrays joined with ;"

run crm-contact list -o json --fields id --limit 2
expect_out '[
{"id":1},
{"id":2}
]' "a JSON array"

COLUMNS=80 run crm-contact list -o table --fields id,name,stage --where 'id >= 3'
expect_out 'id  name            stage
 3  Björn Ångström  lead
 4  山田太郎        customer
 5  Zoë             lead' "a table aligned by display width"

run crm-contact list -o xml
expect_rc 2 "an unknown format"

run sh -c 'crm-contact list -o jsonl | jq -r .email'
expect_out 'null
ada@example.org
bjorn@example.se
taro@example.jp
zoe@example.com' "list -o jsonl | jq .email"

run crm-contact show ada@example.org ext:none 3
expect_rc 1 "show with an unknown reference"
expect_err 'crm-contact: no contact "ext:none"' "names it"
