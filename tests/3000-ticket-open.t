#!/bin/sh
# crm-ticket open, show and comment: the contact by any reference (an
# unknown email adds it, in the same transaction), the body from --body
# or stdin as the first comment, replies and internal notes, the first
# response, and bad input that writes nothing.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 38

crm-contact add --name Ada --email ada@example.org >/dev/null

run crm-ticket open --contact ada@example.org --subject "Printer on fire" \
    --body "It burns" --priority high --queue support --channel email
expect_rc 0 "open"
expect_out '{"id":1,"subject":"Printer on fire","contact":"Ada","contact_id":1,"status":"new","priority":"high","queue":"support","channel":"email","assignee":null,"created_at":"2026-11-22T12:00:00Z","updated_at":"2026-11-22T12:00:00Z","first_response_at":null,"resolved_at":null,"closed_at":null,"csat":null,"csat_comment":null,"message_id":null,"first_response_due":null,"next_response_due":null,"next_response_at":null,"resolution_due":null,"due":null,"breached":false}' \
    "prints the new ticket"
is "$(sql "SELECT ticket_id, contact_id, author, body, internal FROM ticket_comments")" \
    "1|1|ada@example.org|It burns|0" "the body is the first comment, by the contact"
is "$(sql "SELECT entity, entity_id, action, json_extract(changes, '\$.contact_id') FROM events WHERE entity = 'ticket'")" \
    "ticket|1|open|1" "an open event with the contact_id"

run crm-ticket open --contact bob@example.org --subject Login --fields id,contact,contact_id </dev/null
expect_rc 0 "open for an unknown email"
expect_out '{"id":2,"contact":"bob@example.org","contact_id":2}' "adds the contact"
is "$(sql "SELECT email FROM contacts WHERE id = 2")" bob@example.org \
    "the contact is stored"
is "$(sql "SELECT count(*) FROM ticket_comments WHERE ticket_id = 2")" 0 \
    "no body: no comment"

printf 'line one\nline two\n\n' | crm-ticket open --contact 1 --subject Piped >/dev/null
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 3")" \
    "$(printf 'line one\nline two')" "the body from a pipe, trailing newlines dropped"
echo "from dash" | crm-ticket open --contact ext:none --subject x --body - 2>/dev/null
is "$?" 1 "an unknown ext: reference fails (exit 1)"
echo "from dash" | crm-ticket open --contact 1 --subject Dash --body - >/dev/null
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 4")" "from dash" \
    "--body - reads stdin"

# Bad input: one line, the status, nothing written.
before=$(sql "SELECT (SELECT count(*) FROM tickets) || (SELECT count(*) FROM contacts) || (SELECT count(*) FROM events)")
run crm-ticket open --subject x </dev/null
expect_rc 2 "no --contact"
expect_err "crm-ticket open: a ticket needs a contact (--contact)
usage: crm-ticket open [options]" "says so, with the usage"
run crm-ticket open --contact 1 </dev/null
expect_rc 2 "no --subject"
run crm-ticket open --contact 1 --subject x --priority hihg </dev/null
expect_rc 2 "an unknown priority"
expect_err 'crm-ticket: --priority: unknown priority "hihg" (did you mean "high"?)' \
    "suggests one"
run crm-ticket open --contact 7 --subject x </dev/null
expect_rc 1 "an unknown contact id"
expect_err 'crm-ticket: no contact "7"' "names it"
run crm-ticket open --contact 'carl@' --subject x </dev/null
expect_rc 1 "an invalid email"
expect_err 'crm-ticket: --contact: invalid email "carl@": no domain' "says why"
printf 'bad \377 byte' | crm-ticket open --contact new@example.org --subject x 2>"$T_DIR/e"
is "$?:$(cat "$T_DIR/e")" "1:crm-ticket: stdin: invalid UTF-8 at byte 5" \
    "a body that is not UTF-8"
is "$(sql "SELECT (SELECT count(*) FROM tickets) || (SELECT count(*) FROM contacts) || (SELECT count(*) FROM events)")" \
    "$before" "nothing written, not even the new contact"

