#!/bin/sh
# crm-ticket ingest: mail in.  Real-world-shaped messages from
# tests/data/mail (Gmail and Outlook replies, QP, base64 Latin-1 subjects,
# attachments, HTML only, no text part, truncated), threading by
# In-Reply-To, References and [#N], idempotency, bad input kept whole,
# a 20 MB message, --mbox, --dry-run and a busy database (exit 75).
. "${CRM_TOP:-.}/tests/lib.sh"
plan 73

M="$CRM_TOP/tests/data/mail"
unset SENDER
F=id,subject,contact,contact_id,status,queue,channel,message_id

# ingest FILE [OPTIONS...]: run ingest with FILE on stdin.
ingest() {
	f=$1
	shift
	run crm-ticket ingest "$@" <"$M/$f"
}

# --- a new ticket: Gmail, multipart/alternative, QP, Latin-1 B subject --
ingest gmail-new.eml --queue support --priority high --fields "$F,priority"
expect_rc 0 "a new message"
expect_out '{"id":1,"subject":"Drucker im Büro druckt nur Müll","contact":"Ada Lovelace","contact_id":1,"status":"new","queue":"support","channel":"email","message_id":"<CAF1qG8v=Xz3w@mail.gmail.com>","priority":"high"}' \
    "opens a ticket: decoded subject, the contact from From, queue, channel"
expect_err "" "nothing on stderr"
is "$(sql "SELECT name || '|' || email FROM contacts")" \
    "Ada Lovelace|ada@example.org" "the contact is added with its name"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 1")" \
    "$(printf 'Hallo,\n\nder Drucker im 2. Stock druckt seit gestern nur noch Müll – lauter Sonderzeichen statt Text.\n\nGrüße\nAda')" \
    "the text part, QP decoded, CRLF made LF"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'ticket' AND action = 'open'")" 1 \
    "an open event"

# --- idempotent ---------------------------------------------------------
before=$(sql "SELECT (SELECT count(*) FROM ticket_comments) || (SELECT count(*) FROM events)")
ingest gmail-new.eml --fields id
expect_rc 0 "the same message again"
expect_out '{"id":1}' "prints its ticket"
expect_err "crm-ticket: message <CAF1qG8v=Xz3w@mail.gmail.com> already ingested (ticket 1)" \
    "says it was already ingested"
is "$(sql "SELECT (SELECT count(*) FROM ticket_comments) || (SELECT count(*) FROM events)")" \
    "$before" "nothing written"

# --- a Gmail reply threads by In-Reply-To to an agent's answer ----------
crm-ticket comment 1 --body "Bitte den Treiber neu installieren." >/dev/null
sql "UPDATE ticket_comments SET message_id = '<reply-from-agent-1@crm.example.com>' WHERE id = 2"
ingest gmail-reply.eml --fields id,status
expect_rc 0 "a reply"
expect_out '{"id":1,"status":"open"}' "threads into ticket 1"
is "$(sql "SELECT contact_id || '|' || author || '|' || body || '|' || message_id FROM ticket_comments WHERE id = 3")" \
    "1|ada@example.org|Danke, jetzt geht es wieder!|<CAF1qG8w-reply2@mail.gmail.com>" \
    "a customer comment, the quoted text and two-line attribution gone"

# --- Outlook replies: Windows-1252 QP, "Original Message", "From/Sent" ----
crm-ticket open --contact charles@engine.example --subject Rechnung \
    --body "Die Rechnung ist falsch." >/dev/null
crm-ticket comment 2 --body "Wir haben die Rechnung korrigiert." >/dev/null
sql "UPDATE ticket_comments SET message_id = '<invoice-answer@crm.example.com>' WHERE id = 5"
crm-ticket status 2 pending >/dev/null
ingest outlook-reply.eml --fields id,status
expect_out '{"id":2,"status":"open"}' \
    "an Outlook reply threads by In-Reply-To and reopens a pending ticket"
