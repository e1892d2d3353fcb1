#!/bin/sh
# crm-ticket reply: the customer gets a real mail from a real SMTP server
# on 127.0.0.1 (tests/smtpd.sh), parsed with Python's email package under
# policy.strict; the reply is stored as a public comment with its
# Message-ID only once the server took it, and the customer's answer
# threads back through ingest.  Refusals (5xx), temporary failures (4xx),
# no server, a silent server, header injection, a closed ticket, a
# contact without email: the documented status and nothing stored; a
# store that fails after the send says so.  AUTH, STARTTLS and smtps://
# against the same server; credentials never show.  With smtp-sink
# (CRM_TEST_SMTPD=smtp-sink) the AUTH and TLS checks are skipped.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/smtpd.sh"

if ! smtpd_find; then
	plan 1
	skip "no SMTP server: install python3-aiosmtpd or postfix (smtp-sink)"
	exit 0
fi
plan 96

# mailinfo FILE: what a strict parser makes of a message.
mailinfo() {
	"$SMTPD_PY" - "$1" <<'EOF'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.strict)
for name in msg.keys():
    if msg[name].defects:
        print("defect in %s: %r" % (name, msg[name].defects))
print("envelope:", str(msg["X-Mail-Args"]).split()[0],
      str(msg["X-Rcpt-Args"]).split()[0])
for name in ("Date", "From", "To", "Subject", "In-Reply-To", "References",
             "MIME-Version"):
    print("%s: %s" % (name, msg[name]))
print("type: %s; charset=%s; %s" % (msg.get_content_type(),
      msg.get_content_charset(), msg["Content-Transfer-Encoding"]))
# smtp-sink's dump adds an empty line.
body = msg.get_content().replace("\r\n", "\n").rstrip("\n")
print("body: %r" % body)
EOF
}

# msgid FILE: the Message-ID header.
msgid() {
	"$SMTPD_PY" -c 'import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(),
                             policy=email.policy.strict)
print(m["Message-ID"])' "$1"
}

# The raw header lines of FILE longer than 78 octets (without CRLF).
long_lines() {
	sed -n '/^Date:/,/^\r*$/p' "$1" | tr -d '\r' | awk 'length > 78' |
	    wc -l | tr -d ' '
}

state() {
	sql "SELECT (SELECT count(*) FROM ticket_comments) || ' ' ||
	    (SELECT count(*) FROM events)"
}

export CRM_FROM='Support Team <help@example.org>'
crm-contact add --name 'Zoë Smith' --email zoe@example.org >/dev/null
crm-contact add --name 'No Mail' >/dev/null
crm-ticket open --contact zoe@example.org --subject 'Café machine broken' \
    --body 'It leaks' --message-id '<req-1@mail.example.com>' >/dev/null
# A follow-up from the customer, as mail in stores it.
sql "INSERT INTO ticket_comments (ticket_id, contact_id, author, body,
    internal, created_at, message_id) VALUES (1, 1, 'zoe@example.org',
    'Still leaking', 0, '2026-11-22T11:00:00Z', '<req-2@mail.example.com>')"
crm-ticket open --contact 1 --subject 'Old one' </dev/null >/dev/null
crm-ticket close 2 >/dev/null
crm-ticket open --contact 2 --subject 'Phone only' </dev/null >/dev/null

smtpd_start accept || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"

# --dry-run: the message, nothing sent, nothing stored.
before=$(state)
run crm-ticket reply 1 --body 'Hello' --dry-run
expect_rc 0 "--dry-run"
like "$OUT" '^Subject: Re: =\?UTF-8\?Q\?Caf=C3=A9\?= machine broken \[#1\]$' \
    "prints the message, its subject encoded"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" '^From: Support Team <help@example.org>$' \
    "From from CRM_FROM"
is "$(smtpd_count):$(state)" "0:$before" "sends and stores nothing"

