#!/bin/sh
# crm-segment score: rules added, listed and deleted, bad rules that leave
# nothing behind, the scoring pass, segments in rules (and kept from being
# renamed or deleted), explain.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 61

crm-contact add --name "Ada Lovelace" --email ada@example.org --tag vip \
    --stage customer >/dev/null
crm-contact add --name "Bob Baker" --email bob@example.org --stage lead \
    >/dev/null
crm-contact add --name "Cy Young" --email cy@example.org --tag vip,partner \
    --stage lead >/dev/null
crm-contact add --name "Di Prince" --email di@other.org --stage customer \
    >/dev/null

rows() { sql "SELECT count(*) FROM $1"; }
scores() {
	sql "SELECT group_concat(contact_id || ':' || score, ' ') FROM
	    (SELECT contact_id, score FROM contact_scores ORDER BY 1)"
}

# Rules
run crm-segment score rule add 'tag = vip' 10
expect_rc 0 "add a rule"
expect_out '{"id":1,"where":"tag = vip","points":10,"created_at":"2026-11-22T12:00:00Z"}' \
    "prints the new rule"
run crm-segment score rule add 'stage = lead' -3
expect_rc 0 "negative points, written as is"
expect_out '{"id":2,"where":"stage = lead","points":-3,"created_at":"2026-11-22T12:00:00Z"}' \
    "the points kept negative"
crm-segment score rule add 'email ~ "@example.org"' 1 >/dev/null

events=$(rows events)
run crm-segment score rule add 'stag = lead' 5
expect_rc 2 "a filter that does not compile"
expect_err 'crm-segment: rule: column 1: unknown field "stag" (did you mean "stage"?)' \
    "one line, naming the column"
run crm-segment score rule add 'tag = vip' x
expect_rc 2 "points that are not a number"
expect_err 'crm-segment: points: expected a whole number, got "x"' "says so"
run crm-segment score rule add 'tag = vip' 1.5
expect_err 'crm-segment: points: expected a whole number, got "1.5"' \
    "a fraction is not a whole number"
run crm-segment score rule add 'tag = vip' 10000000000
expect_rc 2 "points out of range"
expect_err 'crm-segment: points: expected a whole number from -1000000000 to 1000000000, got "10000000000"' \
    "gives the range"
run crm-segment score rule add '  ' 5
expect_rc 2 "a blank filter"
expect_err 'crm-segment: rule: a rule needs a filter' "is refused"
is "$(rows score_rules):$(rows events)" "3:$events" \
    "bad rules wrote nothing, not even an event"

run crm-segment score rule list
expect_out '{"id":1,"where":"tag = vip","points":10,"created_at":"2026-11-22T12:00:00Z"}
{"id":2,"where":"stage = lead","points":-3,"created_at":"2026-11-22T12:00:00Z"}
{"id":3,"where":"email ~ \"@example.org\"","points":1,"created_at":"2026-11-22T12:00:00Z"}' \
    "rule list: every rule by id"
run crm-segment score rule list -o csv --fields id,points,where
expect_out 'id,points,where
1,10,tag = vip
2,-3,stage = lead
3,1,"email ~ ""@example.org"""' "rule list as CSV"
COLUMNS=80 run crm-segment score rule list -o table
expect_out 'id  where                   points  created_at
 1  tag = vip                   10  2026-11-22T12:00:00Z
 2  stage = lead                -3  2026-11-22T12:00:00Z
 3  email ~ "@example.org"       1  2026-11-22T12:00:00Z' "rule list as a table"

# Scoring
run crm-segment score
expect_rc 0 "score every contact"
expect_out '' "nothing on stdout"
expect_err 'crm-segment: scored 4 contacts with 3 rules' "a summary on stderr"
is "$(scores)" "1:11 2:-2 3:8 4:0" \
    "sums of the points matched; no rule matched is 0"
is "$(sql "SELECT count(*) FROM contact_scores
    WHERE scored_at = '2026-11-22T12:00:00Z'")" 4 "each with the time"
is "$(sql "SELECT changes FROM events WHERE entity = 'score'")" \
    '{"contacts":4,"rules":3}' "one event for the pass"
run crm-contact list --where 'score >= 8' --fields id
expect_out '{"id":1}
{"id":3}' "the score is a contact field"

# A rule naming a segment
crm-segment create partners --where 'tag = partner' >/dev/null
run crm-segment score rule add 'segment = partners' 7
expect_rc 0 "a rule may name a segment"
is "$(sql 'SELECT rule_id || ":" || uses_id FROM score_rule_uses')" "4:1" \
    "which is recorded"
run crm-segment score rule add 'segment = nosuch' 7
expect_err 'crm-segment: rule: column 11: no segment "nosuch"' \
    "but not one that does not exist"
