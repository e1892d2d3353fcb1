#!/bin/sh
# crm-contact dupes and merge: the groups found, and a merge that moves
# everything, fills what is empty, and refuses what it must.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 48

crm-contact add --kind company --name 'Acme GmbH' >/dev/null		# 1
crm-contact add --kind company --name 'ACME  gmbh' >/dev/null		# 2
crm-contact add --name 'Ada Lovelace' --email ada@example.org \
    --company 1 --phone '+49 30 1234567' --tag vip --opt-in >/dev/null	# 3
crm-contact add --name 'ada LOVELACE' --email ada.l@example.com \
    --company 1 --phone '0049 (30) 123-4567' --title CTO --tag board \
    --external-id A-17 --set fields.industry=retail >/dev/null		# 4
crm-contact add --name 'Ádá Lovelace' --company 1 --tag vip \
    --set fields.nick=countess --set fields.industry=mining >/dev/null	# 5
crm-contact add --name 'Grace Hopper' --email grace@example.com \
    --phone 555-12 --opt-in >/dev/null					# 6
crm-contact add --name 'Grace H' --phone '555 12' >/dev/null		# 7
# An address as a bulk load may leave it: blanks and capitals.
sql "INSERT INTO contacts (name, email, created_at, updated_at)
    VALUES ('G. Hopper', ' GRACE@Example.com', '2026-11-01T00:00:00Z',
    '2026-11-01T00:00:00Z')"						# 8
crm-contact add --name 'Linus' --company 2 >/dev/null			# 9
crm-contact add --name 'Linus' >/dev/null				# 10
crm-contact add --name 'Linus' >/dev/null				# 11

run crm-contact dupes
expect_rc 0 "dupes"
expect_out '{"reason":"email","key":"grace@example.com","ids":[6,8]}
{"reason":"phone","key":"49301234567","ids":[3,4]}
{"reason":"name","key":"acme gmbh","company_id":null,"ids":[1,2]}
{"reason":"name","key":"ada lovelace","company_id":1,"ids":[3,4,5]}' \
    "email ignoring case and blanks, phone digits, names at one company"

run crm-contact dupes --by phone,email -o csv
expect_rc 0 "dupes --by phone,email -o csv"
expect_out 'reason,key,company_id,ids
email,grace@example.com,,6;8
phone,49301234567,,3;4' "only those reasons, ids joined"

run crm-contact dupes --by emial
expect_rc 2 "an unknown reason"
expect_err 'crm-contact dupes: --by: unknown reason "emial" (did you mean "email"?)
usage: crm-contact dupes [options]' "is a usage error with a suggestion"

events=$(sql 'SELECT count(*) FROM events')
contacts=$(sql 'SELECT count(*) FROM contacts')

run crm-contact merge 3 3
expect_rc 1 "merging a contact into itself"
expect_err 'crm-contact: cannot merge contact 3 into itself' "is refused"

run crm-contact merge 3 ada@example.org
expect_rc 1 "itself, by another reference"
expect_err 'crm-contact: cannot merge contact 3 into itself' "is refused too"

run crm-contact merge 3 1
expect_rc 1 "merging a company into a person"
expect_err 'crm-contact: cannot merge company 1 into person 3: both must be people or both companies' \
    "is refused, saying so"

run crm-contact merge 3 4 nobody@example.org 5
expect_rc 1 "an unknown reference among the others"
expect_err 'crm-contact: no contact "nobody@example.org"
crm-contact: nothing merged: 1 of 4 contacts not found' "names it"
is "$(sql 'SELECT count(*) FROM contacts') $(sql 'SELECT count(*) FROM events')" \
    "$contacts $events" "all or nothing: nothing changed"

run crm-contact merge
expect_rc 2 "merge without contacts"

crm-contact log 4 --type call --subject 'talked engines' >/dev/null
crm-contact log 5 --type note --subject 'likes poetry' >/dev/null
crm-deal add --title Engines --contact 4 --company 1 --amount 100 >/dev/null
crm-deal add --title Poetry --contact 5 --company 2 --amount 50 >/dev/null
# Static segments' members: a table that refers to contacts, unlisted.
crm-segment create one --static >/dev/null
crm-segment create two --static >/dev/null
crm-segment add one 3 4 && crm-segment add two 5
events=$(sql 'SELECT count(*) FROM events')

run crm-contact merge --dry-run 3 4 5 --fields id,title
expect_rc 0 "merge --dry-run"
expect_out '{"id":3,"title":"CTO"}' "prints the contact as it would be"
is "$(sql 'SELECT count(*) FROM contacts') $(sql 'SELECT count(*) FROM events')" \
    "$contacts $events" "and changes nothing"

run crm-contact merge 3 4 5
expect_rc 0 "merge 3 4 5"
is "$(printf '%s\n' "$OUT" | jq -c '[.id, .name, .email, .phone, .title,
    .external_id, .tags, .fields, .opt_in]')" \
    '[3,"Ada Lovelace","ada@example.org","+49 30 1234567","CTO","A-17",["board","vip"],{"industry":"retail","nick":"countess","other_emails":"ada.l@example.com"},true]' \
    "prints the kept contact: its own fields, the empty ones filled"
