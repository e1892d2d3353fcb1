#!/bin/sh
# Mail out when the line fails: an SMTP server that takes the envelope and
# DATA, then drops the connection in the middle of the message.  The
# sender cannot know whether the message arrived, but the server never
# said it took it: crm-ticket reply exits 75 (try again later) with one
# line naming the server, stores nothing, and a second try sends and
# stores the reply once.  crm-campaign send, at the end: the recipient
# in flight unknown, the rest sent by the next run; a silent server: exit
# 75 within the timeout, nothing marked.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find || [ "$SMTPD_KIND" != aiosmtpd ]; then
	plan 1
	skip "needs python3-aiosmtpd's server (tests/smtpd.py)"
	exit 0
fi
plan 33

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

# --- campaign send -----------------------------------------------------

# The same dropped line under crm-campaign send: the recipient in flight
# is unknown (the message went out, no reply came: never sent again
# unasked), the rest still queued; a rerun sends the rest, never that
# one.  A server that never says a word: its timeout, exit 75, nothing
# marked.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
grace=0
nlines() { printf '%s\n' "$1" | wc -l | tr -d ' '; }
[ -z "${CRM_VALGRIND:-}" ] || grace=5000
# log CAMPAIGN: "contact status attempts" of its send log, by contact.
log() {
	sql "SELECT group_concat(contact_id || ' ' || status || ' ' ||
	    attempts, ',') FROM (SELECT * FROM campaign_sends
	    WHERE campaign_id = (SELECT id FROM campaigns WHERE name = '$1')
	    ORDER BY contact_id)"
}
# rcpts: the recipients of the messages waiting in the server directory.
rcpts() {
	cat "$SMTPD_DIR"/*.eml 2>/dev/null | tr -d '\r' |
	    sed -n 's/^X-Rcpt-Args: <\(.*\)>$/\1/p' | sort | tr '\n' ' '
}
for i in 2 3 4 5; do
	crm-contact add --name "Reader $i" --email "r$i@example.org" \
	    --tag news >/dev/null
done
crm-segment create news --where 'tag = news' >/dev/null
printf 'Hello {{first_name}}\n' >news.txt
crm-campaign create drop --segment news --subject 'News' \
    --from news@example.org --text news.txt >/dev/null
crm-campaign clone drop mute >/dev/null
contacts() { sqlite3 "$CRM_DB" '.dump contacts contact_tags' | cksum; }
held=$(contacts)

smtpd_start dropdata || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-campaign send drop
expect_rc 75 "campaign send: the line dropped mid-DATA"
is "$(printf '%s\n' "$ERR" | sed -n 1p)" 'crm-campaign: sent 0, failed 0, skipped 0, remaining 3, unknown 1 (not sent again: see crm-campaign retry --unknown)' \
    "the summary counts it unknown"
like "$(nlines "$ERR")|$(printf '%s\n' "$ERR" | sed -n 2p)" "^2\|crm-campaign: smtp://127\.0\.0\.1:$SMTPD_PORT: the connection was lost before the server took the message: .+\$" \
    "then one line naming the server and what happened"
is "$(grep -c dropped "$SMTPD_DIR/log")" 1 "the server dropped the first message"
is "$(log drop)" "2 unknown 1,3 queued 0,4 queued 0,5 queued 0" \
    "the recipient in flight is unknown, the others untouched"
like "$(sql "SELECT message_id || ' ' || reason FROM campaign_sends
    WHERE status = 'unknown'")" "^<campaign-1\.contact-2@example\.org> smtp://127\.0\.0\.1:$SMTPD_PORT: the connection was lost before" \
    "with its Message-ID and the reason"
is "$(sql "SELECT status FROM campaigns WHERE name = 'drop'")" sending \
    "the campaign is still sending"
is "$(contacts)" "$held" "no contact changed"

smtpd_start accept || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-campaign send drop
expect_rc 0 "the rerun against a server that takes the mail"
expect_err 'crm-campaign: sent 3, failed 0, skipped 0, remaining 0' \
    "sends the rest"
is "$(rcpts)" "r3@example.org r4@example.org r5@example.org " \
    "each once, and never the unknown one"
is "$(log drop)" "2 unknown 1,3 sent 1,4 sent 1,5 sent 1" "the send log"
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-campaign send drop
expect_err 'crm-campaign: sent 0, failed 0, skipped 0, remaining 0' \
    "a third run sends nothing"
is "$(smtpd_count)" 3 "still three messages"

# Silent: the timeout from the environment, then from the config file.
smtpd_start silent || exit 1
t0=$(now_ms)
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" CRM_SMTP_TIMEOUT=2 \
    crm-campaign send mute
t1=$(now_ms)
expect_rc 75 "a server that never answers (CRM_SMTP_TIMEOUT=2)"
like "$(nlines "$ERR")|$ERR" "^1\|crm-campaign: smtp://127\.0\.0\.1:$SMTPD_PORT: .*timed out" "one line: the server timed out"
[ $((t1 - t0)) -ge 1900 ] && [ $((t1 - t0)) -lt $((3500 + grace)) ]
ok $? "gives up after the timeout ($((t1 - t0)) ms)"
is "$(log mute)" "2 queued 0,3 queued 0,4 queued 0,5 queued 0" \
    "nothing marked, no attempt counted: the audience still queued"
mkdir -p "$XDG_CONFIG_HOME/crm"
printf 'smtp_connect_timeout = 1\n' >"$XDG_CONFIG_HOME/crm/config"
t0=$(now_ms)
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-campaign send mute
t1=$(now_ms)
expect_rc 75 "smtp_connect_timeout = 1 in the config file"
like "$(nlines "$ERR")|$ERR" "^1\|crm-campaign: smtp://127\.0\.0\.1:$SMTPD_PORT: .*timed out" "one line"
[ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt $((2500 + grace)) ]
ok $? "gives up after it ($((t1 - t0)) ms)"
is "$(log mute)" "2 queued 0,3 queued 0,4 queued 0,5 queued 0" \
    "still all queued"
is "$(sql "SELECT count(*) FROM campaign_sends WHERE status = 'sent'
    AND campaign_id = (SELECT id FROM campaigns WHERE name = 'mute')")" 0 \
    "nothing sent"
smtpd_stop
is "$(contacts)" "$held" "and no contact changed"
