#!/bin/sh
# crm-campaign sequence and tick: drips.  Contacts enter a sequence when
# they join its segment; tick (from cron) sends each step's campaign the
# given days later, each step once per contact, however often it runs.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find; then
	plan 1
	skip "no SMTP server: install python3-aiosmtpd or postfix (smtp-sink)"
	exit 0
fi
plan 24

# received: "COUNT EMAIL SUBJECT" a message kind.
received() {
	"$SMTPD_PY" - "$SMTPD_DIR" <<'EOF' | sort | uniq -c | sed 's/^ *//'
import email, email.policy, glob, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "*")):
    if f.endswith(("/port", "/log", ".tmp")) or not os.path.isfile(f):
        continue
    msg = email.message_from_bytes(open(f, "rb").read(),
                                   policy=email.policy.strict)
    print(str(msg["X-Rcpt-Args"]).split()[0].strip("<>"), msg["Subject"])
EOF
}

crm-contact add --name Ada --email ada@example.org --tag trial >/dev/null
crm-contact add --name Bob --email bob@example.org --tag trial >/dev/null
crm-segment create trials --where 'tag = trial' >/dev/null
printf 'Hi {{first_name}}\n' >body.txt
for c in welcome tips last; do
	crm-campaign create $c --segment trials --subject "$c" \
	    --from news@example.org --text body.txt >/dev/null
done
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"

run crm-campaign sequence add onboarding --segment trials \
    --step 'day 0: welcome' --step 'day 3: tips' --step 'day 10: last'
expect_rc 0 "a sequence"
expect_out '{"id":1,"name":"onboarding","segment":"trials","enrolled":0,"steps":[{"day":0,"campaign":"welcome","queued_for":0},{"day":3,"campaign":"tips","queued_for":0},{"day":10,"campaign":"last","queued_for":0}],"created_at":"2026-11-22T12:00:00Z"}' \
    "prints it with its steps"
run crm-campaign sequence add bad --segment trials --step 'day 3: tips' \
    --step 'day 1: welcome'
expect_rc 2 "steps out of the order of their days"
run crm-campaign sequence add bad --segment trials --step 'week 1: tips'
expect_err 'crm-campaign: --step: expected "day N: CAMPAIGN" with N from 0 to 3650, got "week 1: tips"' \
    "a step that does not parse"
run crm-campaign sequence add bad --segment trials --step 'day 1: nope'
expect_err 'crm-campaign: --step: no campaign "nope"' "an unknown campaign"
run crm-campaign sequence add bad --segment nope --step 'day 1: tips'
expect_rc 2 "an unknown segment"
is "$(sql 'SELECT count(*) FROM sequences')" 1 "nothing of those written"

# Day 0
run crm-campaign tick
expect_rc 0 "tick"
expect_err 'crm-campaign: enrolled 2, steps due 2
crm-campaign: welcome: sent 2, failed 0, skipped 0, remaining 0' \
    "both enrolled, welcomed"
run crm-campaign tick
expect_err '' "again the same day: nothing"
is "$(received)" '1 ada@example.org welcome
1 bob@example.org welcome' "each welcomed once"

# Someone joins on day 2
CRM_NOW=2026-11-24T12:00:00Z crm-contact add --name Cy \
    --email cy@example.org --tag trial >/dev/null
CRM_NOW=2026-11-24T12:00:00Z run crm-campaign tick
expect_err 'crm-campaign: enrolled 1, steps due 1
crm-campaign: welcome: sent 1, failed 0, skipped 0, remaining 0' \
    "a new member enters on the day it is seen"

# Day 3 for Ada and Bob, day 1 for Cy
CRM_NOW=2026-11-25T12:00:00Z run crm-campaign tick
expect_err 'crm-campaign: enrolled 0, steps due 2
crm-campaign: tips: sent 2, failed 0, skipped 0, remaining 0' \
    "the tips to those three days in"

# Bob unsubscribes; day 30: everyone overdue moves through every step
crm-contact unsubscribe bob@example.org
CRM_NOW=2026-12-22T12:00:00Z run crm-campaign tick
expect_err 'crm-campaign: enrolled 0, steps due 4
crm-campaign: tips: sent 1, failed 0, skipped 0, remaining 0
crm-campaign: last: sent 2, failed 0, skipped 1, remaining 0' \
    "a tick late moves on through the steps due; the unsubscribed left out"
CRM_NOW=2026-12-23T12:00:00Z run crm-campaign tick
expect_err '' "and never again"
is "$(received)" '1 ada@example.org last
1 ada@example.org tips
1 ada@example.org welcome
1 bob@example.org tips
1 bob@example.org welcome
1 cy@example.org last
1 cy@example.org tips
1 cy@example.org welcome' "each step once per contact"

run crm-campaign sequence show onboarding --fields enrolled,steps
expect_out '{"enrolled":3,"steps":[{"day":0,"campaign":"welcome","queued_for":3},{"day":3,"campaign":"tips","queued_for":3},{"day":10,"campaign":"last","queued_for":3}]}' \
    "show: who each step was queued for"
run crm-campaign sequence list -o tsv --fields name,segment,enrolled
expect_out 'name	segment	enrolled
onboarding	trials	3' "list"
run crm-campaign sequence delete onboarding
expect_rc 0 "delete"
is "$(sql 'SELECT count(*) FROM sequence_enrollments') $(sql 'SELECT count(*) FROM campaign_sends')" \
    "0 9" "its enrolments go; the send logs stay"
printf '%s\n' '{"day": 0, "campaign": "welcome"}' '{"day": 7, "campaign": "last"}' |
    crm-campaign sequence add weekly --segment trials --steps - \
    --fields steps >out
is "$(cat out)" '{"steps":[{"day":0,"campaign":"welcome","queued_for":0},{"day":7,"campaign":"last","queued_for":0}]}' \
    "--steps: the steps as JSON Lines"
printf '%s\n' '{"day": "x"}' >bad.jsonl
run crm-campaign sequence add worse --segment trials --steps bad.jsonl
expect_err 'crm-campaign sequence: --steps: bad.jsonl: line 1: expected {"day": N, "campaign": NAME}
usage: crm-campaign sequence [options] add|list|show|delete [NAME]' \
    "a line that is no step"
run crm-campaign sequence frob
expect_rc 2 "an unknown sub-command"
run crm-campaign tick extra
expect_rc 2 "tick takes no operand"
