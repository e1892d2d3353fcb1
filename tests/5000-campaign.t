#!/bin/sh
# crm-campaign: definitions, templates, the audience and what it leaves
# out, and sending to a real SMTP server on 127.0.0.1 (tests/smtpd.sh)
# at most once: a thousand recipients each received once, a run killed
# mid-send and run again, two runs at once, 451 then 250, 550.  Every
# message is parsed with Python's email package under policy.strict.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find; then
	plan 1
	skip "no SMTP server: install python3-aiosmtpd or postfix (smtp-sink)"
	exit 0
fi
plan 89

# received DIR...: "COUNT EMAIL" for every recipient of the messages in
# the server directories, each message parsed strictly; a defect is
# printed as such.
received() {
	"$SMTPD_PY" - "$@" <<'EOF' | sort | uniq -c | sed 's/^ *//'
import email, email.policy, glob, os, sys
for d in sys.argv[1:]:
    for f in glob.glob(os.path.join(d, "*")):
        if f.endswith(("/port", "/log", ".tmp")) or not os.path.isfile(f):
            continue
        msg = email.message_from_bytes(open(f, "rb").read(),
                                       policy=email.policy.strict)
        for name in msg.keys():
            if msg[name].defects:
                print("defect in %s" % name)
        print(str(msg["X-Rcpt-Args"]).split()[0].strip("<>"))
EOF
}
ids() { printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' '; }

crm-contact add --name "Ada Lovelace" --email ada@example.org --tag vip \
    --set fields.city=London --opt-in >/dev/null
crm-contact add --name "Bob" --email bob@example.org --tag vip >/dev/null
crm-contact add --name "Cy Young" --email cy@example.org --tag vip \
    --opt-in >/dev/null
crm-contact add --name "No Mail" --tag vip >/dev/null
crm-contact add --name "Di Prince" --email di@example.org --tag vip \
    --opt-in >/dev/null
crm-contact add --name "Ed" --email ed@example.org --tag vip >/dev/null
crm-contact unsubscribe di@example.org
sql "UPDATE contacts SET bounced_at = '2026-11-01T00:00:00Z'
    WHERE email = 'ed@example.org'"
crm-segment create vip --where 'tag = vip' >/dev/null
printf 'Hello {{first_name|there}},\n\n{{#fields.city}}See you in {{fields.city}}!\n{{/fields.city}}News for {{campaign.name}}.\n' >body.txt
printf '<p>Hello {{first_name}} &amp; {{fields.city|friends}}</p>\n' >body.html

# Definitions
run crm-campaign create nov --segment vip --subject 'News for {{first_name}}' \
    --from 'Shop <news@example.org>' --text body.txt --html body.html \
    --fields id,name,channel,segment,status,from
expect_rc 0 "create"
expect_out '{"id":1,"name":"nov","channel":"email","segment":"vip","status":"draft","from":"Shop <news@example.org>"}' \
    "prints the campaign"
run crm-campaign create bad --segment vip --subject 'x' --from a@example.org \
    --text body.txt --set 'text=Hi {{#x}}'
expect_rc 2 "a template that does not compile"
expect_err 'crm-campaign: text: line 1, column 4: "{{#x}}" is never closed' \
    "names the field, line and column"
run crm-campaign create bad --segment nope --subject x --from a@example.org \
    --text body.txt
expect_rc 2 "an unknown segment"
run crm-campaign create bad --segment vip --subject x --from 'a@' \
    --text body.txt
expect_rc 2 "a sender that is no address"
run crm-campaign create bad --segment vip --from a@example.org --text body.txt
expect_rc 2 "no subject"
expect_err 'crm-campaign: campaign "bad" needs --subject' "says what is missing"
run crm-campaign create Bad --segment vip --subject x --from a@example.org \
    --text body.txt
expect_rc 2 "a name that is not a slug"
run crm-campaign create bad --segment vip --subject x --from a@example.org \
    --text body.txt --set channel=sms
expect_rc 2 "an unknown channel"
is "$(sql 'SELECT count(*) FROM campaigns')" 1 "nothing of those written"
run crm-campaign clone nov dec --fields name,status
expect_out '{"name":"dec","status":"draft"}' "clone"
run crm-campaign edit dec --subject 'December' --opt-in --fields subject,opt_in
expect_out '{"subject":"December","opt_in":true}' "edit"
run crm-campaign list -o tsv --fields name,segment,status
expect_out 'name	segment	status
dec	vip	draft
nov	vip	draft' "list"

# Check and preview
run crm-campaign check nov
expect_out '{"variable":"campaign.name","missing":0,"recipients":3}
{"variable":"fields.city","missing":0,"recipients":3}
{"variable":"first_name","missing":0,"recipients":3}' \
    "check: nothing missing where defaults and sections cover it"
