#!/bin/sh
# crm-ticket sla, calendar and escalate: policies per priority and queue,
# business calendars with holidays, due times stored on the tickets and
# recomputed on every change (pending pauses the clock), breached and due
# in filters, the priority sort by rank, and escalation for cron.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 74

F=id,first_response_due,next_response_due,resolution_due,due,breached
count() {
	sql "SELECT count(*) FROM $1"
}
crm-contact add --name Ada --email ada@example.org >/dev/null

# calendars
run crm-ticket calendar set office --hours 'Mon-Fri 09:00-17:00' \
    --tz Europe/Berlin
expect_rc 0 "calendar set"
expect_out '{"name":"office","tz":"Europe/Berlin","hours":"Mon-Fri 09:00-17:00","holidays":[],"updated_at":"2026-11-22T12:00:00Z"}' \
    "prints the calendar"
run crm-ticket calendar set bad --hours 'Mon-Fri 09:00-17:00' \
    --tz Mars/Olympus
expect_rc 2 "an unknown zone"
expect_err 'crm-ticket: --tz: unknown time zone "Mars/Olympus" (use a name such as Europe/Berlin)' \
    "names it"
run crm-ticket calendar set bad --hours 'Mon-Fry 09:00-17:00' --tz UTC
expect_rc 2 "bad hours"
expect_err 'crm-ticket: --hours: column 5: expected a day (Mon to Sun), got "Fry"' \
    "says where"
run crm-ticket calendar set bad --tz UTC
expect_rc 2 "a new calendar without hours"
expect_err 'crm-ticket: a new calendar needs --hours and --tz' "says what"
is "$(count sla_calendars)" 1 "nothing written"
run crm-ticket calendar holiday office add 2026-11-23 --fields holidays
expect_rc 0 "a holiday"
expect_out '{"holidays":["2026-11-23"]}' "listed"
run crm-ticket calendar holiday office add 2026-13-01
expect_rc 2 "a bad date"
expect_err 'crm-ticket: invalid date "2026-13-01" (use YYYY-MM-DD)' \
    "is refused"
run crm-ticket calendar holiday nope add 2026-12-24
expect_rc 1 "an unknown calendar"
expect_err 'crm-ticket: no calendar "nope"' "is named"
run crm-ticket calendar holiday office move 2026-12-24
expect_rc 2 "neither add nor delete"
expect_err 'crm-ticket: holiday: expected add or delete, got "move"' "says so"
run crm-ticket calendar show office --tz UTC
expect_rc 2 "--tz outside set"

# policies
run crm-ticket sla set high --first-response 4h --next-response 2h \
    --resolution 2d --calendar office
expect_rc 0 "sla set"
expect_out '{"priority":"high","queue":null,"first_response":"4h","next_response":"2h","resolution":"2d","calendar":"office","updated_at":"2026-11-22T12:00:00Z"}' \
    "prints the policy"
crm-ticket sla set high --queue billing --first-response 30m >/dev/null
crm-ticket sla set normal --first-response 1d --resolution 1w >/dev/null
run crm-ticket sla set hgh --first-response 1h
expect_rc 2 "an unknown priority"
expect_err 'crm-ticket: unknown priority "hgh" (did you mean "high"?)' \
    "suggests one"
run crm-ticket sla set low --first-response 4x
expect_rc 2 "a bad duration"
expect_err 'crm-ticket sla: --first-response: invalid duration "4x" (use a number and m, h, d or w: 30m, 4h, 1h30m)
usage: crm-ticket sla [options] set|list|show|delete [PRIORITY]' \
    "a usage error"
run crm-ticket sla set low --first-response 1h --calendar home
expect_rc 1 "an unknown calendar"
expect_err 'crm-ticket: --calendar: no calendar "home"' "is named"
is "$(count sla_policies)" 3 "three policies"
run crm-ticket sla list -o csv
expect_out 'priority,queue,first_response,next_response,resolution,calendar,updated_at
normal,,1d,,7d,,2026-11-22T12:00:00Z
high,,4h,2h,2d,office,2026-11-22T12:00:00Z
high,billing,30m,,,,2026-11-22T12:00:00Z' "list by rank and queue"
run crm-ticket sla show low
expect_rc 1 "no policy"
expect_err 'crm-ticket: no SLA policy for priority low' "says so"
run crm-ticket sla list --resolution 1h
expect_rc 2 "targets outside set"
n=$(count events)
run crm-ticket sla set normal --resolution 1w
expect_rc 0 "the same again"
is "$(count events)" "$n" "no change, no event"

