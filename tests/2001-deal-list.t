#!/bin/sh
# crm-deal list, show, update, delete: filters, sorting, formats, events.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 34

crm-contact add --name "Ada Lovelace" --email ada@example.org >/dev/null
crm-contact add --name "Grace Hopper" --email grace@example.org >/dev/null
crm-deal add --title "Website" --contact ada@example.org --amount 1200 \
    --stage proposal --expected-close 2026-11-20 --tag vip >/dev/null
crm-deal add --title "Hosting" --contact ada@example.org --amount 80.5 \
    --currency USD --expected-close 2026-12-15 >/dev/null
crm-deal add --title "Ramen" --contact grace@example.org --amount 100000 \
    --currency JPY --stage proposal --expected-close 2027-01-10 \
    --set fields.region=east >/dev/null
crm-deal add --title "Über-Lizenz" --amount 99.99 --stage negotiation \
    --owner zoë >/dev/null

ids() { printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' '; }

run crm-deal list
expect_rc 0 "list"
is "$(ids)" "1 2 3 4 " "every deal, by id, as JSON Lines in a pipe"
run crm-deal list --where 'stage = proposal'
is "$(ids)" "1 3 " "--where on the stage"
run crm-deal list --where 'stage != proposal and stage in (lead, negotiation, won)'
is "$(ids)" "2 4 " "a stage excluded and a list of stages"
run crm-deal list --where 'stage ~ oti or stage is empty' --sort -stage
is "$(ids)" "4 " "part of a stage's name; sorted by stage name"
run crm-deal list --where 'stage < proposal'
expect_rc 2 "a stage has no order in --where"
expect_err 'crm-deal: --where: column 7: cannot use "<" on "stage"' "says so"
run crm-deal list --where 'stage = proposal and expected_close < today'
is "$(ids)" "1 " "a day compared as a day"
run crm-deal list --where 'amount > 100'
is "$(ids)" "1 3 " "amounts compare by value: 100000 JPY, 1200 EUR; not 99.99"
run crm-deal list --where 'amount = 80.5 and currency = USD'
is "$(ids)" "2 " "a decimal amount matches exactly"
run crm-deal list --where 'contact = "Ada Lovelace" and tag = vip'
is "$(ids)" "1 " "by contact name and tag"
run crm-deal list --where 'fields.region = east or owner = zoë'
is "$(ids)" "3 4 " "custom fields and UTF-8"
run crm-deal list --where 'status = open and probability >= 50'
is "$(ids)" "1 3 4 " "the stage's probability"
run crm-deal list --sort -amount --fields id,amount,currency
expect_out '{"id":3,"amount":"100000","currency":"JPY"}
{"id":1,"amount":"1200.00","currency":"EUR"}
{"id":4,"amount":"99.99","currency":"EUR"}
{"id":2,"amount":"80.50","currency":"USD"}' "--sort by amount, by face value"

run crm-deal list --where 'stag = lead'
expect_rc 2 "an unknown field in --where"
expect_err 'crm-deal: --where: column 1: unknown field "stag" (did you mean "stage"?)' \
    "names the column and suggests"

run crm-deal list -o csv --fields id,title,amount,currency,tags,fields.region --limit 3
expect_out 'id,title,amount,currency,tags,fields.region
1,Website,1200.00,EUR,vip,
2,Hosting,80.50,USD,,
3,Ramen,100000,JPY,,east' "CSV with money as exact decimals"
run crm-deal list -o csv --where 'id = 3'
is "$(printf '%s\n' "$OUT" | head -n 1)" \
    "id,title,contact,contact_id,company,company_id,pipeline,stage,status,amount,currency,probability,expected_close,closed_at,lost_reason,owner,source,external_id,tags,fields.region,created_at,updated_at" \
    "CSV spreads custom fields into columns"
COLUMNS=100 run crm-deal list -o table --where 'id >= 3'
expect_out 'id  title        contact       stage        status  amount  currency  expected_close
 3  Ramen        Grace Hopper  proposal     open    100000  JPY       2027-01-10
 4  Über-Lizenz                negotiation  open    99.99   EUR' "a table"
run crm-deal list -o json --fields id --limit 1
expect_out '[
{"id":1}
]' "a JSON array"

crm-deal update 4 --set "fields.note=$(printf 'tab\there\nquote " back \\ ctl \001')" >/dev/null
all=id,title,contact,contact_id,company,company_id,pipeline,stage,status
all=$all,amount,currency,probability,expected_close,closed_at,lost_reason
all=$all,owner,source,external_id,tags,fields,created_at,updated_at
is "$(crm-deal list)" "$(crm-deal list --fields "$all")" \
    "the fast JSON Lines path prints byte for byte what the records print"

run crm-deal show 3 1
expect_rc 0 "show"
is "$(ids)" "3 1 " "in the order given"
run crm-deal show 2 99 ext:nope
expect_rc 1 "show with unknown references"
expect_err 'crm-deal: no deal "99"
crm-deal: no deal "ext:nope"' "names each"

run crm-deal update 2 --amount 90 --currency EUR --probability 30 \
    --fields id,amount,currency,probability
expect_out '{"id":2,"amount":"90.00","currency":"EUR","probability":30}' \
    "update prints the changed deal"
run crm-deal update 3 --currency EUR --fields amount,currency
expect_out '{"amount":"100000.00","currency":"EUR"}' \
    "a new currency keeps the face value"
run crm-deal update 4 --currency JPY
expect_rc 2 "unless the new currency cannot hold it"
expect_err 'crm-deal: amount 99.99 EUR cannot be written in JPY: give the amount too' \
    "says what to do"
is "$(sql "SELECT changes FROM events WHERE entity = 'deal' ORDER BY id DESC LIMIT 1")" \
    '{"amount":{"old":"100000","new":"100000.00"},"currency":{"old":"JPY","new":"EUR"},"contact_id":2,"company_id":null}' \
    "the update event: what changed, and contact_id"
run crm-deal update 1 --status won
expect_rc 2 "status is not for update"
run crm-deal update 1 --set status=won
expect_err 'crm-deal: status cannot be set by update: use win, lose or reopen' \
    "it says which verbs do that"

run crm-deal delete 2 4
expect_rc 0 "delete"
is "$(sql 'SELECT group_concat(id) FROM deals')" "1,3" "gone"
