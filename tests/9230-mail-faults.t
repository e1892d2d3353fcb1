#!/bin/sh
# Mail out when the line fails: an SMTP server that takes the envelope and
# DATA, then drops the connection in the middle of the message.  The
# sender cannot know whether the message arrived, but the server never
# said it took it: crm-ticket reply exits 75 (try again later) with one
# line naming the server, stores nothing, and a second try sends and
# stores the reply once.  (The campaign send's turn comes with campaigns.)
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find || [ "$SMTPD_KIND" != aiosmtpd ]; then
	plan 1
	skip "needs python3-aiosmtpd's server (tests/smtpd.py)"
	exit 0
fi
plan 9

state() {
	sql "SELECT (SELECT count(*) FROM ticket_comments) || ' ' ||
	    (SELECT count(*) FROM events)"
}

export CRM_FROM='Support <help@example.org>'
crm-contact add --name 'Zoë Smith' --email zoe@example.org >/dev/null
crm-ticket open --contact zoe@example.org --subject 'Broken' \
    --body 'It leaks' >/dev/null
before=$(state)

smtpd_start dropdata || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" \
    crm-ticket reply 1 --body 'We are on it.'
expect_rc 75 "a connection dropped in the middle of DATA"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: the connection was lost before the server took the message: .+\$" \
    "one line naming the server and what happened"
is "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')" 1 "just one"
is "$(grep -c dropped "$SMTPD_DIR/log")" 1 "the server did drop it mid-DATA"
is "$(state)" "$before" "nothing stored"
is "$(sql "SELECT first_response_at IS NULL FROM tickets")" 1 \
    "the ticket still waits for its first response"

smtpd_start accept || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" \
    crm-ticket reply 1 --body 'We are on it.'
expect_rc 0 "the second try"
is "$(smtpd_count)" 1 "sends the reply"
is "$(sql "SELECT count(*) FROM ticket_comments WHERE body = 'We are on it.'")" \
    1 "and stores it once"
