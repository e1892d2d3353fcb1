#!/bin/sh
# crm-ticket list: every format, --where over the ticket fields, --sort,
# --limit, bad filters; completion values from the database.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 17

crm-contact add --name Ada --email ada@example.org >/dev/null
crm-contact add --name "Bob, Jr." --email bob@example.org >/dev/null
o() {	# o TIME CONTACT SUBJECT PRIORITY QUEUE
	CRM_NOW=$1 crm-ticket open --contact "$2" --subject "$3" \
	    --priority "$4" --queue "$5" --channel email </dev/null >/dev/null
}
o 2026-11-20T09:00:00Z ada@example.org "Printer on fire" urgent support
o 2026-11-21T09:00:00Z bob@example.org "Invoice, wrong" normal billing
o 2026-11-22T09:00:00Z ada@example.org "Password reset" low support
crm-ticket assign 1 3 --to alice >/dev/null

run crm-ticket list -o table
expect_rc 0 "list"
expect_out 'id  subject          contact   status  priority  queue    assignee  created_at
 1  Printer on fire  Ada       new     urgent    support  alice     2026-11-20T09:00:00Z
 2  Invoice, wrong   Bob, Jr.  new     normal    billing            2026-11-21T09:00:00Z
 3  Password reset   Ada       new     low       support  alice     2026-11-22T09:00:00Z' \
    "table: the default columns"
run crm-ticket list -o csv
expect_out 'id,subject,contact,contact_id,status,priority,queue,channel,assignee,created_at,updated_at,first_response_at,resolved_at,closed_at,csat,csat_comment,message_id,first_response_due,next_response_due,next_response_at,resolution_due,due,breached
1,Printer on fire,Ada,1,new,urgent,support,email,alice,2026-11-20T09:00:00Z,2026-11-22T12:00:00Z,,,,,,,,,,,,false
2,"Invoice, wrong","Bob, Jr.",2,new,normal,billing,email,,2026-11-21T09:00:00Z,2026-11-21T09:00:00Z,,,,,,,,,,,,false
3,Password reset,Ada,1,new,low,support,email,alice,2026-11-22T09:00:00Z,2026-11-22T12:00:00Z,,,,,,,,,,,,false' \
    "csv: every field, quoted where needed"
run crm-ticket list -o tsv --fields id,subject,queue
expect_out "$(printf 'id\tsubject\tqueue\n1\tPrinter on fire\tsupport\n2\tInvoice, wrong\tbilling\n3\tPassword reset\tsupport')" \
    "tsv with --fields"
run crm-ticket list -o json --where 'queue = support and created_at > 2026-11-21' --fields id,subject
expect_out '[
{"id":3,"subject":"Password reset"}
]' "json; --where on queue and a time"
run crm-ticket list -o jsonl --sort -created_at --limit 2 --fields id
expect_out '{"id":3}
{"id":2}' "--sort descending, --limit"
run crm-ticket list --where 'assignee is not set' --fields id
expect_out '{"id":2}' "--where assignee is not set"
run crm-ticket list --where 'contact ~ bob or priority in (urgent, high)' --fields id,contact
expect_out '{"id":1,"contact":"Ada"}
{"id":2,"contact":"Bob, Jr."}' "--where on the contact's name and a priority set"
run crm-ticket list --where 'status = closed'
expect_out '' "nothing matches: no output"

run crm-ticket list --where 'stauts = new'
expect_rc 2 "an unknown field"
expect_err 'crm-ticket: --where: column 1: unknown field "stauts" (did you mean "status"?)' \
    "suggests one"
run crm-ticket list --sort bogus
expect_rc 2 "a bad --sort"
run crm-ticket list --limit 0
expect_rc 2 "a bad --limit"

is "$(crm-ticket --completion-helper values status | tr '\n' ' ')" \
    "new open pending resolved closed " "completes statuses"
is "$(crm-ticket --completion-helper values priority | tr '\n' ' ')" \
    "low normal high urgent " "completes priorities"
is "$(crm-ticket --completion-helper values queue | tr '\n' ' ')" \
    "billing support " "completes queues from the database"
is "$(crm-ticket --completion-helper values to | tr '\n' ' ')" \
    "alice " "completes assignees from the database"