# The reply: body from stdin, UTF-8, a line with a lone dot.
printf 'Hello Zoë,\n\nthe technician comes tomorrow.\n.\n-- \nSupport\n' \
    >"$T_DIR/body"
run crm-ticket reply 1 <"$T_DIR/body"
expect_rc 0 "reply"
id1=$(sql "SELECT message_id FROM ticket_comments WHERE id = 3")
is "$OUT" "{\"id\":3,\"ticket_id\":1,\"author\":\"tester\",\"internal\":false,\"body\":\"Hello Zoë,\\n\\nthe technician comes tomorrow.\\n.\\n-- \\nSupport\",\"created_at\":\"2026-11-22T12:00:00Z\",\"message_id\":\"$id1\"}" \
    "prints the stored comment"
like "$id1" '^<20261122120000\.[0-9a-f]{16}@example\.org>$' \
    "the Message-ID: unique, at From's domain"
smtpd_take "$T_DIR/m1.eml"
ok $? "one message arrived"
is "$(mailinfo "$T_DIR/m1.eml")" "envelope: <help@example.org> <zoe@example.org>
Date: Sun, 22 Nov 2026 12:00:00 +0000
From: Support Team <help@example.org>
To: Zoë Smith <zoe@example.org>
Subject: Re: Café machine broken [#1]
In-Reply-To: <req-2@mail.example.com>
References: <req-1@mail.example.com> <req-2@mail.example.com>
MIME-Version: 1.0
type: text/plain; charset=utf-8; quoted-printable
body: 'Hello Zoë,\n\nthe technician comes tomorrow.\n.\n-- \nSupport'" \
    "strict parse: headers, threading, token, body with its dot line"
is "$(msgid "$T_DIR/m1.eml")" "$id1" "the Message-ID sent is the one stored"
is "$(long_lines "$T_DIR/m1.eml")" 0 "no header line over 78 octets"
is "$(sql "SELECT status, first_response_at FROM tickets WHERE id = 1")" \
    "open|2026-11-22T12:00:00Z" "the reply is the first response"
is "$(sql "SELECT action, json_extract(changes, '\$.comment_id') FROM events WHERE entity = 'ticket' AND entity_id = 1 ORDER BY id DESC LIMIT 1")" \
    "comment|3" "a comment event"

# The next reply threads under the first.
run crm-ticket reply 1 --body 'Done.' --from 'Bob <bob@support.example.org>'
expect_rc 0 "a second reply"
smtpd_take "$T_DIR/m2.eml"
ok $? "arrives"
mailinfo "$T_DIR/m2.eml" >"$T_DIR/info2"
is "$(grep -E '^(envelope|From|In-Reply-To|References|type):' "$T_DIR/info2")" \
    "envelope: <bob@support.example.org> <zoe@example.org>
From: Bob <bob@support.example.org>
In-Reply-To: $id1
References: <req-1@mail.example.com> <req-2@mail.example.com> $id1
type: text/plain; charset=utf-8; 7bit" \
    "--from, and References with the first reply (ASCII goes 7bit)"
like "$(msgid "$T_DIR/m2.eml")" '@support\.example\.org>$' \
    "its Message-ID at --from's domain"
is "$(sql "SELECT count(*) FROM ticket_comments WHERE ticket_id = 1 AND message_id = '$(msgid "$T_DIR/m2.eml")'")" \
    1 "stored with it"

# The customer's answer, without the token, threads back by In-Reply-To.
if crm-ticket help ingest >/dev/null 2>&1; then
	printf 'From: Zoe <zoe@example.org>\r\nTo: help@example.org\r\nSubject: Re: thanks\r\nMessage-ID: <answer-1@mail.example.com>\r\nIn-Reply-To: %s\r\nDate: Sun, 22 Nov 2026 13:00:00 +0000\r\n\r\nWorks now.\r\n' \
	    "$id1" | crm-ticket ingest >/dev/null 2>&1
	is "$(sql "SELECT ticket_id FROM ticket_comments WHERE message_id = '<answer-1@mail.example.com>'")" \
	    1 "the customer's answer to the reply threads into the ticket (ingest)"
else
	skip "no crm-ticket ingest"
fi

# Sent, then the store fails: said loudly with the Message-ID, status 1
# (not 75: a retry would send it twice).
sql "CREATE TRIGGER t_fail BEFORE INSERT ON ticket_comments
    BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
run crm-ticket reply 1 --body 'Lost?'
expect_rc 1 "sent but not stored"
smtpd_take "$T_DIR/m3.eml"
ok $? "the mail went out"
is "$ERR" "crm-ticket: ticket 1: the reply was sent as $(msgid "$T_DIR/m3.eml") but not stored (do not send it again; record it with crm-ticket comment 1): $CRM_DB: disk on fire" \
    "says so with its Message-ID"
sql "DROP TRIGGER t_fail"

# A non-ASCII subject, long enough to fold.
crm-ticket open --contact 1 --subject 'Заказ не доставлен — срочно, пожалуйста, помогите с возвратом денег' \
    </dev/null >/dev/null
run crm-ticket reply 4 --body 'Мы проверим.'
expect_rc 0 "a reply to a Cyrillic subject"
smtpd_take "$T_DIR/m4.eml"
ok $? "arrives"
is "$(mailinfo "$T_DIR/m4.eml" | grep -E '^(Subject|body):')" \
    "Subject: Re: Заказ не доставлен — срочно, пожалуйста, помогите с возвратом денег [#4]
body: 'Мы проверим.'" "decodes to the subject and body"
is "$(long_lines "$T_DIR/m4.eml")" 0 "folded at 78"
like "$(grep -c '=?UTF-8?Q?' "$T_DIR/m4.eml")" '^[3-9]$' \
    "in several encoded words"
is "$(grep -o '=?UTF-8?Q?[^?]*?=' "$T_DIR/m4.eml" | awk 'length > 75' | wc -l | tr -d ' ')" \
    0 "each at most 75 octets"

# A long thread: References keeps the first and the newest, 20 in all.
crm-ticket open --contact 1 --subject 'Long' --message-id '<root@example.com>' \
    </dev/null >/dev/null
i=1
while [ $i -le 30 ]; do
	sql "INSERT INTO ticket_comments (ticket_id, contact_id, author, body,
	    internal, created_at, message_id) VALUES (5, 1, 'zoe@example.org',
	    'more', 0, '2026-11-22T11:00:00Z', '<c$i@example.com>')"
	i=$((i + 1))
