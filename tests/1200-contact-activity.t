#!/bin/sh
# crm-contact log, task, tasks, done and timeline: records, filters,
# formats, all or nothing, errors, events, the timeline's order.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 82

T=2026-11-22T12:00:00Z
# act ID CONTACT_ID CONTACT TYPE SUBJECT BODY AT DUE DONE OWNER: a record;
# BODY, DUE and DONE are JSON (null or "...").
act() {
	printf '{"id":%s,"contact_id":%s,"contact":"%s","deal_id":null,' \
	    "$1" "$2" "$3"
	printf '"ticket_id":null,"type":"%s","subject":"%s","body":%s,' \
	    "$4" "$5" "$6"
	printf '"at":"%s","due_at":%s,"done_at":%s,"owner":"%s",' \
	    "$7" "$8" "$9" "${10}"
	printf '"created_at":"%s","updated_at":"%s"}' "$T" "${11:-$T}"
}
count() { sql 'SELECT count(*) FROM activities'; }

CRM_NOW=2026-11-19T08:00:00Z crm-contact add --name "Ada Lovelace" \
    --email ada@example.org >/dev/null
crm-contact add --name "Björn Ångström" --email bjorn@example.se >/dev/null
crm-contact add --email nameless@example.org >/dev/null

# --- log ----------------------------------------------------------------

run crm-contact log ada@example.org --type call --subject "Intro call" \
    --body "Talked pricing" --at 2026-11-20T09:30:00Z
expect_rc 0 "log a call"
expect_out "$(act 1 1 "Ada Lovelace" call "Intro call" '"Talked pricing"' \
    2026-11-20T09:30:00Z null null tester)" "log prints the activity"
expect_err "" "nothing on stderr"
is "$(sql 'SELECT contact_id, type, subject, body, at, owner FROM activities')" \
    "1|call|Intro call|Talked pricing|2026-11-20T09:30:00Z|tester" "stored"

run sh -c "printf 'Minutes:\n- one\n- two\n\n' | crm-contact log 2 --type meeting \
    --subject ' Kick-off ' --body - --owner sam --at 2026-11-21T15:00+01:00"
expect_rc 0 "log a meeting, body from stdin"
expect_out "$(act 2 2 "Björn Ångström" meeting Kick-off \
    '"Minutes:\n- one\n- two"' 2026-11-21T14:00:00Z null null sam)" \
    "stdin body without its last line ends, subject trimmed, time in UTC"

run crm-contact log 3 --type note --subject "Met at the fair"
expect_rc 0 "a note, at now by default"
expect_out "$(act 3 3 nameless@example.org note "Met at the fair" null "$T" \
    null null tester)" "a contact without a name is named by its email"

run crm-contact log 1 --type email --subject "Re: pricing" --at -1d -o table \
    --fields id,type,at
expect_out 'id  type   at
 4  email  2026-11-21T12:00:00Z' "a relative time, as a table"

n=$(count)
run crm-contact log 1 --type fax --subject x
expect_rc 2 "an unknown type"
expect_err 'crm-contact: --type: unknown type "fax" (use call, email, meeting or note)' \
    "lists the types"
run crm-contact log 1 --type task --subject x
expect_rc 2 "log --type task"
expect_err 'crm-contact: --type: add tasks with crm-contact task' \
    "points to task"
run crm-contact log 1 --subject x
expect_rc 2 "no --type"
expect_err 'crm-contact log: --type is required (call, email, meeting or note)
usage: crm-contact log [options] REF' "says so, with the usage"
run crm-contact log 1 --type call
expect_rc 2 "no --subject"
run crm-contact log 1 --type call --subject x --at soon
expect_rc 2 "a bad time"
expect_err 'crm-contact: --at: invalid time "soon": expected a time such as 2026-11-22T10:00:00Z, 2026-11-22, today or +3d' \
    "names the option and the value"
run crm-contact log nobody@example.org --type call --subject x
expect_rc 1 "an unknown contact"
expect_err 'crm-contact: no contact "nobody@example.org"' "names it"
run crm-contact log 1 --type call --subject "   "
expect_rc 1 "a blank subject"
expect_err 'crm-contact: empty subject' "is refused"
run crm-contact log 1 --type call --subject "$(printf 'a\tb')"
expect_rc 1 "a control character in the subject"
expect_err "crm-contact: invalid subject \"$(printf 'a\tb')\": control character" \
    "is refused"
run sh -c "printf 'ok\377\n' | crm-contact log 1 --type note --subject x --body -"
expect_rc 1 "a body that is not UTF-8"
expect_err 'crm-contact: stdin: invalid UTF-8 at byte 3' "says where"
run crm-contact log 1 2 --type call --subject x
expect_rc 2 "two contacts"
run crm-contact log 1 --type call --subject x --fields id,zzzzzz
expect_rc 2 "an unknown field in --fields"
expect_err 'crm-contact: --fields: unknown field "zzzzzz"' "is found before writing"
is "$(count)" "$n" "nothing written by the refused ones"