# due times (2026-11-20 is a Friday; 08:00Z is 09:00 in Berlin)
o() {	# o TIME PRIORITY [QUEUE]
	CRM_NOW=$1 crm-ticket open --contact 1 --subject "$2" --priority "$2" \
	    ${3:+--queue "$3"} </dev/null >/dev/null
}
o 2026-11-20T08:00:00Z high
o 2026-11-20T08:00:00Z high billing
o 2026-11-20T08:00:00Z normal
o 2026-11-20T08:00:00Z low
run env CRM_NOW=2026-11-20T09:00:00Z crm-ticket list --fields $F
expect_out '{"id":1,"first_response_due":"2026-11-20T12:00:00Z","next_response_due":null,"resolution_due":"2026-11-30T16:00:00Z","due":"2026-11-20T12:00:00Z","breached":false}
{"id":2,"first_response_due":"2026-11-20T08:30:00Z","next_response_due":null,"resolution_due":null,"due":"2026-11-20T08:30:00Z","breached":true}
{"id":3,"first_response_due":"2026-11-21T08:00:00Z","next_response_due":null,"resolution_due":"2026-11-27T08:00:00Z","due":"2026-11-21T08:00:00Z","breached":false}
{"id":4,"first_response_due":null,"next_response_due":null,"resolution_due":null,"due":null,"breached":false}' \
    "working hours, the Monday holiday, the queue's policy, none for low"
crm-ticket calendar holiday office delete 2026-11-23 >/dev/null
is "$(crm-ticket show 1 --fields resolution_due)" \
    '{"resolution_due":"2026-11-27T16:00:00Z"}' \
    "a calendar change recomputes: no holiday, three days sooner"
is "$(sql "SELECT json_extract(changes, '\$.tickets_recomputed') FROM events WHERE entity = 'calendar' ORDER BY id DESC LIMIT 1")" \
    4 "the calendar's event counts the tickets"
crm-ticket calendar holiday office add 2026-11-23 >/dev/null
CRM_NOW=2026-11-20T08:00:00Z crm-ticket sla set normal --first-response 2h \
    >/dev/null
is "$(crm-ticket show 3 --fields first_response_due)" \
    '{"first_response_due":"2026-11-20T10:00:00Z"}' \
    "a policy change recomputes"

# filters and sort
run env CRM_NOW=2026-11-20T09:00:00Z crm-ticket list --where breached \
    --fields id
expect_out '{"id":2}' "breached at 09:00"
run env CRM_NOW=2026-11-20T11:30:00Z crm-ticket list --where 'due < +1h' \
    --fields id,due
expect_out '{"id":1,"due":"2026-11-20T12:00:00Z"}
{"id":2,"due":"2026-11-20T08:30:00Z"}
{"id":3,"due":"2026-11-20T10:00:00Z"}' "due within the hour"
run env CRM_NOW=2026-11-20T11:30:00Z crm-ticket list \
    --where 'due < +1h and not breached' --fields id
expect_out '{"id":1}' "about to breach"
run crm-ticket list --where 'breached = maybe'
expect_rc 2 "a bad filter value"
run crm-ticket list --sort priority --fields id,priority -o csv
expect_out 'id,priority
4,low
3,normal
1,high
2,high' "--sort priority: by rank"
run crm-ticket list --sort -priority,-id --fields id -o tsv
expect_out 'id
2
1
3
4' "descending"

# the clock through a ticket's life
CRM_NOW=2026-11-20T10:00:00Z crm-ticket comment 1 --body "on it" >/dev/null
run crm-ticket show 1 --fields $F,first_response_at
expect_out '{"id":1,"first_response_due":"2026-11-20T12:00:00Z","next_response_due":null,"resolution_due":"2026-11-30T16:00:00Z","due":"2026-11-30T16:00:00Z","breached":false,"first_response_at":"2026-11-20T10:00:00Z"}' \
    "the first response is met; due is the resolution"
CRM_NOW=2026-11-20T10:00:00Z crm-ticket status 1 pending >/dev/null
run crm-ticket show 1 --fields resolution_due,due
expect_out '{"resolution_due":null,"due":null}' "pending: the clock stands"
CRM_NOW=2026-11-24T09:00:00Z crm-ticket status 1 open >/dev/null
run crm-ticket show 1 --fields resolution_due
expect_out '{"resolution_due":"2026-12-01T15:00:00Z"}' \
    "open again: 2h were used, 46h are left from Tuesday 10:00"
is "$(sql 'SELECT started_at, ended_at FROM sla_pauses')" \
    "2026-11-20T10:00:00Z|2026-11-24T09:00:00Z" "the pause is kept"
printf 'From: Ada <ada@example.org>\nTo: support@example.com\nSubject: Re: [#1] high\nMessage-ID: <r1@example.org>\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n\nStill broken.\n' |
    CRM_NOW=2026-11-24T10:00:00Z crm-ticket ingest >/dev/null 2>&1