done
run crm-ticket reply 5 --body x --dry-run
is "$(printf '%s\n' "$OUT" | sed -n '/^References:/,/^[^ R]/p' | sed '$d' | tr -s ' \n' '  ' | sed 's/ $//')" \
    "References: <root@example.com> $(i=12; while [ $i -le 30 ]; do printf '<c%d@example.com> ' $i; i=$((i + 1)); done | sed 's/ $//')" \
    "References: the root and the newest 19"
like "$OUT" '^In-Reply-To: <c30@example\.com>$' "In-Reply-To: the newest"

# Header injection: refused before anything is sent.
before=$(state)
sql "UPDATE tickets SET subject = 'Hi' || char(13) || char(10) || 'Bcc: victim@example.org' WHERE id = 4"
run crm-ticket reply 4 --body x
expect_rc 1 "CR LF in the subject"
expect_err "crm-ticket: subject: CR or LF in a header value" "is refused"
sql "UPDATE tickets SET subject = 'Hi' WHERE id = 4"
run crm-ticket reply 4 --body x --from "$(printf 'Eve <eve@example.org>\nBcc: victim@example.org')"
expect_rc 1 "LF in --from"
expect_err "crm-ticket: --from: address: CR or LF in a header value" \
    "is refused"
sql "UPDATE contacts SET name = 'Zoë' || char(10) || 'Bcc: victim@example.org' WHERE id = 1"
run crm-ticket reply 4 --body x
expect_rc 1 "LF in the contact's name"
expect_err "crm-ticket: to: CR or LF in a header value" "is refused"
sql "UPDATE contacts SET name = 'Zoë Smith' WHERE id = 1"
is "$(smtpd_count):$(state)" "0:$before" "nothing sent, nothing stored"

