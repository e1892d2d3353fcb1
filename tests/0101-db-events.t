#!/bin/sh
# crm-db events: the change log, its filters and formats, and --follow.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 39

run crm-db events
expect_rc 0 "events of a new database"
expect_out "" "there are none"

crm-contact add --name X --email x@example.org >x.json
crm-contact add --name Y --email y@example.org --tag vip >y.json
crm-contact update x@example.org --title Boss >/dev/null
crm-contact tag --add a,b x@example.org
crm-contact delete y@example.org

# ev ID ENTITY_ID ACTION CHANGES: the record crm-db events prints.
ev() {
	printf '{"id":%s,"entity":"contact","entity_id":%s,"action":"%s",' \
	    "$1" "$2" "$3"
	printf '"actor":"tester","at":"2026-11-22T12:00:00Z","changes":%s}\n' \
	    "$4"
}
e1=$(ev 1 1 add "$(cat x.json)")
e2=$(ev 2 2 add "$(cat y.json)")
e3=$(ev 3 1 update '{"title":{"old":null,"new":"Boss"}}')
e4=$(ev 4 1 tag '{"added":["a","b"],"removed":[]}')
e5=$(ev 5 2 delete "$(cat y.json)")

run crm-db events
expect_rc 0 "events"
expect_out "$e1
$e2
$e3
$e4
$e5" "add, add, update, tag, delete: exact records, jsonl off a terminal"
expect_err "" "nothing on stderr"

run crm-db events --since 3
expect_out "$e4
$e5" "--since 3: the events after 3"
run crm-db events --limit 2
expect_out "$e1
$e2" "--limit 2: the first two"
run crm-db events --since 1 --limit 2
expect_out "$e2
$e3" "--since 1 --limit 2"
run crm-db events --since 5
expect_rc 0 "--since the last id"
expect_out "" "prints nothing"
run crm-db events --entity contact --since 4
expect_out "$e5" "--entity contact"
run crm-db events --entity deal
expect_rc 0 "--entity with no events"
expect_out "" "prints nothing"

run crm-db events --fields id,action,entity_id -o csv
expect_out "id,action,entity_id
1,add,1
2,add,2
3,update,1
4,tag,1
5,delete,2" "-o csv --fields"
run crm-db events --since 2 --limit 2 --fields id,actor,changes -o tsv
expect_out 'id	actor	changes
3	tester	{"title":{"old":null,"new":"Boss"}}
4	tester	{"added":["a","b"],"removed":[]}' "-o tsv: changes as JSON text"
run crm-db events --since 3 --limit 1 -o json --fields id,changes
expect_out '[
{"id":4,"changes":{"added":["a","b"],"removed":[]}}
]' "-o json"
run crm-db events --since 2 --limit 1 -o table --fields id,entity,action
expect_out "id  entity   action
 3  contact  update" "-o table"
run env CRM_FORMAT=csv crm-db events --limit 1 --fields id
expect_out "id
1" "CRM_FORMAT sets the default format"

# Changes that are NULL print as null.
sql "INSERT INTO events (entity, entity_id, action, actor, at)
    VALUES ('contact', 1, 'note', 'cron', '2026-11-23T08:00:00Z')"
run crm-db events --since 5
expect_out '{"id":6,"entity":"contact","entity_id":1,"action":"note","actor":"cron","at":"2026-11-23T08:00:00Z","changes":null}' \
    "an event without changes has changes null"

run crm-db events --fields id,acton
expect_rc 2 "an unknown field"
expect_err 'crm-db: --fields: unknown field "acton" (did you mean "action"?)' \
    "is named, with a suggestion"
run crm-db events --since x
expect_rc 2 "--since x"
like "$ERR" '^crm-db events: --since: expected a non-negative number, got "x"$' \
    "is a usage error"
run crm-db events --limit 0
expect_rc 2 "--limit 0 is a usage error"
run crm-db events extra
expect_rc 2 "an operand is a usage error"

# --- follow ------------------------------------------------------------

# wait_lines FILE N: poll until FILE has N lines, for at most 10 s.
wait_lines() {
	i=0
	while [ "$(wc -l <"$1")" -lt "$2" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

: >follow.out
crm-db events --follow --since 5 >>follow.out 2>follow.err &
pid=$!
wait_lines follow.out 1
is "$(wc -l <follow.out | tr -d ' ')" 1 "--follow prints what is there"
crm-contact add --name Z >z.json
z=$(jq .id z.json)
wait_lines follow.out 2
is "$(sed -n 2p follow.out)" "$(ev 7 "$z" add "$(cat z.json)")" \
    "then an event committed while it waits"
crm-contact update "$z" --title CEO >/dev/null
crm-contact update "$z" --title CTO >/dev/null
wait_lines follow.out 4
is "$(sed -n '3,$p' follow.out | jq -c '[.id, .changes.title.new]')" \
    '[8,"CEO"]
[9,"CTO"]' "and the next ones, in order"
kill "$pid"
wait "$pid"
is "$?" 0 "SIGTERM ends --follow with exit 0"
is "$(cat follow.err)" "" "quietly"

# timeout runs it in the foreground, where SIGINT is not ignored.  Under
# valgrind (make check-valgrind) it takes longer to start following.
grace=0.5
[ -z "${CRM_VALGRIND:-}" ] || grace=5
run timeout --preserve-status -s INT "$grace" crm-db events --follow --since 9
expect_rc 0 "SIGINT ends --follow with exit 0"
run timeout 10 crm-db events --follow --since 7 --limit 2 --fields id
expect_rc 0 "--follow --limit 2 exits after two events"
expect_out '{"id":8}
{"id":9}' "which it prints"

# A reader that goes away ends the follow, even while nothing happens.
run timeout 10 sh -c 'crm-db events --follow | head -n 1'
expect_rc 0 "--follow | head -n 1 ends"
expect_out "$e1" "after the first line"
run timeout 10 sh -c 'crm-db events --follow --since 99 | true'
expect_rc 0 "--follow ends when the reader has gone, with no events coming"

run crm-db events --follow -o table
expect_rc 2 "--follow -o table"
expect_err 'crm-db events: --follow needs a streaming format (jsonl, csv or tsv), not table
usage: crm-db events [options]' "is refused: a table waits for its end"
run timeout 10 crm-db events --follow --limit 1 -o csv --fields id,action
expect_out "id,action
1,add" "--follow -o csv streams"
