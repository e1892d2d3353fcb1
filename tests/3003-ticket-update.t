#!/bin/sh
# crm-ticket update: priority and queue, the SLA due times that follow,
# many tickets at once, all or nothing, bad values.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 16

crm-ticket open --contact ada@example.org --subject A </dev/null >/dev/null
crm-ticket open --contact ada@example.org --subject B --queue sales \
    </dev/null >/dev/null
crm-ticket sla set urgent --first-response 1h >/dev/null

run crm-ticket update 1 --priority urgent --queue billing --fields id,priority,queue,first_response_due
expect_rc 0 "update"
expect_out '{"id":1,"priority":"urgent","queue":"billing","first_response_due":"2026-11-22T13:00:00Z"}' \
    "the new priority and queue, and the due time of the urgent policy"
is "$(sql "SELECT group_concat(action, ' ') FROM events WHERE entity = 'ticket' AND entity_id = 1 AND action <> 'open'")" \
    "priority queue" "an event for each change"

run crm-ticket update 1 2 --queue '' --fields id,queue -o csv
expect_rc 0 "several tickets, the queue cleared"
expect_out 'id,queue
1,
2,' "both printed"
is "$(sql "SELECT count(*) FROM tickets WHERE queue IS NOT NULL")" 0 \
    "no queue left"

run crm-ticket update 1 --priority low
is "$(sql "SELECT priority || ' ' || coalesce(first_response_due, '-') FROM tickets WHERE id = 1")" \
    "low -" "no policy for low: no due time"

run crm-ticket update 2 99 --priority high
expect_rc 1 "an unknown ticket among others"
expect_err 'crm-ticket: no ticket "99"
crm-ticket: nothing changed: 1 of 2 tickets failed' "named, and nothing changed"
is "$(sql "SELECT priority FROM tickets WHERE id = 2")" normal \
    "and the others are left as they were"

run crm-ticket update 1 --priority huge
expect_rc 2 "an unknown priority"
expect_err 'crm-ticket: unknown priority "huge" (did you mean "high"?)' \
    "with a suggestion"
run crm-ticket update 1
expect_rc 2 "nothing to change"
like "$ERR" "nothing to change: give --priority or --queue" "says what to give"

crm-ticket close 2 >/dev/null
run crm-ticket update 2 --priority urgent
expect_rc 1 "a closed ticket"
is "$(sql "SELECT priority FROM tickets WHERE id = 2")" normal "stays as it was"
