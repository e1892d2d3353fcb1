#!/bin/sh
# Tickets in crm-contact gdpr-export and forget: the export holds the
# contact's tickets with their threads and the tickets' events (of those
# deleted since too); forget erases subjects, threads, the CSAT comment,
# Message-IDs, the contact's comments on other tickets and the link to the
# contact, and keeps status, priority, times and the score for reports.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 19

need jq || { echo "1..0 # skip no jq"; exit 0; }

at() {
	t=$1
	shift
	CRM_NOW=2026-11-22T$t:00Z "$@" </dev/null >/dev/null
}

crm-contact add --name 'Ada Lovelace' --email ada@example.org >/dev/null # 1
crm-contact add --name 'Bob Byte' --email bob@example.org >/dev/null	  # 2
at 09:00 crm-ticket open --contact 1 --subject 'Ada cannot print' \
    --body 'Call me on +49 30 1234567' --priority high \
    --message-id '<ada-1@example.org>'					# 1
at 09:10 crm-ticket comment 1 --body 'Hi Ada, on it'
at 09:20 crm-ticket comment 1 --internal --body 'Ada is on the old plan'
at 09:30 crm-ticket close 1
at 09:40 crm-ticket rate 1 4 --comment 'Ada says: quick'
at 10:00 crm-ticket open --contact 2 --subject 'Bob login' \
    --body 'Bob here'							# 2
at 10:10 crm-ticket open --contact 1 --subject 'Ada too' \
    --body 'Ada has the same login trouble'				# 3
at 10:20 crm-ticket merge 2 3
at 10:30 crm-ticket open --contact 1 --subject 'Ada typo' --body 'oops'	# 4
at 10:40 crm-ticket delete 4

# Mail in: an attachment, and a Message-ID a reply may name.
mail() {
	printf '%s\n' "From: Ada Lovelace <ada@example.org>" \
	    'Subject: Passport upload' 'Message-ID: <ada-mail-1@example.org>' \
	    'In-Reply-To: <newsletter-77@example.com>' 'MIME-Version: 1.0' \
	    'Content-Type: multipart/mixed; boundary="b1"' '' '--b1' \
	    'Content-Type: text/plain; charset=utf-8' '' 'Here is my passport.' \
	    '--b1' 'Content-Type: application/pdf; name="ada-passport.pdf"' \
	    'Content-Transfer-Encoding: base64' '' 'JVBERi0xLjQK' '--b1--'
}
ingest=0
if crm-ticket help ingest >/dev/null 2>&1; then
	mail | CRM_NOW=2026-11-22T11:00:00Z crm-ticket ingest >/dev/null &&
	    ingest=1						# 5
fi

# gdpr-export
run crm-contact gdpr-export 1
expect_rc 0 "gdpr-export"
is "$(printf '%s\n' "$OUT" | jq -c '[.tickets[] | [.id, .subject,
    [.comments[] | [.id, .author, .body]]]]')" \
    '[[1,"Ada cannot print",[[1,"ada@example.org","Call me on +49 30 1234567"],[2,"tester","Hi Ada, on it"],[3,"tester","Ada is on the old plan"]]],[3,"Ada too",[[6,"tester","merged into #2"]]]'"$( [ $ingest = 1 ] && echo ',[5,"Passport upload",[[9,"ada@example.org","Here is my passport."]]]')"']' \
    "her tickets, each with its whole thread"
is "$(printf '%s\n' "$OUT" | jq -c '.tickets[0] | [.csat, .csat_comment,
    .message_id, .comments[0].ticket_id, .comments[0].contact_id]')" \
    '[4,"Ada says: quick","<ada-1@example.org>",1,1]' \
    "every column, of tickets and comments"
is "$(printf '%s\n' "$OUT" | jq -c '[.events[] | select(.entity == "ticket"
    and .entity_id < 5) | [.entity_id, .action]]')" \
    '[[1,"open"],[1,"comment"],[1,"comment"],[1,"close"],[1,"rate"],[3,"open"],[3,"comment"],[3,"close"],[3,"merge"],[4,"open"],[4,"delete"]]' \
    "the events of her tickets, the deleted one too"
is "$(printf '%s\n' "$OUT" | jq -c '[.events[] | select(.entity == "ticket") |
    .changes | select(. == null)] | length')" 0 "with what they recorded"