is "$(sql "SELECT body FROM ticket_comments WHERE id = 6")" \
    "$(printf 'Guten Tag,\n\nder Betrag stimmt leider immer noch nicht: 120 € statt 100 €.\n\nMit freundlichen Grüßen\nCharles Babbage')" \
    "Windows-1252 decoded, the original message cut"
is "$(sql "SELECT name FROM contacts WHERE email = 'charles@engine.example'")" "" \
    "a known contact is found, not added again"
ingest outlook-web-reply.eml --fields id
expect_out '{"id":2}' "a [#2] token in the subject threads"
is "$(sql "SELECT body FROM ticket_comments WHERE id = 7")" \
    "Sorry, one more thing: please send it as PDF." \
    "the Outlook rule and From/Sent block cut"

# --- a token naming no ticket -------------------------------------------
ingest missing-token.eml --fields id,subject,contact
expect_rc 0 "a token for a ticket that does not exist"
expect_out '{"id":3,"subject":"Re: [#999] my old request","contact":"grace@example.net"}' \
    "opens a new ticket"
expect_err "crm-ticket: message <20261122120000.GA1@example.net>: ticket 999 in the subject does not exist: opening a new ticket" \
    "and says so"

# --- attachments: nested multipart, RFC 2231 and RFC 2047 names ---------
ingest attachments.eml --fields id,contact
expect_out '{"id":4,"contact":"Jörg Müller"}' "an encoded display name"
is "$(sql "SELECT coalesce(name, '-') || '|' || type || '|' || size FROM ticket_attachments ORDER BY id")" \
    "$(printf -- '-|image/png|70\nAngebot März.pdf|application/pdf|190\nPreise übersicht.csv|text/csv|7')" \
    "attachments by name, type and decoded size"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 4")" \
    "See the two screenshots and the offer." "the plain part of the alternative"
run crm-ticket show 4 -o json --fields comments
expect_out '[
{"comments":[{"id":9,"ticket_id":4,"author":"joerg@example.de","internal":false,"body":"See the two screenshots and the offer.","created_at":"2026-11-22T12:00:00Z","message_id":null,"attachments":[{"name":null,"type":"image/png","size":70},{"name":"Angebot März.pdf","type":"application/pdf","size":190},{"name":"Preise übersicht.csv","type":"text/csv","size":7}]}]}
]' "show lists them with their comment"
is "$(sql "SELECT json_extract(changes, '\$.comment_id') || ' ' || json_array_length(changes, '\$.attachments') FROM events WHERE action = 'attach'")" \
    "9 3" "an attach event"

# --- HTML only, no text part, truncated ---------------------------------
ingest html-only.eml --fields id
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 5")" \
    "$(printf 'Your order & invoice:\n\nCafé crème – 2 €\nTea – 1 €')" \
    "HTML only: tags stripped, entities and Windows-1252 decoded"
ingest no-text.eml --fields id
expect_rc 0 "a message with no text part"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 6")" \
    "[crm: no text, only attachments]" "says so in the body"
is "$(sql "SELECT name || '|' || size FROM ticket_attachments WHERE type = 'application/zip'")" \
    "scan.zip|10" "the attachment is recorded"
ingest truncated.eml --fields id
expect_rc 0 "a truncated message"
expect_err "crm-ticket: message <trunc-1@example.fi>: multipart: no closing boundary (truncated?)" \
    "notes it"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 7")" \
    "Here are the logs, the server crashed twice." "the text survives"
is "$(sql "SELECT name || '|' || size FROM ticket_attachments WHERE name = 'syslog.txt'")" \
    "syslog.txt|63" "the cut attachment, as much as there is"