# --- task and tasks -------------------------------------------------------

run crm-contact task 1 "Send pricing" --due +3d
expect_rc 0 "a task due in three days"
expect_out "$(act 5 1 "Ada Lovelace" task "Send pricing" null "$T" \
    '"2026-11-25T12:00:00Z"' null tester)" "task prints the task"
crm-contact task 2 "Call back" --due today --owner sam >/dev/null
crm-contact task 1 "Renew contract" --due 2026-11-21 >/dev/null
crm-contact task 2 "Someday" >/dev/null
is "$(sql 'SELECT id, due_at, owner FROM activities WHERE id > 5')" \
    "6|2026-11-22T23:59:59Z|sam
7|2026-11-21T23:59:59Z|tester
8||tester" "a day is due at its end; no --due, no due time"

tasks() { run crm-contact tasks "$@" --fields id; OUT=$(printf '%s\n' "$OUT" |
    jq -r .id | tr '\n' ' '); }
tasks
is "$OUT" "7 6 5 8 " "open tasks by due time, undated last"
tasks --due today
is "$OUT" "6 " "--due today: due today"
tasks --overdue
is "$OUT" "7 " "--overdue: due before now"
tasks --due today --overdue
is "$OUT" "7 6 " "both: either"
tasks --owner sam
is "$OUT" "6 " "--owner"
tasks --due 2026-11-25
is "$OUT" "5 " "--due DATE"
tasks --due +3d
is "$OUT" "5 " "--due with a relative time: that day"
tasks --due tomorrow
is "$OUT" "" "nothing due tomorrow"

COLUMNS=80 run crm-contact tasks --due today --overdue -o table
expect_out 'id  due_at                contact         subject         owner
 7  2026-11-21T23:59:59Z  Ada Lovelace    Renew contract  tester
 6  2026-11-22T23:59:59Z  Björn Ångström  Call back       sam' \
    "the morning mail as a table"
run crm-contact tasks -o csv --fields id,due_at,contact,subject
expect_out 'id,due_at,contact,subject
7,2026-11-21T23:59:59Z,Ada Lovelace,Renew contract
6,2026-11-22T23:59:59Z,Björn Ångström,Call back
5,2026-11-25T12:00:00Z,Ada Lovelace,Send pricing
8,,Björn Ångström,Someday' "CSV"
run crm-contact tasks -o tsv --owner sam --fields id,subject
expect_out "$(printf 'id\tsubject\n6\tCall back')" "TSV"
run crm-contact tasks -o json --overdue --fields id,owner
expect_out '[
{"id":7,"owner":"tester"}
]' "JSON"
run crm-contact tasks --due soon
expect_rc 2 "a bad --due"
expect_err 'crm-contact: --due: invalid day "soon": expected a date such as 2026-11-22, today or +3d' \
    "is a usage error"
run crm-contact task 1 "x" --due whenever
expect_rc 2 "a task with a bad due time"
run crm-contact task 1
expect_rc 2 "a task without a subject"
run crm-contact task 1 Send pricing
expect_rc 2 "a subject of two unquoted words"
expect_err 'crm-contact task: unexpected argument "pricing" (quote a subject of several words)
usage: crm-contact task [options] REF SUBJECT' "asks for quotes"

# --- done ----------------------------------------------------------------

run crm-contact "done" 7
expect_rc 0 "done"
expect_out "$(act 7 1 "Ada Lovelace" task "Renew contract" null "$T" \
    '"2026-11-21T23:59:59Z"' "\"$T\"" tester)" "prints the task, done"
tasks
is "$OUT" "6 5 8 " "a done task is no longer listed"
tasks --all
is "$OUT" "7 6 5 8 " "--all lists it"
tasks --overdue --all
is "$OUT" "" "done is never overdue"

run crm-contact "done" 7
expect_rc 1 "done twice"
expect_err 'crm-contact: task 7 is already done' "says so"
run crm-contact "done" 1
expect_rc 1 "done on a call"
expect_err 'crm-contact: activity 1 is a call, not a task' "says what it is"
run crm-contact "done" 99
expect_rc 1 "an unknown task"
expect_err 'crm-contact: no task "99"' "names it"
run crm-contact "done" 6 abc 5 7
expect_rc 1 "done with bad ones among good ones"
expect_err 'crm-contact: no task "abc"
crm-contact: task 7 is already done
crm-contact: nothing changed: 2 of 4 tasks failed' "every error, then the verdict"
is "$(sql 'SELECT count(*) FROM activities WHERE done_at IS NOT NULL')" 1 \
    "all or nothing: none marked"