if [ $ingest = 1 ]; then
	is "$(printf '%s\n' "$OUT" | jq -c '[.tickets[] | select(.id == 5) |
	    .attachments[] | [.comment_id, .name, .type, .size]]')" \
	    '[[9,"ada-passport.pdf","application/pdf",9]]' \
	    "the attachments of her tickets' comments"
else
	skip "no crm-ticket ingest"
fi

# forget
bob=$(sql "SELECT group_concat(id || ':' || author || ':' || body, ' | ')
    FROM ticket_comments WHERE contact_id = 2 OR (contact_id IS NULL
    AND ticket_id = 2)")
bobev=$(sql "SELECT group_concat(changes, ' | ') FROM events
    WHERE entity = 'ticket' AND entity_id = 2 AND action IN ('open', 'merge')")
run crm-contact forget 1
expect_rc 0 "forget"
is "$(sql "SELECT id, coalesce(contact_id, '-'), subject, status, priority,
    created_at, closed_at, csat, coalesce(csat_comment, '-'),
    coalesce(message_id, '-') FROM tickets WHERE id IN (1, 3)")" \
    '1|-|forgotten|closed|high|2026-11-22T09:00:00Z|2026-11-22T09:30:00Z|4|-|-
3|-|forgotten|closed|normal|2026-11-22T10:10:00Z|2026-11-22T10:20:00Z||-|-' \
    "her tickets keep status, priority, times and score; lose subject, CSAT comment, Message-ID and her"
is "$(sql "SELECT group_concat(id || ':' || author || ':' || body, ' | ')
    FROM ticket_comments WHERE ticket_id IN (1, 3)")" \
    '1:forgotten:forgotten | 2:tester:forgotten | 3:tester:forgotten | 6:tester:forgotten' \
    "their threads are erased, her address as author too"
is "$(sql "SELECT id || ':' || author || ':' || body || ':' ||
    coalesce(contact_id, '-') FROM ticket_comments WHERE id = 5")" \
    '5:forgotten:forgotten:-' "her comment on Bob's ticket, moved by the merge, too"
is "$(sql "SELECT group_concat(id || ':' || author || ':' || body, ' | ')
    FROM ticket_comments WHERE contact_id = 2 OR (contact_id IS NULL
    AND ticket_id = 2 AND id <> 5)")" "$bob" "Bob's thread stays"
is "$(sql "SELECT subject FROM tickets WHERE id = 2")" 'Bob login' \
    "so does his subject"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'ticket'
    AND entity_id IN (1, 3, 4) AND changes IS NOT NULL")" 0 \
    "the events of her tickets, the deleted one too, lose what they recorded"
is "$(sql "SELECT group_concat(changes, ' | ') FROM events
    WHERE entity = 'ticket' AND entity_id = 2 AND action IN ('open', 'merge')")" \
    "$bobev" "Bob's ticket's events stay"
is "$(sql "SELECT count(*) FROM ticket_comments WHERE body LIKE '%Ada%'
    OR body LIKE '%1234567%' OR body LIKE '%passport%'")|$(sql "SELECT
    count(*) FROM tickets WHERE subject LIKE '%Ada%'
    OR subject LIKE '%passport%'")|$(sql "SELECT count(*) FROM events
    WHERE changes LIKE '%Ada%' OR changes LIKE '%ada@%'")" '0|0|0' \
    "no trace of her left in tickets, comments or events"
if [ $ingest = 1 ]; then
	is "$(sql "SELECT coalesce(name, '-') || ' ' || type FROM ticket_attachments")|$(sql "SELECT count(*) FROM ticket_mail_refs")|$(sql "SELECT coalesce(message_id, '-') FROM tickets WHERE id = 5")" \
	    '- application/pdf|0|-' \
	    "attachment names and the Message-IDs a reply would thread by go"
else
	skip "no crm-ticket ingest"
fi
run crm-contact gdpr-export 1
is "$(printf '%s\n' "$OUT" | jq -c .tickets)" '[]' \
    "her export holds no ticket now"
run crm-ticket show 1 --fields id,subject,contact,status
expect_out '{"id":1,"subject":"forgotten","contact":null,"status":"closed"}' \
    "the ticket shows anonymised"
run crm-ticket list --where 'csat >= 4' --fields id,csat
expect_out '{"id":1,"csat":4}' "and still counts in reports"
