#!/bin/sh
# crm-campaign bounces: delivery status notifications (RFC 3464) on
# stdin or in an mbox, matched to the send log by the bounced Message-ID
# or the address; a hard bounce marks the row and the contact, and the
# next campaign leaves the contact out.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find; then
	plan 1
	skip "no SMTP server: install python3-aiosmtpd or postfix (smtp-sink)"
	exit 0
fi
plan 19

# dsn RCPT ACTION STATUS MSGID: a postfix-style bounce report.
dsn() {
	printf 'From: MAILER-DAEMON@mx.example.org\nTo: news@example.org\n'
	printf 'Subject: Undelivered Mail Returned to Sender\n'
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status;\n'
	printf ' boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
	printf 'I could not deliver your message.\n\n--B\n'
	printf 'Content-Type: message/delivery-status\n\n'
	printf 'Reporting-MTA: dns; mx.example.org\n\n'
	printf 'Final-Recipient: rfc822; %s\nAction: %s\nStatus: %s\n' \
	    "$1" "$2" "$3"
	printf 'Diagnostic-Code: smtp; 550 5.1.1 <%s>: user unknown\n\n' "$1"
	printf -- '--B\nContent-Type: text/rfc822-headers\n\n'
	printf 'Message-ID: %s\nSubject: news\n\n--B--\n' "$4"
}

for w in ada bob cy; do
	crm-contact add --name "$w" --email "$w@example.org" --tag news \
	    >/dev/null
done
crm-segment create news --where 'tag = news' >/dev/null
printf 'Hi\n' >body.txt
crm-campaign create nov --segment news --subject x --from news@example.org \
    --text body.txt >/dev/null
smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
crm-campaign send nov 2>/dev/null

dsn bob@example.org failed 5.1.1 '<campaign-1.contact-2@example.org>' >bob.eml
run crm-campaign bounces <bob.eml
expect_rc 0 "a bounce report on stdin"
expect_out '{"email":"bob@example.org","action":"failed","status":"5.1.1","hard":true,"diagnostic":"550 5.1.1 <bob@example.org>: user unknown","campaign_id":1,"contact_id":2,"marked":true}' \
    "matched by the bounced Message-ID, marked"
expect_err 'crm-campaign: 1 message, 1 bounce report, 1 hard bounce marked' \
    "a summary"
is "$(sql "SELECT bounced_at FROM contacts WHERE id = 2")" \
    "2026-11-22T12:00:00Z" "the contact is marked"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE bounced_at IS NOT NULL")" \
    1 "and its send log row"
run crm-campaign stats nov --fields sent,bounced
expect_out '{"sent":3,"bounced":1}' "stats count it"
run crm-campaign bounces <bob.eml
expect_out '{"email":"bob@example.org","action":"failed","status":"5.1.1","hard":true,"diagnostic":"550 5.1.1 <bob@example.org>: user unknown","campaign_id":1,"contact_id":2,"marked":false}' \
    "the same report again marks nothing new"
is "$(sql "SELECT count(*) FROM events WHERE action = 'bounce'")" 1 \
    "one bounce event"

# An mbox: a soft bounce, a hard one found by address, and a mail that
# is no report.
{
	echo 'From MAILER-DAEMON Sun Nov 22 12:00:00 2026'
	dsn cy@example.org delayed 4.4.7 '<other@example.org>'
	echo
	echo 'From MAILER-DAEMON Sun Nov 22 12:00:00 2026'
	dsn ada@example.org failed 5.2.1 '<unknown@example.org>'
	echo
	echo 'From someone Sun Nov 22 12:00:00 2026'
	printf 'From: a@example.org\nSubject: thanks\n\nThanks!\n\n'
} >bounces.mbox
run crm-campaign bounces --mbox bounces.mbox -o tsv --fields email,action,hard,marked
expect_rc 0 "an mbox"
expect_out 'email	action	hard	marked
cy@example.org	delayed	false	false
ada@example.org	failed	true	true' \
    "a delay is not a bounce; a failure is, found by its address"
expect_err 'crm-campaign: 3 messages, 2 bounce reports, 1 hard bounce marked' \
    "the mail that is no report is counted, not an error"
is "$(sql "SELECT group_concat(email) FROM contacts WHERE bounced_at IS NOT NULL")" \
    "ada@example.org,bob@example.org" "ada and bob bounced, cy did not"

# The next campaign leaves them out
crm-campaign create dec --segment news --subject x --from news@example.org \
    --text body.txt >/dev/null
run crm-campaign send dec
expect_err 'crm-campaign: sent 1, failed 0, skipped 2, remaining 0' \
    "the bounced are skipped"
run crm-campaign sends dec -o tsv --fields email,status,reason
expect_out 'email	status	reason
ada@example.org	skipped	bounced
bob@example.org	skipped	bounced
cy@example.org	sent	' "with the reason"

# Bad input
printf '' | crm-campaign bounces 2>err
is "$?:$(cat err)" '1:crm-campaign: stdin: no message
crm-campaign: 0 messages, 0 bounce reports, 0 hard bounces marked' \
    "no message on stdin"
run crm-campaign bounces --mbox nosuch.mbox
expect_rc 1 "an mbox that is not there"
head -c 300 bob.eml >cut.eml
run crm-campaign bounces <cut.eml
expect_rc 0 "a truncated report: no crash"
like "$ERR" '1 message' "counted"
run crm-campaign bounces extra
expect_rc 2 "an operand"
