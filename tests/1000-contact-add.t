#!/bin/sh
# crm-contact add: records, validation, normalisation, companies, events.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 31

T=2026-11-22T12:00:00Z
rec() {	# rec ID KIND NAME EMAIL COMPANY COMPANY_ID TAGS FIELDS
	printf '{"id":%s,"kind":"%s","name":"%s","email":%s,"phone":null,' \
	    "$1" "$2" "$3" "$4"
	printf '"company":%s,"company_id":%s,"title":null,"stage":"lead",' \
	    "$5" "$6"
	printf '"owner":null,"source":null,"external_id":null,"tags":%s,' "$7"
	printf '"fields":%s,"opt_in":false,"unsubscribed_at":null,' "$8"
	printf '"created_at":"%s","updated_at":"%s"}' "$T" "$T"
}

run crm-contact add --name "Ada Lovelace" --email ada@example.org
expect_rc 0 "add a person"
expect_out "$(rec 1 person "Ada Lovelace" '"ada@example.org"' null null \
    '[]' '{}')" "add prints the new record as JSON Lines in a pipe"
expect_err "" "nothing on stderr"
is "$(sql 'SELECT id, name, email, stage FROM contacts')" \
    "1|Ada Lovelace|ada@example.org|lead" "the row is stored"
is "$(stat -c %a "$CRM_DB")" 600 "the database file is 0600"

run crm-contact add --name Grace --email "  Grace.Hopper@Example.ORG "
expect_rc 0 "an email with blanks and a capitalised domain"
is "$(sql 'SELECT email FROM contacts WHERE id = 2')" \
    "Grace.Hopper@example.org" "trimmed, domain lowercased, local part kept"

run crm-contact add --name Imposter --email ADA@example.org
expect_rc 1 "a duplicate email differing in case"
expect_err 'crm-contact: email "ADA@example.org" already belongs to contact 1' \
    "the error names the existing contact"
is "$(sql 'SELECT count(*) FROM contacts')" 2 "nothing was written"

run crm-contact add --name Bob --email bob@
expect_rc 1 "an email without a domain"
expect_err 'crm-contact: invalid email "bob@": no domain' "says what is wrong"

for bad in "a b@example.org" "a@b" "a..b@example.org" "@example.org" \
    "a@-x.org" "a@example.123"; do
	run crm-contact add --name X --email "$bad"
	[ "$RC" = 1 ] || break
done
is "$RC" 1 "malformed addresses are refused"
is "$(sql 'SELECT count(*) FROM contacts')" 2 "and none stored"

run crm-contact add --kind company --name "Acme GmbH" --tag customer,vip
expect_rc 0 "add a company with tags"
is "$(printf '%s' "$OUT" | jq -c '[.id, .kind, .tags]')" '[3,"company",["customer","vip"]]' \
    "kind and tags in the record"

run crm-contact add --name "Wile E." --email wile@example.net --company "Acme GmbH" \
    --title Engineer --stage customer --owner sam --source fair --phone "+49 30 1234" \
    --external-id A-17 --opt-in --set fields.industry=retail --set "fields.size=50"
expect_rc 0 "add with every field option"
is "$(printf '%s' "$OUT" | jq -c '[.company, .company_id, .title, .stage, .owner, .source, .phone, .external_id, .opt_in, .fields]')" \
    '["Acme GmbH",3,"Engineer","customer","sam","fair","+49 30 1234","A-17",true,{"industry":"retail","size":"50"}]' \
    "fields stored and printed"

run crm-contact add --name Roadrunner --company ext:A-17
expect_rc 1 "a company link to a person"
expect_err 'crm-contact: contact 4 is not a company' "is refused"

run crm-contact add --name Nobody --company "Nowhere Ltd"
expect_rc 1 "an unknown company"
expect_err 'crm-contact: no company "Nowhere Ltd" (add it with --kind company first)' \
    "names it"

run crm-contact add --kind company
expect_rc 1 "a company without a name"
run crm-contact add --stage lead
expect_rc 1 "a person without name or email"
expect_err "crm-contact: a contact needs a name or an email" "says so"

run crm-contact add --name X --set stag=customer
expect_rc 2 "an unknown field in --set"
expect_err 'crm-contact: unknown field "stag" (did you mean "stage"?)' \
    "suggests the nearest field"

run crm-contact add --name X --frobnicate
expect_rc 2 "an unknown option"
is "$(sed -n 1p err)" "crm-contact add: unknown option --frobnicate" \
    "names the option, then the usage line"

is "$(sql "SELECT count(*) FROM contacts")" 4 "only the good adds landed"
is "$(sql "SELECT entity, entity_id, action, actor, at FROM events ORDER BY id" | tr '\n' ' ')" \
    "contact|1|add|tester|$T contact|2|add|tester|$T contact|3|add|tester|$T contact|4|add|tester|$T " \
    "one add event per contact, with actor and time"
