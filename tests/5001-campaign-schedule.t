#!/bin/sh
# crm-campaign from cron: schedule, send --due, pause, resume, cancel, a
# sending window, --max and --rate, and a test message, against a real
# SMTP server on 127.0.0.1.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find; then
	plan 1
	skip "no SMTP server: install python3-aiosmtpd or postfix (smtp-sink)"
	exit 0
fi
plan 42

# received: "COUNT EMAIL" for every recipient the server got.
received() {
	"$SMTPD_PY" - "$SMTPD_DIR" <<'EOF' | sort | uniq -c | sed 's/^ *//'
import email, email.policy, glob, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "*")):
    if f.endswith(("/port", "/log", ".tmp")) or not os.path.isfile(f):
        continue
    msg = email.message_from_bytes(open(f, "rb").read(),
                                   policy=email.policy.strict)
    print(str(msg["X-Rcpt-Args"]).split()[0].strip("<>"))
EOF
}
status() { sql "SELECT status FROM campaigns WHERE name = '$1'"; }

i=1
while [ $i -le 6 ]; do
	crm-contact add --name "Reader $i" --email "r$i@example.org" \
	    --tag news >/dev/null
	i=$((i + 1))
done
crm-segment create news --where 'tag = news' >/dev/null
printf 'Hi {{first_name}}\n' >body.txt
for c in a b c; do
	crm-campaign create $c --segment news --subject "$c" \
	    --from news@example.org --text body.txt >/dev/null
done
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"

# Schedule
run crm-campaign schedule a 2026-11-22T13:00 --fields name,status,scheduled_at
expect_rc 0 "schedule"
expect_out '{"name":"a","status":"scheduled","scheduled_at":"2026-11-22T13:00:00Z"}' \
    "scheduled for a time"
run crm-campaign schedule b +2h --fields scheduled_at
expect_out '{"scheduled_at":"2026-11-22T14:00:00Z"}' "or a time from now"
run crm-campaign schedule c soon
expect_rc 2 "a time that does not parse"
expect_err 'crm-campaign: expected a time such as 2026-12-01T09:00 or +2h, got "soon"' \
    "says what it expects"
run crm-campaign send --due
expect_rc 0 "send --due before the time"
expect_err '' "nothing due: quiet"
is "$(received)" "" "nothing sent"
CRM_NOW=2026-11-22T13:30:00Z run crm-campaign send --due
expect_rc 0 "send --due once the time came"
expect_err 'crm-campaign: a: sent 6, failed 0, skipped 0, remaining 0' \
    "the campaign due, by name"
is "$(status a) $(status b)" "done scheduled" "a done, b still waiting"
run crm-campaign send --due a
expect_rc 2 "--due takes no name"
run crm-campaign status -o tsv
expect_out 'campaign	status	scheduled_at	queued	sent	failed	unknown	skipped
a	done	2026-11-22T13:00:00Z	0	6	0	0	0
b	scheduled	2026-11-22T14:00:00Z	0	0	0	0	0
c	draft		0	0	0	0	0' "status: every campaign"
run crm-campaign status b --fields campaign,status
expect_out '{"campaign":"b","status":"scheduled"}' "or those named"
run crm-campaign status nope
expect_rc 2 "an unknown campaign"

# --max: the rest on the next run; pause and resume
CRM_NOW=2026-11-22T15:00:00Z run crm-campaign send --due --max 2
expect_err 'crm-campaign: b: sent 2, failed 0, skipped 0, remaining 4' \
    "--max: two this run"
run crm-campaign pause b --fields status
expect_out '{"status":"paused"}' "pause"
CRM_NOW=2026-11-22T15:10:00Z run crm-campaign send --due
expect_err '' "a paused campaign is not due"
run crm-campaign send b
expect_rc 1 "nor sent by name"
expect_err 'crm-campaign: campaign "b" is paused: resume it to send' \
    "says what to do"
run crm-campaign resume b --fields status
expect_out '{"status":"sending"}' "resume: back to sending"
run crm-campaign resume b
expect_rc 0 "resuming twice is no change"
CRM_NOW=2026-11-22T15:20:00Z run crm-campaign send --due --rate 50/s
expect_err 'crm-campaign: b: sent 4, failed 0, skipped 0, remaining 0' \
    "the rest"
is "$(received | grep -vc '^2 ')" 0 "each reader got a and b: twice in all, once each"

# A window
crm-campaign schedule c 2026-11-22T00:00 >/dev/null
run crm-campaign send --due --window 'Mon-Fri 09:00-17:00 Europe/Berlin'
expect_rc 0 "outside the window (a Sunday)"
expect_err '' "quietly nothing"
is "$(status c)" scheduled "c untouched, not even its audience taken"
CRM_NOW=2026-11-23T09:30:00Z run crm-campaign send c \
    --window 'Mon-Fri 09:00-17:00 Europe/Berlin'
expect_err 'crm-campaign: sent 6, failed 0, skipped 0, remaining 0' \
    "inside: Monday 10:30 in Berlin"
run crm-campaign send c --window 'Mon-Fri 09:00-17:00'
expect_rc 2 "a window without a time zone"
run crm-campaign send c --window 'Mon-Fry 09:00-17:00 Europe/Berlin'
expect_rc 2 "a window that does not parse"

# Cancel
crm-campaign clone a d >/dev/null
run crm-campaign cancel d --fields status
expect_out '{"status":"cancelled"}' "cancel"
run crm-campaign send d
expect_rc 1 "a cancelled campaign does not send"
run crm-campaign schedule d +1h
expect_rc 1 "nor is it scheduled again"
run crm-campaign cancel a
expect_rc 1 "a done campaign has nothing to cancel"

# Two runs of --due at once: one sends, one waits its turn or leaves it
crm-campaign clone a e >/dev/null
crm-campaign schedule e 2026-11-22T00:00 >/dev/null
crm-campaign send --due --rate 20/s 2>one.err &
p=$!
crm-campaign send --due --rate 20/s 2>two.err
wait $p
like "$(cat one.err two.err)" 'e: sent 6' "one of them sent e"
is "$(received | awk '{ n += $1 } END { print n }')" 24 \
    "and nobody got e twice: 6 readers, 4 campaigns"

# A test message
run crm-campaign test a --to me@example.net --as r3@example.org
expect_rc 0 "test"
like "$ERR" '^crm-campaign: sent to me@example.net: 250' \
    "the server's reply"
f=$(grep -l 'me@example.net' "$SMTPD_DIR"/* | head -n 1)
like "$(tr -d '\r' <"$f")" 'Hi Reader' "rendered for a reader"
like "$(tr -d '\r' <"$f")" 'Message-ID: <campaign-1.contact-3.test-[0-9]*@example.org>' \
    "under a Message-ID of its own"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE email = 'me@example.net'")" \
    0 "not in the send log"
run crm-campaign test a
expect_rc 2 "test needs --to"
