#!/bin/sh
# crm-contact unsubscribe, subscribe, gdpr-export and forget.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 70

crm-contact add --kind company --name 'Acme GmbH' >/dev/null		# 1
crm-contact add --name 'Ada Lovelace' --email ada@example.org \
    --phone '+49 30 1234567' --company 'Acme GmbH' --title CTO --external-id A-17 \
    --tag vip --set fields.nick=countess --opt-in >/dev/null		# 2
crm-contact add --name 'Grace Hopper' --email grace@example.com \
    --opt-in >/dev/null							# 3
crm-contact log 2 --type call --subject 'talked engines with Ada' \
    --body 'Ada Lovelace prefers email' >/dev/null
crm-contact log 3 --type note --subject 'compilers' >/dev/null
crm-contact update --title 'Chief Analyst' 2 >/dev/null
crm-deal add --title 'Ada renewal' --contact 2 --company 1 --amount 1200 \
    >/dev/null

# Unsubscribe and subscribe.
run crm-contact unsubscribe --source web-form --at 2026-11-20T09:00:00Z \
    ada@example.org
expect_rc 0 "unsubscribe by email, with a source and a time"
expect_out '' "prints nothing"
is "$(sql 'SELECT opt_in, unsubscribed_at, consent_source, consent_at
    FROM contacts WHERE id = 2')" \
    '0|2026-11-20T09:00:00Z|web-form|2026-11-20T09:00:00Z' \
    "opt_in off, the time and source stored"
is "$(sql 'SELECT email, source, created_at FROM suppressions')" \
    'ada@example.org|web-form|2026-11-20T09:00:00Z' \
    "the address is on the suppression list"
is "$(sql "SELECT entity, entity_id, changes FROM events
    WHERE action = 'unsubscribe'")" \
    'contact|2|{"opt_in":{"old":true,"new":false},"unsubscribed_at":{"old":null,"new":"2026-11-20T09:00:00Z"},"source":"web-form"}' \
    "an unsubscribe event"

run crm-contact unsubscribe 2
expect_rc 0 "unsubscribing again"
is "$(sql "SELECT count(*) || ' ' || max(unsubscribed_at) FROM events, contacts
    WHERE action = 'unsubscribe' AND contacts.id = 2")" \
    '1 2026-11-20T09:00:00Z' "changes nothing, records nothing"

run crm-contact unsubscribe --source bounce gone@example.net
expect_rc 0 "unsubscribe an address no contact has"
is "$(sql 'SELECT count(*) FROM contacts')" 3 "creates no contact"
is "$(sql "SELECT email || ' ' || source FROM suppressions WHERE id = 2")" \
    'gone@example.net bounce' "but lists the address"
is "$(sql "SELECT entity || ' ' || changes FROM events
    WHERE entity = 'suppression'")" \
    'suppression {"email":"gone@example.net","source":"bounce","at":"2026-11-22T12:00:00Z"}' \
    "with an event of its own"

run crm-contact add --name Gone --email Gone@Example.NET --opt-in \
    --fields opt_in,unsubscribed_at
expect_rc 0 "add a contact with a listed address"
expect_out '{"opt_in":false,"unsubscribed_at":"2026-11-22T12:00:00Z"}' \
    "it cannot opt in: the list wins"			# 4
is "$(sql "SELECT json_extract(changes, '\$.opt_in') FROM events
    WHERE action = 'add' AND entity_id = 4")" 0 "its add event says so"

events=$(sql 'SELECT count(*) FROM events')
run crm-contact unsubscribe 3 99 nobody
expect_rc 1 "unknown references"
expect_err 'crm-contact: no contact "99"
crm-contact: no contact "nobody"
crm-contact: nothing changed: 2 of 3 contacts failed' "are named"
is "$(sql 'SELECT opt_in FROM contacts WHERE id = 3')
$(sql 'SELECT count(*) FROM events')" "1
$events" "all or nothing"

run crm-contact unsubscribe --source '' 3
expect_rc 2 "an empty --source"
run crm-contact subscribe --at never 3
expect_rc 2 "a bad --at"
expect_err 'crm-contact subscribe: --at: invalid time "never" (use 2026-11-22T10:00:00Z, 2026-11-22 or -3d)
usage: crm-contact subscribe [options] REF...' "says what it takes"