is "$(sql 'SELECT group_concat(id) FROM (SELECT id FROM contacts ORDER BY id)')" \
    "1,2,3,6,7,8,9,10,11" \
    "the others are gone"
is "$(sql 'SELECT group_concat(tag) FROM (SELECT tag FROM contact_tags
    WHERE contact_id = 3 ORDER BY tag)')" "board,vip" "tags moved, once each"
is "$(sql 'SELECT count(*) FROM contact_tags WHERE contact_id IN (4, 5)')" \
    0 "no tag left behind"
is "$(sql 'SELECT group_concat(contact_id) FROM activities ORDER BY id')" \
    "3,3" "activities moved"
is "$(sql 'SELECT group_concat(contact_id) FROM deals')" "3,3" "deals moved"
is "$(sql 'SELECT group_concat(segment_id || ":" || contact_id) FROM
    (SELECT * FROM segment_members ORDER BY 1, 2)')" "1:3,2:3" \
    "memberships moved, a duplicate dropped"
is "$(crm-segment members one two --union | jq -r .id)" 3 \
    "the kept contact is in both segments"
is "$(sql "SELECT changes FROM events WHERE action = 'merge'")" \
    '{"merged":[4,5],"filled":{"title":"CTO","external_id":"A-17","fields.industry":"retail","fields.nick":"countess","fields.other_emails":"ada.l@example.com"}}' \
    "one merge event: the ids and what was filled"
is "$(sql "SELECT entity_id, json_extract(changes, '\$.tags')
    FROM events WHERE action = 'delete' ORDER BY id")" '4|["board"]
5|["vip"]' "a delete event for each other, as it was before the merge"
is "$(sql "SELECT count(*) FROM events WHERE action NOT IN ('merge', 'delete')
    AND id > $events")" 0 "and no other event"
run crm-contact search engines
is "$(printf '%s\n' "$OUT" | jq -r .id)" 3 "the search index follows"

run crm-contact dupes --by phone,name
expect_out '{"reason":"name","key":"acme gmbh","company_id":null,"ids":[1,2]}' \
    "those duplicates are no more"

# Companies: the people of the other come along.
run crm-contact merge 1 2
expect_rc 0 "merge two companies"
is "$(sql 'SELECT company_id FROM contacts WHERE id = 9')" 1 \
    "a person of the other company now works for the kept one"
is "$(sql 'SELECT group_concat(company_id) FROM deals')" "1,1" \
    "its deals are the kept company's"

# Consent: whoever unsubscribed stays unsubscribed.
crm-contact update --set unsubscribed_at=2026-11-01 8 >/dev/null
run crm-contact merge grace@example.com 8 7
expect_rc 0 "merge a contact that unsubscribed into one that opted in"
is "$(printf '%s\n' "$OUT" | jq -c '[.opt_in, .unsubscribed_at, .fields]')" \
    '[false,"2026-11-01T00:00:00Z",{}]' "the kept one is unsubscribed"
is "$(sql "SELECT changes FROM events WHERE action = 'merge' AND entity_id = 6")" \
    '{"merged":[8,7],"filled":{"unsubscribed_at":"2026-11-01T00:00:00Z","opt_in":false}}' \
    "the same address in another case is no other address"

# A contact's own address never lands in its other_emails.
crm-contact add --name 'Ada 2' --email ada2@example.org \
    --set 'fields.other_emails=ada@example.org;old@example.org' >/dev/null
run crm-contact merge 3 ada2@example.org --fields fields.other_emails
expect_rc 0 "merge a contact that has other addresses"
expect_out '{"fields.other_emails":"ada.l@example.com;ada2@example.org;old@example.org"}' \
    "they are kept, once each"

# From a pipe: the duplicates of one group, all but the first.
crm-contact add --name 'Linus' --company 1 >/dev/null
crm-contact add --name 'linus' --company 1 >/dev/null
run sh -c "crm-contact dupes --by name | jq -r '.ids[1:][]' |
    crm-contact merge 9 -"
expect_rc 0 "merge KEEP - with the others on stdin"
is "$(sql "SELECT count(*) FROM contacts WHERE name LIKE 'linus'")" 3 \
    "one Linus at Acme, two without a company"

run crm-contact merge - 3
expect_rc 2 "the contact to keep from stdin"
run crm-contact merge 3 1 2
expect_rc 1 "a company merged into a person, among others"
is "$(sql 'SELECT count(*) FROM contacts WHERE id = 1')" 1 "nothing merged"

# Speed: a few grouped queries, not a comparison of every pair.
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < 20000) INSERT INTO contacts (name, email, phone, created_at,
    updated_at) SELECT 'P' || i, 'p' || i || '@bulk.example',
    '+1 555 ' || (1000000 + i % 19000), 'now', 'now' FROM n"
run crm-contact dupes --by phone
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 1000 \
    "20,000 contacts, 1,000 groups by phone"
is "$(printf '%s\n' "$OUT" | head -n 1)" \
    '{"reason":"phone","key":"15551000001","ids":[15,19015]}' \
    "grouped exactly"