# Refused before connecting: no server needed to say so.
run env CRM_SMTP_URL=smtp://127.0.0.1:1 crm-ticket reply 2 --body x
expect_rc 1 "a closed ticket"
expect_err "crm-ticket: ticket 2 is closed (reopen it to reply)" "says so"
run env CRM_SMTP_URL=smtp://127.0.0.1:1 crm-ticket reply 3 --body x
expect_rc 1 "a contact without email"
expect_err "crm-ticket: ticket 3: contact 2 has no email" "says so"
run env -u CRM_FROM crm-ticket reply 1 --body x
expect_rc 2 "no From"
expect_err "crm-ticket: no sender: use --from or set CRM_FROM or the config key from" \
    "says how to give one"
run env -u CRM_SMTP_URL crm-ticket reply 1 --body x
expect_rc 2 "no SMTP server"
expect_err "crm-ticket: no SMTP server: set CRM_SMTP_URL or the config key smtp_url (smtp://host:587)" \
    "says how to name one"
run env CRM_SMTP_URL='http://agent:pw-S3cr3t@example.org/' crm-ticket reply 1 --body x
expect_rc 2 "not an SMTP URL"
expect_err 'crm-ticket: smtp_url: expected smtp://host:port or smtps://host:port, got "http://example.org"' \
    "says so without the credentials in it"
run crm-ticket reply 1 --body ' '
expect_rc 2 "an empty reply"
expect_err "crm-ticket: the reply is empty" "is refused before sending"
run env CRM_MAIL_FROM="$(printf 'b@example.org>\r\nRCPT TO:<victim@example.org')" \
    crm-ticket reply 1 --body x
expect_rc 1 "CR LF in mail_from"
expect_err "crm-ticket: mail_from: address: CR or LF in a header value" \
    "is refused"
run crm-ticket reply 99 --body x
expect_rc 1 "an unknown ticket"
expect_err 'crm-ticket: no ticket "99"' "names it"
run crm-ticket reply --body x
expect_rc 2 "no ticket"
is "$(smtpd_count):$(state)" "0:$before" "nothing sent, nothing stored"

# The server refuses (5xx): exit 1, nothing stored.
smtpd_start reject || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-ticket reply 1 --body x
expect_rc 1 "a 5xx reply"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: refused: 5[0-9][0-9] .*\$" \
    "one line naming the server and its reply"
is "$(smtpd_count):$(state)" "0:$before" "nothing stored"

# The server says later (4xx): exit 75, nothing stored.
smtpd_start tempfail || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" crm-ticket reply 1 --body x
expect_rc 75 "a 4xx reply"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: try again later: 4[0-9][0-9] .*\$" \
    "one line naming the server and its reply"
is "$(state)" "$before" "nothing stored"

# A server that never answers: the connect timeout, exit 75.
smtpd_start silent || exit 1
run env CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" \
    CRM_SMTP_CONNECT_TIMEOUT=1 crm-ticket reply 1 --body x
expect_rc 75 "a server that never greets"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: .*timed out" \
    "times out, saying so"
is "$(state)" "$before" "nothing stored"

# No server: exit 75, nothing stored.
port=$SMTPD_PORT
smtpd_stop
run env CRM_SMTP_URL="smtp://127.0.0.1:$port" crm-ticket reply 1 --body x
expect_rc 75 "no server listening"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$port: failed to connect .*\$" \
    "one line naming the server"
is "$(state)" "$before" "nothing stored"