run crm-contact subscribe --source phone 2
expect_rc 0 "subscribe"
is "$(sql "SELECT opt_in, unsubscribed_at IS NULL, consent_source, consent_at
    FROM contacts WHERE id = 2")" '1|1|phone|2026-11-22T12:00:00Z' \
    "opt_in on, unsubscribed_at cleared, the source stored"
is "$(sql "SELECT count(*) FROM suppressions WHERE email = 'ada@example.org'")" \
    0 "off the suppression list"
is "$(sql "SELECT changes FROM events WHERE action = 'subscribe'")" \
    '{"opt_in":{"old":false,"new":true},"unsubscribed_at":{"old":"2026-11-20T09:00:00Z","new":null},"source":"phone"}' \
    "a subscribe event"

run sh -c 'echo "{\"email\":\"gone@example.net\"}" | crm-contact subscribe -'
expect_rc 0 "subscribe a record from stdin by its email"
is "$(sql 'SELECT opt_in, unsubscribed_at FROM contacts WHERE id = 4')
$(sql 'SELECT count(*) FROM suppressions')" "1|
0" "subscribed, and off the list"

run crm-contact subscribe nobody@example.org
expect_rc 1 "subscribe an address nobody has"
expect_err 'crm-contact: no contact "nobody@example.org"' "is an error"

crm-contact unsubscribe 2 >/dev/null
# A duplicate merged into Ada: its past belongs to her export.
crm-contact add --name 'A. Lovelace' --email a.lovelace@example.com \
    --phone '+44 20 7946 0000' >/dev/null			# 5
crm-contact merge 2 5 >/dev/null
# Ids are never reused: the next contact gets a new one.
crm-contact add --name 'Someone Else' --email else@example.org >/dev/null	# 6

# gdpr-export
run crm-contact gdpr-export ada@example.org
expect_rc 0 "gdpr-export"
is "$(printf '%s\n' "$OUT" | jq -c 'keys_unsorted')" \
    '["exported_at","contact","privacy","merged_ids","activities","deals","tickets","campaign_sends","segments","scores","events"]' \
    "one document, these keys in this order"
is "$(printf '%s\n' "$OUT" | head -n 3)" '{
  "exported_at": "2026-11-22T12:00:00Z",
  "contact": {' "pretty-printed, even in a pipe"
is "$(printf '%s\n' "$OUT" | jq -c '.contact | [.id, .name, .email, .tags,
    .fields]')" \
    '[2,"Ada Lovelace","ada@example.org",["vip"],{"nick":"countess","other_emails":"a.lovelace@example.com"}]' \
    "the contact record, tags and custom fields"
is "$(printf '%s\n' "$OUT" | jq -c .privacy)" \
    '{"opt_in":false,"unsubscribed_at":"2026-11-22T12:00:00Z","consent_source":"cli","consent_at":"2026-11-22T12:00:00Z","suppressed":true,"forgotten_at":null}' \
    "consent, the suppression list, forgotten or not"
is "$(printf '%s\n' "$OUT" | jq -c '[.merged_ids, [.activities[].subject],
    .tickets, .campaign_sends]')" \
    '[[5],["talked engines with Ada"],[],[]]' \
    "contacts merged in, activities; tables not there yet are empty"
is "$(printf '%s\n' "$OUT" | jq -c '[.deals[] | [.title, .amount]]')" \
    '[["Ada renewal",120000]]' "deals, as stored"
is "$(printf '%s\n' "$OUT" | jq -c '[.events[] | [.entity, .entity_id,
    .action]]')" \
    '[["contact",2,"add"],["activity",1,"add"],["contact",2,"update"],["deal",1,"add"],["contact",2,"unsubscribe"],["contact",2,"subscribe"],["contact",2,"unsubscribe"],["contact",5,"add"],["contact",5,"delete"],["contact",2,"merge"]]' \
    "the events about her, her rows and her merged past, in order"
is "$(printf '%s\n' "$OUT" | jq -c '.events[1].changes.subject')" \
    '"talked engines with Ada"' "events with what they recorded"

run crm-contact gdpr-export 2 3
expect_rc 2 "gdpr-export takes one contact"
run crm-contact gdpr-export 99
expect_rc 1 "gdpr-export of no contact"
expect_err 'crm-contact: no contact "99"' "says so"

