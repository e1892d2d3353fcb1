#!/bin/sh
# crm-deal pipeline and stage: the default pipeline, adding, ordering,
# renaming and deleting, with the deals they hold.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 37

crm-db init
run crm-deal pipeline list
expect_rc 0 "pipeline list"
expect_out '{"id":1,"name":"default","default":true,"stages":["lead","qualified","proposal","negotiation","won","lost"],"deals":0}' \
    "crm-db init made the default pipeline"
run crm-deal pipeline show default -o tsv
expect_out "$(printf 'pipeline\tposition\tstage\tkind\tprobability\tdeals
default\t1\tlead\topen\t10\t0
default\t2\tqualified\topen\t25\t0
default\t3\tproposal\topen\t50\t0
default\t4\tnegotiation\topen\t75\t0
default\t5\twon\twon\t100\t0
default\t6\tlost\tlost\t0\t0')" "its stages and probabilities"

run crm-deal pipeline add enterprise --stages discovery:10,demo:30%,trial:60
expect_rc 0 "pipeline add with stages"
run crm-deal pipeline show enterprise --fields stage,probability -o csv
expect_out 'stage,probability
discovery,10
demo,30
trial,60
won,100
lost,0' "open stages in order, then won and lost"
run crm-deal pipeline add enterprise
expect_rc 1 "a second pipeline of that name"
expect_err 'crm-deal: pipeline "enterprise" already exists' "is refused"
run crm-deal pipeline add "two words"
expect_rc 2 "a bad name"
expect_err 'crm-deal: invalid pipeline name "two words": use letters, digits and - _ . + & # @' \
    "says what a name may hold"
run crm-deal pipeline add x --stages demo
expect_rc 2 "a stage without its probability"
expect_err 'crm-deal: --stages: invalid stage "demo": expected NAME:PERCENT, such as demo:30' \
    "says how to write it"
run crm-deal pipeline lst
expect_rc 2 "an unknown sub-command"
expect_err 'crm-deal pipeline: unknown sub-command "lst" (did you mean "list"?)
usage: crm-deal pipeline [options] add|list|show|rename|delete [NAME [NEW]]' \
    "suggests, with the usage"

run crm-deal stage add --pipeline enterprise contract --probability 80 \
    --after trial
expect_rc 0 "stage add after a stage"
run crm-deal stage add --pipeline enterprise intro --probability 5 \
    --before discovery
run crm-deal stage move --pipeline enterprise contract --before demo
expect_rc 0 "stage move"
run crm-deal stage update --pipeline enterprise intro --probability 8
run crm-deal pipeline show enterprise --fields stage,probability -o csv
expect_out 'stage,probability
intro,8
discovery,10
contract,80
demo,30
trial,60
won,100
lost,0' "added, moved, updated"
run crm-deal stage add proposal --probability 40
expect_rc 1 "a stage that exists"
expect_err 'crm-deal: stage "proposal" already exists in pipeline "default"' \
    "is refused"
run crm-deal stage add review
expect_rc 2 "stage add without --probability"
run crm-deal stage move won --after lead
expect_rc 1 "won cannot move"
expect_err 'crm-deal: stage "won" is the won outcome of pipeline "default": it cannot be moved' \
    "says why"

crm-deal add --title A --pipeline enterprise --stage demo >/dev/null
crm-deal add --title B --pipeline enterprise --stage demo >/dev/null
crm-deal add --title C >/dev/null
run crm-deal move 3 demo
expect_rc 1 "a move to a stage of another pipeline"
expect_err 'crm-deal: stage "demo" is in pipeline "enterprise", not in "default"' \
    "names both"
run crm-deal stage delete --pipeline enterprise demo
expect_rc 1 "a stage with deals"
expect_err 'crm-deal: stage "demo" still holds 2 deals: give --to STAGE to move them' \
    "says how"
run crm-deal stage delete --pipeline enterprise demo --to won
expect_rc 2 "--to a closed stage"
run crm-deal stage delete --pipeline enterprise demo --to trial
expect_rc 0 "delete, moving the deals"
is "$(sql "SELECT group_concat(s.name) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id IN (1, 2)")" \
    "trial,trial" "the deals moved"
run crm-deal history 1 --fields from,to
expect_out '{"from":null,"to":"demo"}
{"from":"demo","to":"trial"}' "their history keeps the deleted stage's name"

run crm-deal stage rename --pipeline enterprise trial pilot
expect_rc 0 "stage rename"
run crm-deal show 1 --fields stage
expect_out '{"stage":"pilot"}' "the deal is in the renamed stage"
run crm-deal pipeline rename enterprise big
expect_rc 0 "pipeline rename"
run crm-deal pipeline delete big
expect_rc 1 "a pipeline with deals"
expect_err 'crm-deal: pipeline "big" still holds 2 deals: move or delete them first' \
    "is refused"
crm-deal delete 1 2 >/dev/null
run crm-deal pipeline delete big
expect_rc 0 "an empty pipeline goes"
is "$(sql 'SELECT count(*) FROM stages WHERE pipeline_id = 2')" 0 \
    "with its stages"
run crm-deal pipeline delete default
expect_rc 1 "the last pipeline stays"