# Comments.
run crm-ticket comment 1 --body "Looking into it"
expect_rc 0 "a public reply"
expect_out '{"id":4,"ticket_id":1,"author":"tester","internal":false,"body":"Looking into it","created_at":"2026-11-22T12:00:00Z","message_id":null}' \
    "prints the comment"
CRM_NOW=2026-11-22T13:00:00Z crm-ticket comment 1 --body "Again" >/dev/null
echo "check the toner" | CRM_NOW=2026-11-22T14:00:00Z crm-ticket comment 1 --internal >/dev/null
run crm-ticket show 1 --fields status,first_response_at,updated_at
expect_out '{"status":"open","first_response_at":"2026-11-22T12:00:00Z","updated_at":"2026-11-22T14:00:00Z"}' \
    "the first reply sets first_response_at and opens a new ticket"
echo "note first" | crm-ticket comment 2 --internal >/dev/null
run crm-ticket show 2 --fields status,first_response_at
expect_out '{"status":"new","first_response_at":null}' "an internal note is no response"
is "$(sql "SELECT group_concat(action || ':' || json_extract(changes, '\$.internal'), ' ') FROM events WHERE entity = 'ticket' AND action = 'comment'")" \
    "comment:0 comment:0 comment:1 comment:1" "every comment is an event"

run crm-ticket show 1 -o json
expect_rc 0 "show"
expect_out '[
{"id":1,"subject":"Printer on fire","contact":"Ada","contact_id":1,"status":"open","priority":"high","queue":"support","channel":"email","assignee":null,"created_at":"2026-11-22T12:00:00Z","updated_at":"2026-11-22T14:00:00Z","first_response_at":"2026-11-22T12:00:00Z","resolved_at":null,"closed_at":null,"csat":null,"csat_comment":null,"message_id":null,"first_response_due":null,"next_response_due":null,"next_response_at":null,"resolution_due":null,"due":null,"breached":false,"comments":[{"id":1,"ticket_id":1,"author":"ada@example.org","internal":false,"body":"It burns","created_at":"2026-11-22T12:00:00Z","message_id":null},{"id":4,"ticket_id":1,"author":"tester","internal":false,"body":"Looking into it","created_at":"2026-11-22T12:00:00Z","message_id":null},{"id":5,"ticket_id":1,"author":"tester","internal":false,"body":"Again","created_at":"2026-11-22T13:00:00Z","message_id":null},{"id":6,"ticket_id":1,"author":"tester","internal":true,"body":"check the toner","created_at":"2026-11-22T14:00:00Z","message_id":null}]}
]' "show prints the thread"
run crm-ticket show '#2' --fields id,comments
expect_out '{"id":2,"comments":[{"id":7,"ticket_id":2,"author":"tester","internal":true,"body":"note first","created_at":"2026-11-22T12:00:00Z","message_id":null}]}' \
    "a #N reference; --fields comments"
run crm-ticket show 1 99
expect_rc 1 "show with an unknown ticket"
expect_err 'crm-ticket: no ticket "99"' "names it"

run crm-ticket comment 1 --body "  "
expect_rc 2 "an empty comment"
run crm-ticket comment 1 2 --body x
expect_rc 2 "one ticket at a time"
run crm-ticket comment 42 --body x
expect_rc 1 "a comment on an unknown ticket"
is "$(sql "SELECT count(*) FROM ticket_comments")" 7 "nothing written"

# A merge of contacts moves their tickets and comments.
crm-contact add --name Ada --email ada2@example.org >/dev/null
crm-ticket open --contact ada2@example.org --subject Dup --body hi >/dev/null
crm-contact merge 1 ada2@example.org >/dev/null
is "$(sql "SELECT contact_id FROM tickets WHERE subject = 'Dup'")" 1 \
    "merge moves the ticket"
is "$(sql "SELECT contact_id FROM ticket_comments WHERE body = 'hi'")" 1 \
    "and the contact's comments"
