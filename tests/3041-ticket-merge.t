#!/bin/sh
# crm-ticket merge: the threads move onto KEEP in the order they were
# written, KEEP keeps its fields and fills its empty ones, the others are
# closed with a note pointing to KEEP, an event each, one transaction;
# refusals write nothing.  And crm-contact merge moves tickets, which the
# kept contact's timeline then shows.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 29

at() {
	t=$1
	shift
	CRM_NOW=2026-11-22T$t:00Z "$@" </dev/null >/dev/null
}

crm-contact add --name Ada --email ada@example.org >/dev/null	# 1
crm-contact add --name Bob --email bob@example.org >/dev/null	# 2
at 09:00 crm-ticket open --contact 1 --subject 'Printer on fire' \
    --body 'It burns' --priority high					# 1
at 09:10 crm-ticket open --contact 1 --subject 'printer again' \
    --body 'Still burning' --queue support --assignee alice --channel email \
    --message-id '<m2@example.org>'					# 2
at 09:20 crm-ticket comment 2 --body 'Unplug it'
at 09:30 crm-ticket comment 1 --body 'On it'
at 09:40 crm-ticket open --contact 2 --subject 'Same printer' \
    --body 'Smoke here too'						# 3
at 09:50 crm-ticket comment 1 --internal --body 'check the wiring'
at 10:00 crm-ticket open --contact 1 --subject 'Old one'		# 4
at 10:00 crm-ticket close 4
at 10:00 crm-ticket open --contact 1 --subject 'Login'		# 5
for s in A B; do
	at 10:00 crm-ticket open --contact 1 --subject "Login $s"	# 6, 7
done

snapshot() {
	sql "SELECT (SELECT count(*) FROM events) || ' ' ||
	    (SELECT group_concat(ticket_id) FROM ticket_comments) || ' ' ||
	    (SELECT group_concat(status) FROM tickets)"
}
before=$(snapshot)

# Refusals
run crm-ticket merge 1 1
expect_rc 1 "merging a ticket into itself"
expect_err 'crm-ticket: cannot merge ticket 1 into itself' "says so"
run crm-ticket merge 1 8 2 '#9'
expect_rc 1 "unknown tickets"
expect_err 'crm-ticket: no ticket "8"
crm-ticket: no ticket "#9"' "one line each"
run crm-ticket merge 5 4
expect_rc 1 "merging a closed ticket"
expect_err 'crm-ticket: ticket 4 is closed: reopen it first' "says so"
run crm-ticket merge 4 5
expect_rc 1 "merging into a closed ticket"
run crm-ticket merge 5 2 5
expect_rc 1 "KEEP among the others"
run crm-ticket merge 1
expect_rc 2 "no other ticket"
expect_err 'crm-ticket merge: expected KEEP OTHER...
usage: crm-ticket merge [options] KEEP OTHER...' "a usage error"
is "$(snapshot)" "$before" "nothing written"

# Merge
f=id,subject,contact,contact_id,status,priority,queue,channel,assignee
f=$f,created_at,updated_at,first_response_at,resolved_at,closed_at,csat
run crm-ticket merge 1 2 '#3' -o json --fields $f,csat_comment,message_id,comments
expect_rc 0 "merge two tickets into one"
expect_out '[
{"id":1,"subject":"Printer on fire","contact":"Ada","contact_id":1,"status":"open","priority":"high","queue":"support","channel":"email","assignee":"alice","created_at":"2026-11-22T09:00:00Z","updated_at":"2026-11-22T12:00:00Z","first_response_at":"2026-11-22T09:20:00Z","resolved_at":null,"closed_at":null,"csat":null,"csat_comment":null,"message_id":"<m2@example.org>","comments":[{"id":1,"ticket_id":1,"author":"ada@example.org","internal":false,"body":"It burns","created_at":"2026-11-22T09:00:00Z","message_id":null},{"id":2,"ticket_id":1,"author":"ada@example.org","internal":false,"body":"Still burning","created_at":"2026-11-22T09:10:00Z","message_id":null},{"id":3,"ticket_id":1,"author":"tester","internal":false,"body":"Unplug it","created_at":"2026-11-22T09:20:00Z","message_id":null},{"id":4,"ticket_id":1,"author":"tester","internal":false,"body":"On it","created_at":"2026-11-22T09:30:00Z","message_id":null},{"id":5,"ticket_id":1,"author":"bob@example.org","internal":false,"body":"Smoke here too","created_at":"2026-11-22T09:40:00Z","message_id":null},{"id":6,"ticket_id":1,"author":"tester","internal":true,"body":"check the wiring","created_at":"2026-11-22T09:50:00Z","message_id":null},{"id":9,"ticket_id":1,"author":"tester","internal":true,"body":"merged #2, #3 into this ticket","created_at":"2026-11-22T12:00:00Z","message_id":null}]}
]' "KEEP with every comment in time order, its fields kept, empty ones filled"
run crm-ticket show 2 3 --fields id,status,closed_at,message_id,comments
expect_out '{"id":2,"status":"closed","closed_at":"2026-11-22T12:00:00Z","message_id":null,"comments":[{"id":7,"ticket_id":2,"author":"tester","internal":true,"body":"merged into #1","created_at":"2026-11-22T12:00:00Z","message_id":null}]}
{"id":3,"status":"closed","closed_at":"2026-11-22T12:00:00Z","message_id":null,"comments":[{"id":8,"ticket_id":3,"author":"tester","internal":true,"body":"merged into #1","created_at":"2026-11-22T12:00:00Z","message_id":null}]}' \
    "the others closed, with a note pointing to KEEP; the Message-ID went to KEEP"