run crm-contact "done"
expect_rc 2 "done without tasks"
run crm-contact "done" 6 -o yaml
expect_rc 2 "done with a bad format"
is "$(sql 'SELECT count(*) FROM activities WHERE done_at IS NOT NULL')" 1 \
    "marks nothing"

run sh -c 'crm-contact tasks --owner sam | crm-contact "done" -'
expect_rc 0 "tasks | done -"
is "$(sql 'SELECT group_concat(id) FROM activities WHERE done_at IS NOT NULL')" \
    "6,7" "the listed task is done"
run crm-contact "done" 5 5
expect_rc 0 "a task named twice"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "is done and printed once"

is "$(sql "SELECT group_concat(e, ' ') FROM (SELECT entity_id || ':' ||
    action AS e FROM events WHERE entity = 'activity' ORDER BY id)")" \
    "1:add 2:add 3:add 4:add 5:add 6:add 7:add 8:add 7:done 6:done 5:done" \
    "one event per activity added and per task done"
is "$(sql "SELECT changes FROM events WHERE action = 'done' LIMIT 1")" \
    "{\"done_at\":{\"old\":null,\"new\":\"$T\"}}" "a done event's changes"

# --- timeline ------------------------------------------------------------

CRM_NOW=2026-11-21T10:00:00Z crm-contact update 1 --stage customer \
    --title CTO >/dev/null
CRM_NOW=2026-11-21T11:00:00Z crm-contact tag --add vip 1
crm-contact task 1 "Book workshop" --due +1w >/dev/null
CRM_NOW=2026-11-22T13:00:00Z crm-contact "done" 9 >/dev/null

run crm-contact timeline ada@example.org
expect_rc 0 "timeline"
expect_out '{"at":"2026-11-22T13:00:00Z","kind":"event","type":"done","summary":"task 9 done: Book workshop","id":18}
{"at":"2026-11-22T12:00:00Z","kind":"activity","type":"task","summary":"Book workshop (done 2026-11-22T13:00:00Z)","id":9}
{"at":"2026-11-22T12:00:00Z","kind":"activity","type":"task","summary":"Renew contract (done 2026-11-22T12:00:00Z)","id":7}
{"at":"2026-11-22T12:00:00Z","kind":"activity","type":"task","summary":"Send pricing (done 2026-11-22T12:00:00Z)","id":5}
{"at":"2026-11-22T12:00:00Z","kind":"event","type":"done","summary":"task 5 done: Send pricing","id":14}
{"at":"2026-11-22T12:00:00Z","kind":"event","type":"done","summary":"task 7 done: Renew contract","id":12}
{"at":"2026-11-21T12:00:00Z","kind":"activity","type":"email","summary":"Re: pricing","id":4}
{"at":"2026-11-21T11:00:00Z","kind":"event","type":"tag","summary":"tags: +vip","id":16}
{"at":"2026-11-21T10:00:00Z","kind":"event","type":"update","summary":"title: (none) → CTO, stage: lead → customer","id":15}
{"at":"2026-11-20T09:30:00Z","kind":"activity","type":"call","summary":"Intro call","id":1}
{"at":"2026-11-19T08:00:00Z","kind":"event","type":"add","summary":"added Ada Lovelace","id":1}' \
    "activities and changes, newest first"

COLUMNS=100 run crm-contact timeline 2 -o table
expect_out 'at                    kind      type     summary                                id
2026-11-22T12:00:00Z  activity  task     Someday                                 8
2026-11-22T12:00:00Z  activity  task     Call back (done 2026-11-22T12:00:00Z)   6
2026-11-22T12:00:00Z  event     done     task 6 done: Call back                 13
2026-11-22T12:00:00Z  event     add      added Björn Ångström                    2
2026-11-21T14:00:00Z  activity  meeting  Kick-off                                2' \
    "a table"
run crm-contact timeline 1 --limit 2 -o csv
expect_out 'at,kind,type,summary,id
2026-11-22T13:00:00Z,event,done,task 9 done: Book workshop,18
2026-11-22T12:00:00Z,activity,task,Book workshop (done 2026-11-22T13:00:00Z),9' \
    "--limit, CSV"
run crm-contact timeline nobody@example.org
expect_rc 1 "the timeline of nobody"
expect_err 'crm-contact: no contact "nobody@example.org"' "names the reference"
run crm-contact timeline 1 2
expect_rc 2 "two contacts"

run crm-contact delete 2
is "$(sql 'SELECT count(*) FROM activities WHERE contact_id = 2')" 0 \
    "deleting a contact deletes its activities"
