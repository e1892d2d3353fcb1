#!/bin/sh
# crm-contact update and delete: named options, --set, --unset, events,
# all-or-nothing over many references.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 22

crm-contact add --kind company --name Acme >/dev/null
crm-contact add --name Ada --email ada@example.org --company Acme \
    --set fields.industry=retail >/dev/null
crm-contact add --name Grace --email grace@example.org --external-id G-1 >/dev/null

CRM_NOW=2026-11-23T09:30:00Z run crm-contact update ada@example.org \
    --stage customer --set fields.size=50 --unset fields.industry --title CTO
expect_rc 0 "update by email"
is "$(printf '%s' "$OUT" | jq -c '[.id, .stage, .title, .fields, .created_at, .updated_at]')" \
    '[2,"customer","CTO",{"size":"50"},"2026-11-22T12:00:00Z","2026-11-23T09:30:00Z"]' \
    "prints the changed record with a new updated_at"
is "$(sql "SELECT changes FROM events WHERE action = 'update'")" \
    '{"title":{"old":null,"new":"CTO"},"stage":{"old":"lead","new":"customer"},"fields.size":{"old":null,"new":"50"},"fields.industry":{"old":"retail","new":null}}' \
    "the event holds the old and new value of each changed field"

run crm-contact update 2 --stage customer
expect_rc 0 "an update that changes nothing"
is "$(sql "SELECT count(*) FROM events WHERE action = 'update'")" 1 \
    "records no event"

run crm-contact update ext:G-1 --email ADA@example.org
expect_rc 1 "taking another contact's email"
expect_err 'crm-contact: email "ADA@example.org" already belongs to contact 2' \
    "is refused"

run crm-contact update 3 --unset kind
expect_rc 2 "unsetting a required field"
run crm-contact update 3
expect_rc 2 "an update with nothing to change"
run crm-contact update 2 --company 2
expect_rc 1 "a contact as its own company"

run crm-contact update 2 3 99 --stage churned
expect_rc 1 "one unknown reference among three"
is "$(sed -n 1p err)" 'crm-contact: no contact "99"' "names it"
is "$(sql "SELECT group_concat(stage) FROM (SELECT stage FROM contacts ORDER BY id)")" "lead,customer,lead" \
    "and nothing changed"

printf '2\n{"id":3,"name":"Grace"}\n{"contact_id":1}\n' >refs
run crm-contact update --stage partner - <refs
expect_rc 0 "references from stdin: bare, records with id or contact_id"
is "$(sql "SELECT group_concat(stage) FROM (SELECT stage FROM contacts ORDER BY id)")" "partner,partner,partner" \
    "all three changed"

run crm-contact delete 1
expect_rc 0 "delete a company"
is "$(sql "SELECT company_id IS NULL FROM contacts WHERE id = 2")" 1 \
    "its people are unlinked"
is "$(sql "SELECT action FROM events ORDER BY id DESC LIMIT 1")" delete \
    "a delete event"
is "$(sql "SELECT json_extract(changes, '$.name') FROM events ORDER BY id DESC LIMIT 1")" \
    Acme "holding the deleted record"

run crm-contact delete 2 nosuch@example.org
expect_rc 1 "delete with an unknown reference"
is "$(sql 'SELECT count(*) FROM contacts')" 2 "deletes nothing"

run crm-contact delete
expect_rc 2 "delete without references"