crm-segment score 2>/dev/null
is "$(scores)" "1:11 2:-2 3:15 4:0" "the segment's members get its points"

# Explain
run crm-segment score explain cy@example.org
expect_rc 0 "explain a contact by email"
expect_out '{"rule":1,"where":"tag = vip","points":10,"matched":true,"given":10}
{"rule":2,"where":"stage = lead","points":-3,"matched":true,"given":-3}
{"rule":3,"where":"email ~ \"@example.org\"","points":1,"matched":true,"given":1}
{"rule":4,"where":"segment = partners","points":7,"matched":true,"given":7}' \
    "a record per rule, matched or not"
expect_err 'crm-segment: total 15' "the total on stderr"
crm-contact update cy@example.org --stage customer >/dev/null
run crm-segment score explain 3 -o csv
expect_out 'rule,where,points,matched,given
1,tag = vip,10,true,10
2,stage = lead,-3,false,0
3,"email ~ ""@example.org""",1,true,1
4,segment = partners,7,true,7' "evaluated now, by id, as CSV"
expect_err 'crm-segment: total 18 (the stored score is 15: crm-segment score updates it)' \
    "says when the stored score is out of date"
crm-contact add --name "Ed New" --email ed@example.org --stage customer \
    >/dev/null
run crm-segment score explain ed@example.org --fields rule,given
expect_err 'crm-segment: total 1 (not scored yet: crm-segment score stores it)' \
    "and when there is none"
run crm-segment score explain nobody@example.org
expect_rc 1 "explain an unknown contact"
expect_err 'crm-segment: no contact "nobody@example.org"' "names it"

# Delete
run crm-segment score rule delete 2 9
expect_rc 1 "delete with an unknown rule"
expect_err 'crm-segment: no rule 9
crm-segment: nothing changed: 1 of 2 rules failed' "fails the batch"
is "$(rows score_rules)" 4 "nothing deleted"
run crm-segment score rule delete 2 3
expect_rc 0 "delete two rules"
is "$(sql 'SELECT group_concat(id) FROM score_rules')" "1,4" "gone"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'score_rule'
    AND action = 'delete'")" 2 "an event each"
crm-segment score 2>/dev/null
is "$(scores)" "1:10 2:0 3:17 4:0 5:0" "scores without them"

# A segment a rule names
state() {
	sql "SELECT (SELECT group_concat(name) FROM segments) || ':' ||
	    (SELECT count(*) FROM score_rules) || ':' ||
	    (SELECT count(*) FROM events)"
}
before=$(state)
run crm-segment delete partners
expect_rc 1 "delete a segment a rule names"
expect_err 'crm-segment: cannot delete segment "partners": score rule 4 names it' \
    "refused, naming the rule"
run crm-segment rename partners allies
expect_rc 1 "rename a segment a rule names"
expect_err 'crm-segment: cannot rename segment "partners": score rule 4 names it' \
    "refused too"
is "$(state)" "$before" "nothing changed"
crm-segment create keep --where 'segment = partners' >/dev/null
crm-segment score rule add 'segment = partners or tag = vip' 2 >/dev/null
run crm-segment delete partners
expect_rc 1 "named by a segment and by rules"
expect_err 'crm-segment: cannot delete segment "partners": the filter of "keep" and score rules 4, 5 name it' \
    "both in one line"
crm-segment delete keep >/dev/null
crm-segment score rule delete 4 5 >/dev/null
is "$(rows score_rule_uses)" 0 "a rule's segments go with it"
run crm-segment delete partners
expect_rc 0 "with the rules gone, the segment can be deleted"

# A rule whose segment is gone behind crm's back
crm-segment create partners --where 'tag = partner' >/dev/null
crm-segment score rule add 'segment = partners' 7 >/dev/null
sql "DELETE FROM score_rule_uses; DELETE FROM segments WHERE name = 'partners'"
run crm-segment score
expect_rc 2 "a rule that no longer compiles"
expect_err 'crm-segment: rule 6: column 11: no segment "partners"' \
    "names the rule"
is "$(scores)" "1:10 2:0 3:17 4:0 5:0" "and nothing is scored"
crm-segment score rule delete 1 6 >/dev/null
run crm-segment score
expect_err 'crm-segment: scored 5 contacts with 0 rules' "no rules"
is "$(scores)" "1:0 2:0 3:0 4:0 5:0" "everyone 0"

# Usage
run crm-segment score rules
expect_rc 2 "an unknown sub-command"
like "$ERR" '^crm-segment score: unknown sub-command "rules"' "says so"
run crm-segment score rule add 'tag = vip'
expect_rc 2 "rule add without points"
run crm-segment score --help
like "$OUT" '^usage: crm-segment score ' "--help"