# --- bad input: kept whole, never lost -----------------------------------
ingest no-from.eml --fields id,contact
expect_rc 0 "no From"
expect_out '{"id":8,"contact":"Unknown sender"}' "filed under an unknown sender"
expect_err "crm-ticket: message <nofrom-1@example.org>: no usable sender: filed under unknown-sender@mail.invalid
crm-ticket: message <nofrom-1@example.org>: kept whole: no From header" \
    "says so"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 8")" \
    "$(printf '[crm: this message could not be read (no From header); it is kept whole below]\n\n'; cat "$M/no-from.eml")" \
    "the whole message is the body"
sed 's/nofrom-1/nofrom-2/' "$M/no-from.eml" >no-from-2.eml
run env SENDER=postmaster@relay.example crm-ticket ingest --fields contact \
    <no-from-2.eml
expect_out '{"contact":"postmaster@relay.example"}' \
    "the envelope sender (SENDER) when there is one"
ingest malformed-header.eml --fields id,subject,contact
expect_out '{"id":10,"subject":"broken","contact":"Mallory"}' \
    "a malformed header: what came before it is used"
expect_err "crm-ticket: message <00ef386d85ab5803.011015d1.151@ingest.crm.invalid>: kept whole: line 4: malformed header" \
    "names the line"
is "$(sql "SELECT (instr(body, '[crm: this message could not be read (line 4: malformed header); it is kept whole below]') = 1) || (instr(body, 'This line is not a header') > 1) FROM ticket_comments WHERE ticket_id = 10")" \
    "11" "kept whole with a note"
ingest malformed-header.eml --fields id
expect_out '{"id":10}' "no Message-ID: one made from the bytes keeps it idempotent"
ingest unknown-charset.eml --fields subject
expect_out '{"subject":"Qapla�"}' "an unknown charset in the subject"
expect_err "crm-ticket: message <klingon-1@enterprise.example>: kept whole: unknown charset \"x-klingon\"" \
    "an unknown charset in the body: kept whole"

# --- a reply to a closed ticket opens a new one -------------------------
crm-ticket close 1 >/dev/null
ingest closed-reply.eml --fields id,subject
expect_rc 0 "a reply to a closed ticket"
expect_out '{"id":12,"subject":"Re: Drucker"}' "opens a new ticket"
expect_err "crm-ticket: message <CAF1qG8x-after-close@mail.gmail.com>: ticket 1 is closed: opening a new ticket" \
    "and says so"
is "$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 12")" \
    "$(printf '[crm: follow-up to closed ticket #1]\n\nThe printer is broken again.')" \
    "referring to the old one"

# --- --mbox --------------------------------------------------------------
run crm-ticket ingest --mbox "$M/batch.mbox" -o jsonl
expect_rc 0 "an mbox"
expect_out '{"message":1,"message_id":"<mbox-1@example.org>","action":"opened","ticket_id":13,"comment_id":18}
{"message":2,"message_id":"<mbox-2@example.org>","action":"commented","ticket_id":13,"comment_id":19}
{"message":3,"message_id":"<mbox-1@example.org>","action":"duplicate","ticket_id":13,"comment_id":null}' \
    "a line per message"
is "$(sql "SELECT body FROM ticket_comments WHERE id = 18")" \
    "$(printf 'Line one\nFrom the mbox escape\nThis is the end.')" \
    "mboxrd >From unescaped"

# --- --dry-run -----------------------------------------------------------
before=$(sql "SELECT count(*) FROM events")
ingest outlook-reply.eml --dry-run -o json --fields subject,from_name,from_addr,in_reply_to,references,body_type,attachments,problems
expect_rc 0 "--dry-run"
expect_out '[
{"subject":"AW: Rechnung für November – falscher Betrag","from_name":"Babbage, Charles","from_addr":"charles@engine.example","in_reply_to":"<invoice-answer@crm.example.com>","references":["<invoice-1@engine.example>","<invoice-answer@crm.example.com>"],"body_type":"text/plain","attachments":[],"problems":[]}
]' "prints what it parsed"
is "$(sql "SELECT count(*) FROM events")" "$before" "and writes nothing"