crm-campaign edit dec --subject 'December in {{fields.city}}' >/dev/null
run crm-campaign check dec -o tsv
expect_out 'variable	missing	recipients
campaign.name	0	2
fields.city	1	2
first_name	0	2' "per variable, how many of the audience (opted in) lack it"
run crm-campaign preview nov --to ada@example.org
expect_rc 0 "preview"
is "$(printf '%s\n' "$OUT" | grep -E '^(From|To|Subject|Message-ID|Precedence):')" \
    'From: Shop <news@example.org>
To: Ada Lovelace <ada@example.org>
Subject: News for Ada
Message-ID: <campaign-1.contact-1@example.org>
Precedence: bulk' "the headers, with a Message-ID of campaign and contact"
like "$OUT" 'See you in London!' "a section for a value present"
like "$OUT" '<p>Hello Ada &amp; London</p>' "HTML: the template's own text as written"

# A dry run writes nothing
run crm-campaign send nov --dry-run
expect_rc 0 "send --dry-run"
is "$(printf '%s\n' "$OUT" | grep -c '^From news@example.org ')" 3 \
    "an mbox of the three messages"
expect_err 'crm-campaign: would send 3, skipped 3' "the count"
is "$(sql 'SELECT count(*) FROM campaign_sends')" 0 "no send log"
run crm-campaign send nov --dry-run -o jsonl
is "$(printf '%s\n' "$OUT" | jq -r .email | tr '\n' ' ')" \
    "ada@example.org bob@example.org cy@example.org " "or JSON Lines"

# Sending
run crm-campaign send nov
expect_rc 2 "no SMTP server configured"
expect_err 'crm-campaign: no SMTP server: set CRM_SMTP_URL or the config key smtp_url (smtp://host:587)' \
    "says how to give one"
is "$(sql 'SELECT count(*) FROM campaign_sends')" 0 "the audience not taken"
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
export CRM_UNSUBSCRIBE_URL=https://example.org/unsub
export CRM_UNSUBSCRIBE_MAILTO=unsubscribe@example.org
run crm-campaign send nov
expect_rc 0 "send"
expect_err 'crm-campaign: sent 3, failed 0, skipped 3, remaining 0' \
    "a summary on stderr"
is "$(received "$SMTPD_DIR")" '1 ada@example.org
1 bob@example.org
1 cy@example.org' "each received once, strictly parsed"
run crm-campaign sends nov -o tsv --fields contact_id,status,reason,message_id
expect_out 'contact_id	status	reason	message_id
1	sent		<campaign-1.contact-1@example.org>
2	sent		<campaign-1.contact-2@example.org>
3	sent		<campaign-1.contact-3@example.org>
4	skipped	no email	
5	skipped	unsubscribed	
6	skipped	bounced	' "the send log: sent, and why the others were left out"
like "$(sql "SELECT reply FROM campaign_sends WHERE id = 1")" '^250' \
    "the server's reply kept"
