#!/bin/sh
# crm-deal move, win, lose, reopen: rules, history, bulk moves from a
# stream (all or nothing), and --as-of from the history.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 36

crm-contact add --name Ada --email ada@example.org >/dev/null
day() {	# day DATE CMD...: run CMD with the clock at 09:00 on DATE
	d=$1
	shift
	CRM_NOW=${d}T09:00:00Z "$@" >/dev/null
}
day 2026-11-01 crm-deal add --title A --amount 100 --contact 1
day 2026-11-02 crm-deal add --title B --amount 50 --currency USD \
    --expected-close 2026-11-10
day 2026-11-03 crm-deal add --title C --amount 70 --stage proposal \
    --expected-close 2026-11-15
day 2026-11-10 crm-deal move 1 qualified

run crm-deal move 2 proposal --fields id,stage,status,probability
expect_rc 0 "move"
expect_out '{"id":2,"stage":"proposal","status":"open","probability":50}' \
    "prints the moved deal"
run crm-deal move 2 proposal
expect_rc 0 "moving where it is already"
is "$(sql "SELECT count(*) FROM deal_history WHERE deal_id = 2")" 1 \
    "is no change: one history row"
run crm-deal move 2 won
expect_rc 2 "move to won"
expect_err 'crm-deal: stage "won" closes the deal: use crm-deal win' \
    "points to win"
run crm-deal move 2 propsal
expect_rc 2 "an unknown stage"
expect_err 'crm-deal: unknown stage "propsal" in pipeline "default" (did you mean "proposal"?)' \
    "suggests one"

day 2026-11-20 crm-deal lose 1 --reason "no budget"
run crm-deal show 1 --fields status,closed_at,lost_reason,probability
expect_out '{"status":"lost","closed_at":"2026-11-20T09:00:00Z","lost_reason":"no budget","probability":0}' \
    "lose: status, closed_at, reason"
run crm-deal lose 3
expect_rc 2 "lose without --reason"
run crm-deal win 1
expect_rc 1 "a win of a lost deal"
expect_err 'crm-deal: deal 1 is lost: reopen it first' "says what to do"
run crm-deal move 1 lead
expect_rc 1 "a move of a lost deal"
is "$(sql "SELECT s.name FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = 1")" \
    lost "nothing written"
day 2026-11-21 crm-deal reopen 1
run crm-deal show 1 --fields stage,status,closed_at,lost_reason
expect_out '{"stage":"qualified","status":"open","closed_at":null,"lost_reason":null}' \
    "reopen goes back to the stage it was lost from"
run crm-deal win 1 --fields status,closed_at
expect_out '{"status":"won","closed_at":"2026-11-22T12:00:00Z"}' "then win"
run crm-deal win 1
expect_rc 0 "winning a won deal again is no change"

run crm-deal history 1 -o tsv
expect_out "$(printf 'deal_id\tat\tfrom_pipeline\tfrom\tpipeline\tto\tstatus\treason\tactor
1\t2026-11-01T09:00:00Z\t\t\tdefault\tlead\topen\t\t
1\t2026-11-10T09:00:00Z\tdefault\tlead\tdefault\tqualified\topen\t\ttester
1\t2026-11-20T09:00:00Z\tdefault\tqualified\tdefault\tlost\tlost\tno budget\ttester
1\t2026-11-21T09:00:00Z\tdefault\tlost\tdefault\tqualified\topen\t\ttester
1\t2026-11-22T12:00:00Z\tdefault\tqualified\tdefault\twon\twon\t\ttester')" \
    "history: every move with its time, from the creation on"
is "$(sql "SELECT action || ' ' || json_extract(changes, '$.contact_id')
    FROM events WHERE entity = 'deal' AND entity_id = 1 ORDER BY id" | tr '\n' ,)" \
    "add 1,move 1,lose 1,reopen 1,win 1," \
    "every event of the deal carries its contact_id"

# Bulk moves from a stream: records with an "id".
run sh -c "crm-deal list --where 'stage = proposal and expected_close < today' |
    crm-deal move - negotiation --fields id,stage"
expect_rc 0 "list | move - STAGE"
expect_out '{"id":2,"stage":"negotiation"}
{"id":3,"stage":"negotiation"}' "moves what the list printed"
run sh -c "printf '3\n1\n' | crm-deal move - proposal"
expect_rc 1 "one deal of a stream cannot move"
expect_err 'crm-deal: deal 1 is won: reopen it first
crm-deal: nothing changed: 1 of 2 deals failed' "all or nothing"
is "$(sql "SELECT s.name FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = 3")" \
    negotiation "deal 3 did not move either"
run sh -c "printf '{\"title\":\"no id\"}\n' | crm-deal move - lead"
expect_rc 1 "a record without an id"

# As of a past day, from the history.
asof() { crm-deal list --as-of "$1" --fields id,stage,status -o tsv | tail -n +2 | tr '\n\t' '; '; }
is "$(asof 2026-10-31)" "" "before any deal: none"
is "$(asof 2026-11-01)" "1 lead open;" "the end of 2026-11-01: one deal, in lead"
is "$(asof 2026-11-15)" "1 qualified open;2 lead open;3 proposal open;" \
    "2026-11-15: moved, and the newer deals"
is "$(asof 2026-11-20)" "1 lost lost;2 lead open;3 proposal open;" \
    "2026-11-20: lost that day"
is "$(asof 2026-11-20T08:00)" "1 qualified open;2 lead open;3 proposal open;" \
    "a time: the state at that moment"
run crm-deal list --as-of 2026-11-20 --where 'status = lost' --fields id,closed_at,lost_reason
expect_out '{"id":1,"closed_at":"2026-11-20T09:00:00Z","lost_reason":"no budget"}' \
    "--where sees the state of that day"
run crm-deal show 1 --as-of 2026-11-15 --fields id,stage,status
expect_out '{"id":1,"stage":"qualified","status":"open"}' "show --as-of"
run crm-deal show 3 --as-of 2026-11-02
expect_rc 1 "show a deal that did not exist yet"
run crm-deal list --as-of someday
expect_rc 2 "a date that does not parse"
expect_err 'crm-deal list: --as-of: expected a date or time such as 2026-11-01 or -30d, got "someday"
usage: crm-deal list [options]' "is a usage error"
run crm-deal board --as-of 2026-11-15 --top 1 --fields stage,count,totals
expect_out '{"stage":"lead","count":1,"totals":{"USD":"50.00"}}
{"stage":"qualified","count":1,"totals":{"EUR":"100.00"}}
{"stage":"proposal","count":1,"totals":{"EUR":"70.00"}}
{"stage":"negotiation","count":0,"totals":{}}
{"stage":"won","count":0,"totals":{}}
{"stage":"lost","count":0,"totals":{}}' "the board as of a day"