# --- a 20 MB message: read up to the limit, truncated with a note --------
{
	printf 'From: big@example.org\nSubject: big\nMessage-ID: <big@example.org>\n'
	printf 'Content-Type: multipart/mixed; boundary=B\n\n--B\n'
	printf 'Content-Type: text/plain\n\nSee the dump.\n--B\n'
	printf 'Content-Type: application/octet-stream; name=dump.bin\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	head -c 16000000 /dev/zero | base64
	printf -- '--B--\n'
} >big.eml
size=$(wc -c <big.eml | tr -d ' ')
run crm-ticket ingest --fields id <big.eml
expect_rc 0 "a message over 20 MB"
expect_err "crm-ticket: message <big@example.org>: multipart: no closing boundary (truncated?)
crm-ticket: message <big@example.org>: truncated: $size bytes, only the first 20971520 read" \
    "says it was truncated"
is "$(sql "SELECT body FROM ticket_comments WHERE message_id IS NULL AND ticket_id = (SELECT id FROM tickets WHERE message_id = '<big@example.org>')")" \
    "$(printf 'See the dump.\n\n[crm: message truncated: %s bytes, only the first 20971520 read]' "$size")" \
    "the body says so too"
is "$(sql "SELECT name FROM ticket_attachments ORDER BY id DESC LIMIT 1")" \
    "dump.bin" "the attachment is recorded"

# --- usage, empty input, a busy database ---------------------------------
run crm-ticket ingest --priority hihg </dev/null
expect_rc 2 "an unknown priority"
run crm-ticket ingest </dev/null
expect_rc 1 "no message at all"
expect_err "crm-ticket: stdin: no message" "says so"
run crm-ticket ingest --mbox nosuch.mbox
expect_rc 1 "a missing mbox"
expect_err "crm-ticket: nosuch.mbox: No such file or directory" \
    "names it"

mkfifo lock.fifo
sqlite3 "$CRM_DB" <lock.fifo >lock.out 2>&1 &
lock_pid=$!
exec 3>lock.fifo
printf 'BEGIN IMMEDIATE;\n.print locked\n' >&3
i=0
until grep -q locked lock.out || [ $i -ge 200 ]; do
	i=$((i + 1))
	sqlite3 "$CRM_DB" 'SELECT 1' >/dev/null 2>&1
done
before=$(sql "SELECT count(*) FROM tickets")
run env CRM_BUSY_TIMEOUT=100 crm-ticket ingest <"$M/missing-token.eml"
expect_rc 75 "a busy database: the mail server retries"
expect_err "crm-ticket: $CRM_DB: database is busy, try again later" "says so"
printf 'ROLLBACK;\n.quit\n' >&3
exec 3>&-
wait "$lock_pid"
is "$(sql "SELECT count(*) FROM tickets")" "$before" "nothing written"

# --- a bounce of a mail a ticket sent: an internal note on it -----------
ingest bounce.eml --fields id,status
expect_rc 0 "a delivery failure report"
expect_out '{"id":2,"status":"open"}' "goes to the ticket whose mail bounced"
expect_err "crm-ticket: message <20261122150000.4711@mx.example.com>: a delivery failure report: an internal note on ticket 2" \
    "says so"
is "$(sql "SELECT internal || '|' || author || '|' || (instr(body, '[crm: delivery failure report from MAILER-DAEMON@mx.example.com]') = 1) || '|' || (SELECT count(*) FROM contacts WHERE email LIKE 'mailer-daemon%') FROM ticket_comments WHERE message_id = '<20261122150000.4711@mx.example.com>'")" \
    "1|tester|1|0" \
    "an internal note, no contact added for the mail system"

# --- an HTML-only reply: the blockquote is the quote --------------------
ingest html-reply.eml --fields id
expect_out '{"id":5}' "an HTML reply threads by its [#5] token"
is "$(sql "SELECT body FROM ticket_comments WHERE message_id = '<html-reply-1@shop.example>'")" \
    "The crème arrived, thanks!" "the quoted blockquote and its attribution are gone"