f=$(grep -l 'ada@example.org' "$SMTPD_DIR"/*.eml 2>/dev/null | head -n 1)
[ -n "$f" ] || f=$(grep -l 'ada@example.org' "$SMTPD_DIR"/* | head -n 1)
like "$(tr -d '\r' <"$f")" '^ <mailto:unsubscribe@example.org\?subject=unsubscribe%201-1-[0-9a-f]{8}>,$' \
    "List-Unsubscribe, mailto (folded)"
like "$(tr -d '\r' <"$f")" '^ <https://example.org/unsub\?t=1-1-[0-9a-f]{8}>$' \
    "and the URL"
like "$(tr -d '\r' <"$f")" 'List-Unsubscribe-Post: List-Unsubscribe=One-Click' \
    "and one-click (RFC 8058)"
like "$(tr -d '\r' <"$f")" 'multipart/alternative' "text and HTML"
run crm-campaign send nov
expect_rc 0 "send again"
expect_err 'crm-campaign: sent 0, failed 0, skipped 3, remaining 0' \
    "sends nothing twice"
is "$(received "$SMTPD_DIR" | wc -l | tr -d ' ')" 3 "still three messages"
run crm-contact timeline ada@example.org --fields kind,type,summary --limit 1
expect_out '{"kind":"campaign","type":"sent","summary":"campaign nov: sent"}' \
    "the contact's timeline shows the mail"
crm-deal add --title Order --contact ada@example.org --amount 120 \
    --currency EUR >/dev/null && crm-deal win 1 >/dev/null
crm-contact unsubscribe cy@example.org
run crm-campaign stats nov
expect_out '{"campaign":"nov","status":"done","queued":0,"sent":3,"failed":0,"unknown":0,"skipped":3,"skipped_because":{"bounced":1,"no email":1,"unsubscribed":1},"bounced":0,"unsubscribed_after":1,"days":30,"deals_won":1,"won_amount":{"EUR":"120.00"}}' \
    "stats: the log, who unsubscribed after, deals won since"
CRM_NOW=2027-01-22T12:00:00Z crm-deal add --title Late --contact cy@example.org \
    --amount 5 --status won >/dev/null 2>&1 ||
    { crm-deal add --title Late --contact cy@example.org --amount 5 >/dev/null &&
    CRM_NOW=2027-01-22T12:00:00Z crm-deal win 2 >/dev/null; }
run crm-campaign stats nov --days 90 --fields deals_won,won_amount
expect_out '{"deals_won":2,"won_amount":{"EUR":"125.00"}}' \
    "--days widens the window"
run crm-campaign send dec
expect_err 'crm-campaign: sent 1, failed 0, skipped 5, remaining 0' \
    "opt-in required: those without consent left out, and cy, unsubscribed since"
run crm-campaign edit nov --segment vip
expect_rc 2 "the audience cannot change once taken"
run crm-campaign delete nov
expect_rc 1 "a campaign that sent is not deleted lightly"
run crm-campaign delete dec --force
expect_rc 0 "unless forced"

# A thousand recipients, each exactly once
{
	echo name,email,tags
	i=1
	while [ $i -le 1000 ]; do
		echo "Reader $i,r$i@example.net,readers"
		i=$((i + 1))
	done
} >readers.csv
crm-contact import readers.csv 2>/dev/null
crm-segment create readers --where 'tag = readers' >/dev/null
crm-campaign create big --segment readers --subject 'Hi {{first_name}}' \
    --from news@example.org --text body.txt >/dev/null
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send big
expect_rc 0 "send to 1000"
r=$(received "$SMTPD_DIR")
is "$(printf '%s\n' "$r" | wc -l | tr -d ' ') $(printf '%s\n' "$r" | grep -vc '^1 ')" \
    "1000 0" "1000 recipients, each received exactly once"

# kill_mid_send: the send log afresh, a send at 200 a second to a new
# server, killed with -9 a second in.
kill_mid_send() {
	sql "DELETE FROM campaign_sends WHERE campaign_id = 3;
	    UPDATE campaigns SET status = 'draft' WHERE id = 3"
	smtpd_start accept || exit 1
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
	crm-campaign send big --rate 200/s 2>/dev/null &
	pid=$!
	# Under valgrind a command takes seconds to start.
	if [ -n "${CRM_VALGRIND:-}" ]; then sleep 10; else sleep 1; fi
	kill -9 $pid
	wait $pid 2>/dev/null
}

# Killed mid-run, run again: once each, but for the unknown one
kill_mid_send
[ "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'claimed' AND claimed_at IS NOT NULL")" -le 1 ]
ok $? "at most one row in flight when killed"
[ "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'claimed' AND claimed_at IS NULL")" -le 64 ]
ok $? "at most a batch reserved and not tried"
[ "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'sent'")" -gt 0 ]
ok $? "killed after some were sent"
run crm-campaign send big
expect_rc 0 "the rerun"
like "$ERR" 'remaining 0' "finishes"
unknown=$(sql "SELECT email FROM campaign_sends WHERE campaign_id = 3
    AND status = 'unknown'")
r=$(received "$SMTPD_DIR")
twice=$(printf '%s\n' "$r" | grep -vc '^1 ')
is "$twice" 0 "nobody received it twice"
sent=$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'sent'")
got=$(printf '%s\n' "$r" | wc -l | tr -d ' ')
nu=$(printf '%s' "$unknown" | grep -c .)
[ "$got" -ge "$sent" ] && [ "$got" -le $((sent + nu)) ]
ok $? "every sent one received, an unknown one at most once ($got received, $sent sent, $nu unknown)"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status IN ('queued', 'claimed')")" 0 "nobody forgotten"
[ "$nu" -le 1 ]
ok $? "only the one in flight is unknown: the reserved ones were sent ($nu)"

# Killed, and the system restarted since: what was reserved and not
# marked tried may have been tried all the same, so it is unknown too.
kill_mid_send
held=$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'claimed'")
reserved=$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'claimed' AND claimed_at IS NULL")
sql "UPDATE campaigns SET send_boot = 'a-boot-before' WHERE id = 3"
run crm-campaign send big
expect_rc 0 "the rerun after a restart"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND status = 'unknown'")" "$held" "every row it held is unknown ($held)"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE campaign_id = 3
    AND reason = 'the system restarted while it was reserved for a run'")" \
    "$reserved" "the reserved ones say why ($reserved)"
is "$(received "$SMTPD_DIR" | grep -vc '^1 ')" 0 "nobody received it twice"
is "$(sql "SELECT send_boot FROM campaigns WHERE id = 3")" \
    "$(cat /proc/sys/kernel/random/boot_id)" "the run records its boot"

# Two runs at once: never the same recipient twice
sql "DELETE FROM campaign_sends WHERE campaign_id = 3;
    UPDATE campaigns SET status = 'draft' WHERE id = 3"
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
crm-campaign send big --rate 500/s 2>one.err &
p1=$!
crm-campaign send big --rate 500/s 2>two.err &
p2=$!
wait $p1
rc1=$?
wait $p2
rc2=$?
is "$(echo $rc1 $rc2 | tr ' ' '\n' | sort | tr '\n' ' ')" "0 75 " \
    "one sends, the other exits 75"
like "$(cat one.err two.err)" 'campaign "big" is being sent by another run' \
    "and says why"
r=$(received "$SMTPD_DIR")
is "$(printf '%s\n' "$r" | wc -l | tr -d ' ') $(printf '%s\n' "$r" | grep -vc '^1 ')" \
    "1000 0" "each received once"

# Four connections at once: still once each
sql "DELETE FROM campaign_sends WHERE campaign_id = 3;
    UPDATE campaigns SET status = 'draft' WHERE id = 3"
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send big --connections 4
expect_rc 0 "--connections 4"
expect_err 'crm-campaign: sent 1000, failed 0, skipped 0, remaining 0' \
    "the tally of the four"
r=$(received "$SMTPD_DIR")
is "$(printf '%s\n' "$r" | wc -l | tr -d ' ') $(printf '%s\n' "$r" | grep -vc '^1 ')" \
    "1000 0" "each received once"
[ "$(grep -c '^ehlo' "$SMTPD_DIR/log" 2>/dev/null || echo 4)" -ge 2 ]
ok $? "over several connections"
run crm-campaign send big --connections 2 --max 0
expect_rc 2 "--max 0 is no number of messages"
run crm-campaign send big --connections 99
expect_rc 2 "too many connections"

# 451, then 250
crm-segment create two --where 'email in (ada@example.org, bob@example.org)' \
    >/dev/null
crm-campaign create later --segment two --subject x --from news@example.org \
    --text body.txt >/dev/null
smtpd_start tempfail || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send later
expect_rc 75 "a temporary refusal: exit 75 for cron"
expect_err 'crm-campaign: sent 0, failed 0, skipped 0, remaining 2 (2 to try again later)' \
    "counted as remaining"
is "$(sql "SELECT group_concat(status || ' ' || next_at) FROM campaign_sends
    WHERE campaign_id = 4")" \
    "queued 2026-11-22T12:01:00Z,queued 2026-11-22T12:01:00Z" \
    "queued again, a minute on"
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send later
expect_err 'crm-campaign: sent 0, failed 0, skipped 0, remaining 2' \
    "not before its time"
CRM_NOW=2026-11-22T12:05:00Z run crm-campaign send later
expect_rc 0 "later"
expect_err 'crm-campaign: sent 2, failed 0, skipped 0, remaining 0' "sent"
is "$(received "$SMTPD_DIR")" '1 ada@example.org
1 bob@example.org' "each once"

# 550
crm-campaign create refused --segment two --subject x \
    --from news@example.org --text body.txt >/dev/null
smtpd_start reject || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send refused
expect_rc 1 "a permanent refusal fails"
expect_err 'crm-campaign: sent 0, failed 2, skipped 0, remaining 0' \
    "counted"
run crm-campaign failed refused -o tsv --fields email,status,reason
like "$OUT" 'ada@example.org	failed	smtp://127.0.0.1:[0-9]*: refused: 550 5.1.1 <ada@example.org>: Recipient address rejected' \
    "failed: with the server's text"
run crm-campaign retry refused
expect_err 'crm-campaign: requeued 2' "retry requeues them"
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
run crm-campaign send refused
expect_err 'crm-campaign: sent 2, failed 0, skipped 0, remaining 0' \
    "and they go"

# No server at all: nothing lost
crm-campaign create nobody --segment two --subject x \
    --from news@example.org --text body.txt >/dev/null
smtpd_stop
run crm-campaign send nobody
expect_rc 75 "no server: worth retrying"
is "$(sql "SELECT group_concat(status || ' ' || attempts) FROM campaign_sends
    WHERE campaign_id = 6")" "queued 0,queued 0" \
    "both still queued, no attempt counted"
run crm-segment delete two
expect_rc 1 "a segment a campaign is sending to is not deleted"
expect_err 'crm-segment: cannot delete segment "two": campaign "nobody" sends to it (--force deletes it anyway, and the campaign is left without an audience)' \
    "it says which"
run crm-segment delete --force two
expect_rc 0 "unless forced"
