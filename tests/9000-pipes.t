#!/bin/sh
# Pipes between commands: the records one prints are the references the
# next one takes.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 11

for n in ada bob cyd dee; do
	crm-contact add --name "$n" --email "$n@example.org" >/dev/null
done
crm-deal add --title Alpha --contact ada@example.org --amount 100 >/dev/null
crm-deal add --title Beta --contact cyd@example.org --amount 200 >/dev/null
crm-deal add --title Gamma --contact dee@example.org --amount 300 >/dev/null
crm-deal win 1 >/dev/null
crm-deal win 2 >/dev/null

tagged() {
	sql "SELECT group_concat(contact_id) FROM (SELECT contact_id
	    FROM contact_tags WHERE tag = '$1' ORDER BY contact_id)"
}

run sh -c "crm-deal list --where 'status = won' | crm-contact tag --add customer -"
expect_rc 0 "deal list | contact tag -"
is "$(tagged customer)" "1,3" "tags the deals' contacts, not the deal ids"

crm-ticket open --contact bob@example.org --subject "Help" --body hi >/dev/null
run sh -c "crm-ticket list | crm-contact tag --add asked -"
expect_rc 0 "ticket list | contact tag -"
is "$(tagged asked)" "2" "tags the ticket's contact"

run sh -c "crm-contact list --where 'tag = customer' | crm-contact update --stage customer -"
expect_rc 0 "contact list | contact update -"
is "$(sql "SELECT group_concat(id) FROM (SELECT id FROM contacts
    WHERE stage = 'customer' ORDER BY id)")" "1,3" "updates exactly those"

run sh -c "crm-contact list -o csv | head -n 1"
expect_out "$(crm-contact list -o csv | sed -n 1p)" "a closed pipe ends the output quietly"
expect_err "" "and says nothing"

run sh -c "crm-contact list | crm-contact show - | jq -r .email | sort | tr '\n' ' '"
expect_out "ada@example.org bob@example.org cyd@example.org dee@example.org " \
    "list | show - | jq"

run crm-contact timeline bob@example.org --fields summary
like "$OUT" "ticket 1 open: Help" "the contact's timeline shows its ticket"
run crm-contact timeline ada@example.org --fields summary -o tsv
is "$(printf '%s\n' "$OUT" | grep -c '^deal 1 ')" 2 \
    "and its deals: added, won"