is "$(sql "SELECT entity_id || ' ' || action || ' ' || changes FROM events
    WHERE entity = 'ticket' AND action = 'merge' ORDER BY id")" \
    '2 merge {"contact_id":1,"message_id":{"old":"<m2@example.org>","new":null},"merged_into":1,"comments":2}
3 merge {"contact_id":2,"merged_into":1,"comments":1}
1 merge {"contact_id":1,"queue":{"old":null,"new":"support"},"channel":{"old":null,"new":"email"},"assignee":{"old":null,"new":"alice"},"first_response_at":{"old":"2026-11-22T09:30:00Z","new":"2026-11-22T09:20:00Z"},"message_id":{"old":null,"new":"<m2@example.org>"},"merged":[2,3],"comments":3}' \
    "a merge event each: what moved, what KEEP took"
is "$(sql "SELECT group_concat(e, ' ') FROM (SELECT entity_id || ':' || action e
    FROM events WHERE entity = 'ticket' AND at = '2026-11-22T12:00:00Z'
    ORDER BY id)")" \
    '2:comment 2:close 2:merge 3:comment 3:close 3:merge 1:comment 1:merge' \
    "the notes and closes recorded as such"
run crm-ticket merge 1 2
expect_rc 1 "a merged ticket is closed: merging it again is refused"

# Mail in threads by Message-IDs: those of a merged ticket lead to KEEP.
if crm-ticket help ingest >/dev/null 2>&1; then
	printf '%s\n' 'From: Ada <ada@example.org>' 'Subject: Paper jam' \
	    'Message-ID: <jam-1@example.org>' \
	    'References: <promo-9@example.com>' '' 'Paper jam again.' |
	    crm-ticket ingest >/dev/null					# 8
	crm-ticket merge 5 8 >/dev/null
	printf '%s\n' 'From: Ada <ada@example.org>' 'Subject: Re: promo' \
	    'Message-ID: <jam-2@example.org>' \
	    'In-Reply-To: <promo-9@example.com>' '' 'And toner.' |
	    crm-ticket ingest --fields id >"$T_DIR/o"
	is "$(cat "$T_DIR/o")|$(sql "SELECT message_id || ' ' || ticket_id
	    FROM ticket_mail_refs")|$(sql "SELECT message_id FROM tickets
	    WHERE id = 5")" \
	    '{"id":5}|<promo-9@example.com> 5|<jam-1@example.org>' \
	    "a reply to a message of the merged ticket threads into KEEP"
else
	skip "no crm-ticket ingest"
	sql "INSERT INTO tickets (subject, created_at, updated_at)
	    VALUES ('filler', '', '')"
fi

# A reference twice, references on stdin
printf '6\n7\n6\n' | crm-ticket merge 5 - --fields id >"$T_DIR/o"
is "$?:$(cat "$T_DIR/o")" '0:{"id":5}' "references on stdin"
is "$(sql "SELECT group_concat(status) FROM tickets WHERE id IN (6, 7)")|$(sql "SELECT body FROM ticket_comments WHERE ticket_id = 5 ORDER BY id DESC LIMIT 1")" \
    'closed,closed|merged #6, #7 into this ticket' "a ticket named twice is merged once"

# crm-contact merge moves tickets; the timeline shows them
run crm-contact merge 1 2
expect_rc 0 "merge Bob into Ada"
is "$(sql "SELECT group_concat(DISTINCT contact_id) FROM tickets")|$(sql "SELECT count(*) FROM ticket_comments WHERE contact_id = 2")" \
    "1|0" "Bob's ticket and comments are Ada's now"
run crm-contact timeline 1 --fields summary
like "$OUT" '"summary":"ticket 3 merge: Same printer"' \
    "the timeline shows the moved ticket"
like "$OUT" '"summary":"ticket 1 merge: Printer on fire"' \
    "and the merge of her own"

# All or nothing: a failure after some tickets were merged undoes them
before=$(snapshot)
at 12:00 crm-ticket open --contact 1 --subject 'Fresh'		# 9
run crm-ticket merge 9 5 4
expect_rc 1 "the second of two fails"
is "$(sql "SELECT status FROM tickets WHERE id = 5")|$(sql "SELECT count(*) FROM ticket_comments WHERE ticket_id = 9")" \
    "new|0" "the first is not merged either"
run crm-ticket merge 9 5 --fields id,status
expect_out '{"id":9,"status":"new"}' "--fields"
run crm-ticket merge 9 5
expect_rc 1 "a merged ticket again"
is "$(crm-ticket show 9 --fields comments | grep -c 'merged #5 into this ticket')" 1 \
    "one note"