# forget
run crm-contact forget 3 99
expect_rc 1 "forget with an unknown reference"
is "$(sql 'SELECT name FROM contacts WHERE id = 3')" 'Grace Hopper' \
    "forgets nobody"

before=$(sql 'SELECT count(*) FROM events')
run crm-contact forget ada@example.org
expect_rc 0 "forget"
expect_out '' "prints nothing"
is "$(sql "SELECT kind, name, email, phone, company_id, title, external_id,
    fields, opt_in, unsubscribed_at, consent_source, forgotten_at
    FROM contacts WHERE id = 2")" \
    'person|forgotten||||||{}|0|||2026-11-22T12:00:00Z' \
    "an anonymised tombstone stays, kind and time kept"
is "$(sql 'SELECT count(*) FROM contact_tags WHERE contact_id = 2')" 0 \
    "no tags"
is "$(sql 'SELECT subject, body IS NULL FROM activities WHERE contact_id = 2')" \
    'forgotten|1' "activity subjects and bodies erased"
is "$(sql 'SELECT title, amount, contact_id, company_id FROM deals')" \
    'forgotten|120000|2|1' "deals keep their amount and links, not their title"
is "$(sql 'SELECT count(*) FROM events')" $((before + 1)) \
    "events keep their rows, one more"
is "$(sql "SELECT changes FROM events WHERE action = 'forget'")" \
    '{"forgotten_at":"2026-11-22T12:00:00Z"}' "a forget event without the data"
is "$(sql "SELECT group_concat(entity || entity_id || action) FROM
    (SELECT * FROM events WHERE changes IS NULL ORDER BY id)")" \
    "contact2add,activity1add,contact2update,deal1add,contact2unsubscribe,contact2subscribe,contact2unsubscribe,contact5add,contact5delete,contact2merge" \
    "every event about her says nothing any more"
is "$(sql "SELECT json_extract(changes, '\$.name') FROM events
    WHERE entity = 'contact' AND entity_id = 6")" 'Someone Else' \
    "the next contact, with a new id, keeps its events"
for word in Lovelace ada@example.org a.lovelace 1234567 7946 countess \
    A-17 engines Analyst renewal; do
	is "$(sql "SELECT
	    (SELECT count(*) FROM contacts WHERE instr(name || fields ||
	        coalesce(email, '') || coalesce(phone, '') ||
	        coalesce(title, '') || coalesce(external_id, ''), '$word')) +
	    (SELECT count(*) FROM contact_tags WHERE instr(tag, '$word')) +
	    (SELECT count(*) FROM events WHERE instr(changes, '$word')) +
	    (SELECT count(*) FROM activities WHERE instr(subject ||
	        coalesce(body, ''), '$word')) +
	    (SELECT count(*) FROM suppressions WHERE instr(email, '$word')) +
	    (SELECT count(*) FROM deals WHERE instr(title, '$word')) +
	    (SELECT count(*) FROM contact_search WHERE contact_search
	        MATCH '\"' || lower('$word') || '\"')")" 0 "no trace of $word"
done
is "$(sql "SELECT count(*) FROM contact_search_data
    WHERE instr(block, CAST('lovelace' AS BLOB))")" 0 \
    "the search index holds not even the word"
run crm-contact search lovelace
expect_out '' "search finds nothing"
is "$(sql 'SELECT name, opt_in FROM contacts WHERE id = 3')
$(sql 'SELECT subject FROM activities WHERE contact_id = 3')" 'Grace Hopper|1
compilers' "others are untouched"

run crm-contact gdpr-export 2
is "$(printf '%s\n' "$OUT" | jq -c '[.contact.name, .privacy.forgotten_at,
    [.events[].changes | select(. != null)]]')" \
    '["forgotten","2026-11-22T12:00:00Z",[{"forgotten_at":"2026-11-22T12:00:00Z"}]]' \
    "an export after forget holds nothing but the tombstone"

run crm-contact merge 3 2
expect_rc 1 "merge a forgotten contact"
expect_err 'crm-contact: contact 2 was forgotten: it cannot be merged' "is refused"
run crm-contact subscribe 2
expect_rc 1 "subscribe a forgotten contact"
expect_err 'crm-contact: contact 2 was forgotten' "is refused"