# The settings from the config file.
mkdir -p "$XDG_CONFIG_HOME/crm"
smtpd_start accept || exit 1
printf 'smtp_url = smtp://127.0.0.1:%s\nfrom = Desk <desk@example.org>\nmail_from = bounces@example.org\nsmtp_timeout = 20\n' \
    "$SMTPD_PORT" >"$XDG_CONFIG_HOME/crm/config"
run env -u CRM_SMTP_URL -u CRM_FROM crm-ticket reply 1 --body 'From the config'
expect_rc 0 "smtp_url, from and mail_from from the config file"
smtpd_take "$T_DIR/m5.eml"
ok $? "arrives"
is "$(mailinfo "$T_DIR/m5.eml" | grep -E '^(envelope|From):')" \
    "envelope: <bounces@example.org> <zoe@example.org>
From: Desk <desk@example.org>" "the envelope sender is mail_from"
printf 'smtp_timeout = soon\n' >>"$XDG_CONFIG_HOME/crm/config"
run crm-ticket reply 1 --body x
expect_rc 2 "a bad smtp_timeout"
expect_err 'crm-ticket: smtp_timeout: expected seconds from 1 to 86400, got "soon"' \
    "says so"
rm "$XDG_CONFIG_HOME/crm/config"

# Many messages over one connection, as campaigns will send them.
smtpd_start accept || exit 1
run env CRM_TEST_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" "$CRM_BUILD/tests/smtp_test"
expect_rc 0 "tests/unit/smtp_test.c sends three messages in one session"
is "$(smtpd_count)" 3 "all three arrive"
is "$("$SMTPD_PY" - "$SMTPD_DIR" <<'EOF'
import email, email.policy, os, sys
out = []
for f in os.listdir(sys.argv[1]):
    if f in ("port", "log") or f.endswith(".tmp"):
        continue
    m = email.message_from_bytes(open(os.path.join(sys.argv[1], f), "rb").read(),
                                 policy=email.policy.strict)
    parts = [p.get_content_type() + ":" + p.get_content().strip()
             for p in m.walk() if not p.is_multipart()]
    out.append("%s | %s | %s | %s | %s" % (m["To"], m["Subject"],
               m.get_content_type(), " ".join(parts),
               m.get("List-Unsubscribe-Post")))
print("\n".join(sorted(out)))
EOF
)" "a@example.org | Hello | text/plain | text/plain:Body | None
b@example.org | Hello | text/plain | text/plain:Body | None
c@example.org | Neuigkeiten für Sie | multipart/alternative | text/plain:Body text/html:<p>Hello <b>Zoë</b></p> | List-Unsubscribe=One-Click" \
    "each parses strictly; the last with its HTML alternative and List-Unsubscribe"
if [ "$SMTPD_KIND" = aiosmtpd ]; then
	is "$(grep -c '^ehlo' "$SMTPD_DIR/log")" 1 "over one connection"
	# A refused recipient fails its message, and the session goes on
	# (libcurl reconnects after a refusal).
	smtpd_start accept || exit 1
	run env CRM_TEST_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" \
	    CRM_TEST_SMTP_REFUSE=1 "$CRM_BUILD/tests/smtp_test"
	is "$RC:$(smtpd_count):$(grep -c '^reject' "$SMTPD_DIR/log")" "0:3:1" \
	    "a refused recipient in the middle of a session"
else
	skip "counting connections needs python3-aiosmtpd"
	skip "refusing one recipient needs python3-aiosmtpd"
fi

# Credentials: used, and never shown.
pw='pw-S3cr3t'
b64=$(printf '\000agent\000%s' "$pw" | base64)
if [ "$SMTPD_KIND" != aiosmtpd ]; then
	# smtp-sink answers AUTH with 250, not 235: no login to test.
	n=0
	while [ $n -lt 12 ]; do
		skip "AUTH needs python3-aiosmtpd"
		n=$((n + 1))
	done
