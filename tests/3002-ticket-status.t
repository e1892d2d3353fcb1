#!/bin/sh
# crm-ticket assign, status, close, reopen, rate and delete: the rules of
# the lifecycle, the times they set, all or nothing over many references
# (stdin too), and an event with the contact_id for every change.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 44

crm-contact add --name Ada --email ada@example.org >/dev/null
for s in A B C D; do
	CRM_NOW=2026-11-20T09:00:00Z crm-ticket open --contact 1 --subject $s \
	    </dev/null >/dev/null
done
events() {
	sql "SELECT count(*) FROM events WHERE entity = 'ticket'"
}

# assign
run crm-ticket assign 1 2 --to alice --fields id,assignee,updated_at
expect_rc 0 "assign two"
expect_out '{"id":1,"assignee":"alice","updated_at":"2026-11-22T12:00:00Z"}
{"id":2,"assignee":"alice","updated_at":"2026-11-22T12:00:00Z"}' \
    "prints them"
n=$(events)
run crm-ticket assign 1 3 9 --to bob
expect_rc 1 "one unknown ticket among three"
expect_err 'crm-ticket: no ticket "9"
crm-ticket: nothing changed: 1 of 3 tickets failed' "says which, and that nothing changed"
is "$(sql "SELECT group_concat(a, ' ') FROM (SELECT coalesce(assignee, '-') a FROM tickets ORDER BY id)")" \
    "alice alice - -" "all or nothing"
is "$(events)" "$n" "no event"
run crm-ticket assign 1 2 --to alice
is "$(events)" "$n" "the same assignee again: no change, no event"
crm-ticket list --fields id --where 'assignee = alice' |
    crm-ticket assign - --unassign --fields id,assignee >"$T_DIR/o"
is "$(cat "$T_DIR/o")" '{"id":1,"assignee":null}
{"id":2,"assignee":null}' "--unassign over references on stdin"
run crm-ticket assign 1
expect_rc 2 "neither --to nor --unassign"
expect_err 'crm-ticket assign: give one of --to NAME or --unassign
usage: crm-ticket assign [options] ID...' "a usage error"
is "$(sql "SELECT json_extract(changes, '\$.contact_id') || ':' || json_extract(changes, '\$.assignee.new') FROM events WHERE entity = 'ticket' AND action = 'assign' ORDER BY id LIMIT 1")" \
    "1:alice" "the assign event: contact_id, old and new"

# status
run crm-ticket status 1 2 pending --fields id,status
expect_rc 0 "status of two"
expect_out '{"id":1,"status":"pending"}
{"id":2,"status":"pending"}' "both pending"
CRM_NOW=2026-11-23T10:00:00Z crm-ticket status 1 resolved >/dev/null
run crm-ticket show 1 --fields status,resolved_at,closed_at
expect_out '{"status":"resolved","resolved_at":"2026-11-23T10:00:00Z","closed_at":null}' \
    "resolved sets resolved_at"
run crm-ticket status 1 opne
expect_rc 2 "an unknown status"
expect_err 'crm-ticket: unknown status "opne" (did you mean "open"?)' "suggests one"
run crm-ticket status 1 new
expect_rc 2 "back to new"
expect_err 'crm-ticket: a ticket cannot go back to new' "is refused"
run crm-ticket status 1
expect_rc 2 "no status"

# rate
run crm-ticket rate 2 5
expect_rc 1 "rating a pending ticket"
expect_err 'crm-ticket: ticket 2 is pending: only resolved or closed tickets take a rating' \
    "says why"
run crm-ticket rate 1 6
expect_rc 2 "a score out of range"
run crm-ticket rate 1 4 --comment "quick, thanks" --fields id,csat,csat_comment
expect_rc 0 "rate a resolved ticket"
expect_out '{"id":1,"csat":4,"csat_comment":"quick, thanks"}' "stores score and comment"
is "$(sql "SELECT changes FROM events WHERE action = 'rate'")" \
    '{"contact_id":1,"csat":{"old":null,"new":4},"csat_comment":{"old":null,"new":"quick, thanks"}}' \
    "the rate event"

# close
CRM_NOW=2026-11-24T10:00:00Z crm-ticket close 1 3 >/dev/null
run crm-ticket list --where 'status = closed' --fields id,resolved_at,closed_at
expect_out '{"id":1,"resolved_at":"2026-11-23T10:00:00Z","closed_at":"2026-11-24T10:00:00Z"}
{"id":3,"resolved_at":"2026-11-24T10:00:00Z","closed_at":"2026-11-24T10:00:00Z"}' \
    "close sets closed_at, and resolved_at when unresolved"
n=$(events)
run crm-ticket close 1
expect_rc 0 "closing a closed ticket"
is "$(events)" "$n" "is no change"
for verb in "status 1 open" "assign 1 --to x" "comment 1 --body x"; do
	# shellcheck disable=SC2086 # the verb and its arguments, split
	run crm-ticket $verb
	is "$RC:$ERR" "1:crm-ticket: ticket 1 is closed: reopen it first" \
	    "a closed ticket refuses: $verb"
done
run crm-ticket rate 3 2 --fields csat
expect_out '{"csat":2}' "a closed ticket takes a rating"

# reopen
run crm-ticket reopen 2
expect_rc 1 "reopen a pending ticket"
expect_err 'crm-ticket: ticket 2 is pending: only resolved or closed tickets reopen' \
    "says why"
run crm-ticket reopen 1 3 --fields id,status,resolved_at,closed_at,csat
expect_rc 0 "reopen two closed tickets"
expect_out '{"id":1,"status":"open","resolved_at":null,"closed_at":null,"csat":4}
{"id":3,"status":"open","resolved_at":null,"closed_at":null,"csat":2}' \
    "open again, the times cleared, the rating kept"

# delete
crm-ticket comment 4 --body hello >/dev/null
run crm-ticket delete 4 99
expect_rc 1 "delete with an unknown ticket"
is "$(sql "SELECT count(*) FROM tickets")" 4 "deletes nothing"
run crm-ticket delete 4
expect_rc 0 "delete"
expect_out '' "prints nothing"
is "$(sql "SELECT (SELECT count(*) FROM tickets) || ' ' || (SELECT count(*) FROM ticket_comments WHERE ticket_id = 4)")" \
    "3 0" "the ticket and its comments are gone"
is "$(sql "SELECT json_extract(changes, '\$.contact_id') || ' ' || json_extract(changes, '\$.subject') FROM events WHERE action = 'delete'")" \
    "1 D" "the delete event keeps the record"
crm-ticket open --contact 1 --subject E </dev/null >/dev/null
is "$(sql "SELECT max(id) FROM tickets")" 5 "a deleted ticket's number is not given again"

is "$(sql "SELECT count(*) FROM events WHERE entity = 'ticket' AND json_extract(changes, '\$.contact_id') IS NULL")" \
    0 "every ticket event carries the contact_id"