run crm-ticket show 1 --fields next_response_due,next_response_at
expect_out '{"next_response_due":"2026-11-24T12:00:00Z","next_response_at":null}' \
    "the customer writes: the next response is due in 2 working hours"
CRM_NOW=2026-11-24T13:00:00Z crm-ticket comment 1 --body "fixed?" >/dev/null
run env CRM_NOW=2026-11-24T13:00:00Z crm-ticket show 1 \
    --fields next_response_due,next_response_at,breached
expect_out '{"next_response_due":"2026-11-24T12:00:00Z","next_response_at":"2026-11-24T13:00:00Z","breached":true}' \
    "answered an hour late: breached"
crm-ticket status 4 resolved >/dev/null

# escalate
run env CRM_NOW=2026-11-25T12:00:00Z crm-ticket escalate --raise --dry-run \
    -o csv
expect_rc 0 "a dry run"
expect_out 'id,subject,targets,due,old_priority,priority,old_assignee,assignee,dry_run
1,high,next_response,2026-11-24T12:00:00Z,high,urgent,,,true
2,high,first_response,2026-11-20T08:30:00Z,high,urgent,,,true
3,normal,first_response,2026-11-20T10:00:00Z,normal,high,,,true' \
    "says what it would do"
is "$(sql 'SELECT group_concat(priority) FROM (SELECT priority FROM tickets ORDER BY id)')" \
    "high,high,normal,low" "and does nothing"
is "$(count sla_escalations)" 0 "nothing noted"
n=$(count events)
run env CRM_NOW=2026-11-25T12:00:00Z crm-ticket escalate --raise --to bob \
    --fields id,targets,priority,assignee,dry_run
expect_rc 0 "escalate"
expect_out '{"id":1,"targets":"next_response","priority":"urgent","assignee":"bob","dry_run":false}
{"id":2,"targets":"first_response","priority":"urgent","assignee":"bob","dry_run":false}
{"id":3,"targets":"first_response","priority":"high","assignee":"bob","dry_run":false}' \
    "raised and reassigned"
is "$(sql 'SELECT group_concat(p) FROM (SELECT priority || ":" || assignee p FROM tickets WHERE id < 4 ORDER BY id)')" \
    "urgent:bob,urgent:bob,high:bob" "stored"
is "$(sql "SELECT group_concat(action) FROM (SELECT action FROM events WHERE id > $n ORDER BY id)")" \
    "priority,assign,escalate,priority,assign,escalate,priority,assign,escalate" \
    "an event for every change"
is "$(sql "SELECT json_extract(changes, '\$.contact_id') || ' ' || json_extract(changes, '\$.targets') FROM events WHERE action = 'escalate' ORDER BY id LIMIT 1")" \
    "1 next_response" "the escalate event"
is "$(crm-ticket show 3 --fields first_response_due)" \
    '{"first_response_due":"2026-11-20T12:00:00Z"}' \
    "the new priority's policy applies"
run env CRM_NOW=2026-11-26T12:00:00Z crm-ticket escalate --raise
expect_rc 0 "again"
expect_out '' "nothing more: each target once"
run env CRM_NOW=2026-12-01T12:00:00Z crm-ticket escalate --raise -o table
expect_out 'id  subject  targets     due                   old_priority  priority  old_assignee  assignee  dry_run
 3  normal   resolution  2026-11-30T16:00:00Z  high          urgent    bob           bob       false' \
    "a later breach of another target"
run crm-ticket escalate
expect_rc 2 "neither --raise nor --to"
expect_err 'crm-ticket escalate: give --raise, --to NAME or both
usage: crm-ticket escalate [options]' "a usage error"
run crm-ticket escalate --to ' '
expect_rc 2 "an empty assignee"
expect_err 'crm-ticket escalate: --to: the assignee is empty
usage: crm-ticket escalate [options]' "is refused"

# the rest of the policy verbs
run crm-ticket sla delete high --queue billing
expect_rc 0 "sla delete"
run crm-ticket sla show high --queue billing
expect_rc 1 "gone"
expect_err 'crm-ticket: no SLA policy for priority high in queue "billing"' \
    "says which"
run crm-ticket sla set high --calendar none --fields calendar
expect_out '{"calendar":null}' "--calendar none"
run crm-ticket calendar delete office
expect_rc 0 "an unused calendar goes"
crm-ticket calendar set office --hours 'Mon-Fri 09:00-17:00' --tz UTC \
    >/dev/null
crm-ticket sla set high --calendar office >/dev/null
run crm-ticket calendar delete office
expect_rc 1 "one in use stays"
expect_err 'crm-ticket: calendar "office" is in use by 1 SLA policy' "why"
run crm-ticket calendar list --fields name,tz,holidays -o csv
expect_out 'name,tz,holidays
office,UTC,' "calendar list"