else
	smtpd_start accept agent "$pw" || exit 1
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
	run env CRM_SMTP_USER=agent CRM_SMTP_PASSWORD="$pw" CRM_SMTP_TLS=try \
	    crm-ticket reply 1 --body 'With a login' --verbose
	expect_rc 0 "a reply with AUTH"
	is "$(grep -c '^auth PLAIN ok$' "$SMTPD_DIR/log")" 1 \
	    "the server checked the login"
	like "$ERR" '> AUTH PLAIN \[hidden\]' "--verbose shows the conversation, AUTH hidden"
	like "$ERR" '< 250 2\.0\.0 Ok: queued as 1' "with the server's replies"
	is "$(grep -c -e "$pw" -e "$b64" "$T_DIR/out" "$T_DIR/err" | grep -vc ':0$')" \
	    0 "neither the password nor its base64 on stdout or stderr"
	is "$(sql "SELECT count(*) FROM events WHERE changes LIKE '%$pw%'")" 0 \
	    "nor in an event"
	run env CRM_SMTP_USER=agent CRM_SMTP_PASSWORD=wrong-pw CRM_SMTP_TLS=try \
	    crm-ticket reply 1 --body x --verbose
	expect_rc 1 "a wrong password"
	like "$ERR" "crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: login refused: 535 .*\$" \
	    "is refused, says the server"
	is "$(grep -c wrong-pw "$T_DIR/err")" 0 "and does not show it"
	run env CRM_SMTP_USER=agent CRM_SMTP_PASSWORD="$pw" crm-ticket reply 1 --body x
	expect_rc 1 "a password over a server without STARTTLS"
	expect_err "crm-ticket: smtp://127.0.0.1:$SMTPD_PORT: the server offers no STARTTLS (smtp_tls is require, the default with a password)" \
	    "is refused: TLS is required with a password unless smtp_tls says"
	smtpd_stop
	run env CRM_SMTP_URL="smtp://agent:$pw@127.0.0.1:$SMTPD_PORT" \
	    crm-ticket reply 1 --body x
	is "$RC:$(grep -c -e "$pw" "$T_DIR/err")" "75:0" \
	    "credentials in the URL do not show in an error"
fi

# TLS: STARTTLS (required with a password) and smtps://, the server's
# certificate checked against smtp_ca_file.
if [ "$SMTPD_KIND" != aiosmtpd ] || ! need openssl; then
	n=0
	while [ $n -lt 7 ]; do
		skip "TLS needs python3-aiosmtpd and openssl"
		n=$((n + 1))
	done
	exit 0
fi
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    -keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" >/dev/null 2>&1
export CRM_TEST_CERT="$T_DIR/cert.pem" CRM_TEST_KEY="$T_DIR/key.pem"
export CRM_TEST_TLS=starttls
smtpd_start accept agent "$pw" || exit 1
export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" CRM_SMTP_USER=agent \
    CRM_SMTP_PASSWORD="$pw"
run env CRM_SMTP_CA_FILE="$T_DIR/cert.pem" crm-ticket reply 1 --body 'Over TLS'
expect_rc 0 "STARTTLS, then AUTH"
is "$(grep -E '^(auth|data)' "$SMTPD_DIR/log")" "auth PLAIN ok
data tls" "the login and the message went encrypted"
before=$(state)
run crm-ticket reply 1 --body x
expect_rc 1 "a certificate the system does not trust"
like "$ERR" "^crm-ticket: smtp://127\.0\.0\.1:$SMTPD_PORT: .*certificate" \
    "is refused, saying so"
is "$(state)" "$before" "nothing stored"
export CRM_TEST_TLS=smtps
smtpd_start accept || exit 1
run env -u CRM_SMTP_USER -u CRM_SMTP_PASSWORD \
    CRM_SMTP_URL="smtps://127.0.0.1:$SMTPD_PORT" \
    CRM_SMTP_CA_FILE="$T_DIR/cert.pem" crm-ticket reply 1 --body 'smtps'
expect_rc 0 "smtps://: TLS from the start"
is "$(grep -E '^data' "$SMTPD_DIR/log")" "data tls" "encrypted"
