#!/bin/sh
# crm-report activity, tickets, campaigns and due: exact output, and every
# number cross-checked against an independent computation: plain SQL
# through sqlite3, awk, or the lists of crm-contact, crm-ticket and
# crm-deal.  Ticket times in working time are checked by hand against a
# calendar (Mon-Fri 09:00-17:00 UTC) and, for wall-clock policies,
# against julianday() arithmetic with the pauses taken out.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 50

# at TIME CMD...: run CMD as if at TIME, its output dropped.
at() {
	t=$1
	shift
	CRM_NOW=$t "$@" >/dev/null
}
# norm: CSV on stdin with every number as awk reads it ("4.0" is "4").
norm() {
	awk -F, -v OFS=, '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^-?[0-9]+(\.[0-9]+)?$/)
				$i += 0
		print
	}'
}
# body: stdout without its CSV header.
body() {
	printf '%s\n' "$OUT" | sed 1d
}
tables() {
	sql "SELECT (SELECT count(*) FROM deals) || ' ' || (SELECT count(*)
	    FROM tickets) || ' ' || (SELECT count(*) FROM activities)"
}

crm-contact add --name Ada --email ada@example.org >/dev/null
crm-contact add --name Bob --email bob@example.org >/dev/null

# Tickets.  high: 2 h and 8 h of office hours; normal: 4 h and 2 d of
# wall-clock time; low and urgent: no policy.
crm-ticket calendar set office --hours 'Mon-Fri 09:00-17:00' --tz UTC \
    >/dev/null
crm-ticket sla set high --first-response 2h --resolution 8h \
    --calendar office >/dev/null
crm-ticket sla set normal --first-response 4h --resolution 2d >/dev/null
open() {
	at "$1" crm-ticket open --contact "$2" --subject "$3" --priority "$4" \
	    ${5:+--queue "$5"} ${6:+--assignee "$6"}
}
# 1: 1.5 h to answer, 24 h to resolve, rated 5
open 2026-11-16T10:00:00Z ada@example.org one normal support ann
at 2026-11-16T11:30:00Z crm-ticket comment 1 --body hi
at 2026-11-17T10:00:00Z crm-ticket status 1 resolved
at 2026-11-17T11:00:00Z crm-ticket rate 1 5
# 2: 6 h (the 4 h target breached), 48 h (the 2 d target met), rated 3
open 2026-11-16T12:00:00Z bob@example.org two normal support ann
at 2026-11-16T18:00:00Z crm-ticket comment 2 --body hi
at 2026-11-18T12:00:00Z crm-ticket status 2 resolved
at 2026-11-18T13:00:00Z crm-ticket rate 2 3
# 3: Thursday 16:00 to Friday 10:00 is 2 office hours, to 16:00 8 hours
open 2026-11-19T16:00:00Z ada@example.org three high billing bo
at 2026-11-20T10:00:00Z crm-ticket comment 3 --body hi
at 2026-11-20T16:00:00Z crm-ticket status 3 resolved
at 2026-11-20T16:30:00Z crm-ticket rate 3 4
# 4: Friday 16:30, not answered: due Monday 10:30, not breached yet
open 2026-11-20T16:30:00Z bob@example.org four high billing bo
# 5: pending for 4 of the 6 hours before the answer: 2 h on the clock
open 2026-11-21T08:00:00Z ada@example.org five normal support ann
at 2026-11-21T09:00:00Z crm-ticket status 5 pending
at 2026-11-21T13:00:00Z crm-ticket status 5 open
at 2026-11-21T14:00:00Z crm-ticket comment 5 --body hi
# 6: no queue, no policy: 30 min, closed after 48 h, rated 1
open 2026-11-10T09:00:00Z bob@example.org six urgent
at 2026-11-10T09:30:00Z crm-ticket comment 6 --body hi
at 2026-11-12T09:00:00Z crm-ticket close 6
at 2026-11-12T10:00:00Z crm-ticket rate 6 1
# 7: no policy, open
open 2026-11-18T09:00:00Z ada@example.org seven low support
# 8: not answered: breached on the 19th at 13:00
open 2026-11-19T09:00:00Z bob@example.org eight normal support ann
# 9: opened today at 10:00: breaching at 14:00
open 2026-11-22T10:00:00Z ada@example.org nine normal support
# 10: Friday 16:00 to Monday 10:00 is 2 office hours; to Tuesday 09:30
# 9.5 (1 + 8 + 0.5): the 8 h target breached
open 2026-11-13T16:00:00Z bob@example.org ten high billing bo
at 2026-11-16T10:00:00Z crm-ticket comment 10 --body hi
at 2026-11-17T09:30:00Z crm-ticket status 10 resolved

# Activities of ann and bo; a task done, one overdue, one due today, one
# due later.
log() {
	crm-contact log "$1" --type "$2" --subject "$2" --owner "$3" \
	    --at "$4" >/dev/null
}
log ada@example.org call ann 2026-10-05T10:00:00Z
log ada@example.org call ann 2026-11-02T10:00:00Z
log bob@example.org email ann 2026-11-03T10:00:00Z
log bob@example.org meeting bo 2026-11-04T10:00:00Z
log ada@example.org note bo 2026-11-20T10:00:00Z
log ada@example.org call bo 2026-11-21T10:00:00Z
at 2026-11-01T09:00:00Z crm-contact task ada@example.org 'send quote' \
    --due 2026-11-05 --owner ann
at 2026-11-06T09:00:00Z crm-contact "done" 7
crm-contact task bob@example.org 'call back' --due 2026-11-20T09:00:00Z \
    --owner ann >/dev/null
crm-contact task bob@example.org renewal --due 2026-11-22T17:00:00Z \
    --owner bo >/dev/null
crm-contact task ada@example.org visit --due 2026-12-01 --owner bo \
    >/dev/null

# Deals: open and past its expected close, open and due today, won.
crm-deal add --title 'late deal' --contact ada@example.org --amount 100 \
    --expected-close 2026-11-15 --owner ann >/dev/null
crm-deal add --title 'today deal' --contact bob@example.org --amount 100 \
    --expected-close 2026-11-22 --owner bo >/dev/null
crm-deal add --title 'won deal' --contact bob@example.org --amount 100 \
    --expected-close 2026-11-01 --stage won >/dev/null

# Campaigns: the send log is written as sending leaves it (sending itself
# is tests/5000's): octnews sent twice, one bounced; novnews sent once,
# failed once; draft never sent.
printf 'Hi\n' >body.txt
crm-segment create all --where 'email is set' >/dev/null
for c in octnews:2026-11-01 novnews:2026-11-10 draft:2026-11-20; do
	at "${c#*:}T00:00:00Z" crm-campaign create "${c%:*}" --segment all \
	    --subject News --from news@example.org --text body.txt
done
sql "INSERT INTO campaign_sends (campaign_id, contact_id, email, status,
    reason, sent_at, bounced_at) VALUES
    (1, 1, 'ada@example.org', 'sent', NULL, '2026-11-02T10:00:00Z', NULL),
    (1, 2, 'bob@example.org', 'sent', NULL, '2026-11-02T10:05:00Z',
    '2026-11-02T11:00:00Z'),
    (2, 1, 'ada@example.org', 'failed', '550 no', NULL, NULL),
    (2, 2, 'bob@example.org', 'sent', NULL, '2026-11-12T10:00:00Z', NULL),
    (2, NULL, 'gone@example.org', 'unknown', 'timeout', NULL, NULL),
    (2, NULL, 'left@example.org', 'skipped', 'unsubscribed', NULL, NULL),
    (2, NULL, 'next@example.org', 'queued', NULL, NULL, NULL)"
# Ada unsubscribes after octnews reached her.
at 2026-11-03T08:00:00Z crm-contact unsubscribe ada@example.org
before=$(tables)

# tickets
run crm-report tickets -o csv
expect_rc 0 "tickets"
expect_out 'status,tickets,open,first_response_median_h,first_response_p90_h,resolution_median_h,resolution_p90_h,sla_tickets,breached,sla_met_pct,csat_avg,csat_count,csat_1,csat_2,csat_3,csat_4,csat_5
new,4,4,,,,,3,1,66.7,,0,0,0,0,0,0
open,1,1,2,2,,,1,0,100,,0,0,0,0,0,0
resolved,4,0,2,4.8,16.75,40.8,4,2,50,4,3,0,0,1,1,1
closed,1,0,0.5,0.5,48,48,0,0,,1,1,1,0,0,0,0' \
    "tickets by status, in the order of statuses"

run crm-report tickets --by queue -o csv
expect_out 'queue,tickets,open,first_response_median_h,first_response_p90_h,resolution_median_h,resolution_p90_h,sla_tickets,breached,sla_met_pct,csat_avg,csat_count,csat_1,csat_2,csat_3,csat_4,csat_5
billing,3,1,2,2,8.75,9.35,3,1,66.7,4,1,0,0,0,1,0
support,6,4,2,5.2,36,45.6,5,2,60,4,2,0,0,1,0,1
,1,0,0.5,0.5,48,48,0,0,,1,1,1,0,0,0,0' \
    "by queue: billing in office hours (2, 2; 8, 9.5), no queue last"

# The counts, from the due times rather than sla_breach_at: a target
# breached when met after its due time, or not met and due by now.
run crm-report tickets --by queue -o csv --fields queue,tickets,open,sla_tickets,breached,sla_met_pct,csat_avg,csat_count,csat_1,csat_2,csat_3,csat_4,csat_5
want=$(sql "SELECT queue, n, open, s, b, round(100.0 * (s - b) / s, 1),
    round(c, 2), cn, c1, c2, c3, c4, c5 FROM (SELECT queue, count(*) AS n,
    count(CASE WHEN status NOT IN ('resolved', 'closed') THEN 1 END) AS
    open, count(first_response_due) AS s, count(CASE WHEN
    coalesce(first_response_at, resolved_at, '2026-11-22T12:00:00Z') >
    first_response_due OR coalesce(resolved_at, '2026-11-22T12:00:00Z') >
    resolution_due THEN 1 END) AS b, avg(csat) AS c, count(csat) AS cn,
    count(CASE csat WHEN 1 THEN 1 END) AS c1, count(CASE csat WHEN 2 THEN 1
    END) AS c2, count(CASE csat WHEN 3 THEN 1 END) AS c3, count(CASE csat
    WHEN 4 THEN 1 END) AS c4, count(CASE csat WHEN 5 THEN 1 END) AS c5
    FROM tickets GROUP BY queue) ORDER BY queue IS NULL, queue" |
    tr '|' ,)
is "$(body | norm)" "$(printf '%s\n' "$want" | norm)" \
    "backlog, SLA and CSAT agree with SQL"

# took COLUMN: for the tickets under no calendar, the hours from opening
# to COLUMN less the pauses before it (SQL), and per queue their median
# and 90th percentile interpolated (awk).
took() {
	sql "SELECT coalesce(queue, ''), round(86400 * (julianday(t.$1) -
	    julianday(t.created_at) - coalesce((SELECT sum(max(0,
	    julianday(min(coalesce(p.ended_at, t.$1), t.$1)) -
	    julianday(max(p.started_at, t.created_at)))) FROM sla_pauses p
	    WHERE p.ticket_id = t.id), 0))) FROM tickets t WHERE t.$1 IS NOT
	    NULL AND NOT EXISTS (SELECT 1 FROM sla_policies s WHERE s.priority
	    = t.priority AND s.calendar_id IS NOT NULL) ORDER BY t.queue IS
	    NULL, t.queue, 2" |
	awk -F'|' '
	function q(p,   r, lo, x) {
		r = p * (n - 1)
		lo = int(r)
		x = v[lo]
		if (lo + 1 < n)
			x += (r - lo) * (v[lo + 1] - v[lo])
		return sprintf("%.2f", x / 3600) + 0
	}
	function flush() {
		if (n > 0)
			print k "," q(0.5) "," q(0.9)
		n = 0
	}
	$1 != k || NR == 1 { flush(); k = $1 }
	{ v[n++] = $2 }
	END { flush() }'
}
run crm-report tickets --by queue --where 'priority != high' -o csv \
    --fields queue,first_response_median_h,first_response_p90_h
is "$(body)" "$(took first_response_at)" \
    "first response median and p90 agree with SQL and awk"
run crm-report tickets --by queue --where 'priority != high' -o csv \
    --fields queue,resolution_median_h,resolution_p90_h
is "$(body | grep -v ',,')" "$(took resolved_at)" \
    "resolution median and p90 agree with SQL and awk"

run crm-report tickets --by week -o csv --fields period,tickets,open,first_response_median_h,resolution_median_h,resolution_p90_h
expect_out 'period,tickets,open,first_response_median_h,resolution_median_h,resolution_p90_h
2026-W46,2,0,1.25,28.75,44.15
2026-W47,8,5,2,24,43.2' "by ISO week of opening"
is "$(sql "SELECT count(CASE WHEN created_at < '2026-11-16' THEN 1 END)
    || ' ' || count(CASE WHEN created_at >= '2026-11-16' THEN 1 END)
    FROM tickets")" "2 8" "weeks agree with SQL"

run crm-report tickets --by priority --since 2026-11-16 --until 2026-11-20 \
    -o csv --fields priority,tickets,open,resolution_median_h
expect_out 'priority,tickets,open,resolution_median_h
low,1,1,
normal,3,1,36
high,1,0,8' "range on the time opened, priorities low to urgent"
is "$(body | awk -F, '{ n += $2 } END { print n }')" \
    "$(sql "SELECT count(*) FROM tickets WHERE created_at >= '2026-11-16'
    AND created_at < '2026-11-20'")" "range agrees with SQL"

run crm-report tickets --by assignee --where 'breached or csat >= 4' -o csv \
    --fields assignee,tickets,breached,csat_avg
expect_out 'assignee,tickets,breached,csat_avg
ann,3,2,4
bo,2,1,4' "--where with the ticket fields"
is "$(crm-ticket list --where 'breached or csat >= 4' -o csv \
    --fields assignee | sed 1d | sort | uniq -c | tr -s ' ')" \
    " 3 ann
 2 bo" "--where agrees with crm-ticket list"

run crm-report tickets --since 2030-01-01
expect_rc 0 "no tickets in the range"
expect_out '' "no rows"

# activity
run crm-report activity -o csv
expect_rc 0 "activity"
expect_out 'owner,calls,emails,meetings,notes,tasks_done,total,overdue_tasks
ann,2,1,0,0,1,4,1
bo,1,0,1,1,0,3,0' "activity by owner"
want=$(sql "SELECT owner, count(CASE type WHEN 'call' THEN 1 END),
    count(CASE type WHEN 'email' THEN 1 END), count(CASE type WHEN
    'meeting' THEN 1 END), count(CASE type WHEN 'note' THEN 1 END),
    count(done_at), count(CASE WHEN type <> 'task' THEN 1 END) +
    count(done_at) FROM activities GROUP BY owner ORDER BY owner" |
    tr '|' ,)
is "$(body | cut -d, -f1-7)" "$want" "done counts agree with SQL"
is "$(body | cut -d, -f1,8)" "$(crm-contact tasks --overdue -o csv \
    --fields owner | sed 1d | sort | uniq -c |
    awk '{ n[$2] = $1 } END { print "ann," n["ann"] + 0; print "bo," n["bo"] + 0 }')" \
    "overdue agrees with crm-contact tasks --overdue"

run crm-report activity --by month -o csv
expect_out 'period,owner,calls,emails,meetings,notes,tasks_done,total,overdue_tasks
2026-10,ann,1,0,0,0,0,1,0
2026-11,ann,1,1,0,0,1,3,1
2026-11,bo,1,0,1,1,0,3,0' "activity by month, per owner: a task by when it was done"
is "$(body | cut -d, -f1,2,8)" "$(sql "SELECT substr(CASE WHEN type = 'task'
    THEN done_at ELSE at END, 1, 7) AS m, owner, count(*) FROM activities
    WHERE type <> 'task' OR done_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2" |
    tr '|' ,)" "per owner per month agrees with SQL"

run crm-report activity --by week --since 2026-11-01 --until 2026-11-21 \
    --where 'type != note' -o csv
expect_out 'period,owner,calls,emails,meetings,notes,tasks_done,total,overdue_tasks
2026-W45,ann,1,1,0,0,1,3,0
2026-W45,bo,0,0,1,0,0,1,0
2026-W47,ann,0,0,0,0,0,0,1' "range, --where and ISO weeks"
is "$(sql "SELECT count(*) FROM activities WHERE type NOT IN ('note',
    'task') AND at >= '2026-11-01' AND at < '2026-11-21'")" 3 \
    "range agrees with SQL"

run crm-report activity --where 'contact = Bob' -o csv --fields owner,total
expect_out 'owner,total
ann,1
bo,1' "--where on the contact's name"

# campaigns
run crm-report campaigns -o csv
expect_rc 0 "campaigns"
expect_out 'campaign,status,first_sent_at,queued,sent,failed,unknown,skipped,bounced,unsubscribed,deals_won
octnews,draft,2026-11-02T10:00:00Z,0,2,0,0,0,1,1,1
novnews,draft,2026-11-12T10:00:00Z,1,1,1,1,1,0,0,1
draft,draft,,0,0,0,0,0,0,0,0' "campaigns in the order they went out"
is "$(body | cut -d, -f1,4-10)" "$(sql "SELECT k.name,
    count(CASE s.status WHEN 'queued' THEN 1 END),
    count(CASE s.status WHEN 'sent' THEN 1 END),
    count(CASE s.status WHEN 'failed' THEN 1 END),
    count(CASE s.status WHEN 'unknown' THEN 1 END),
    count(CASE s.status WHEN 'skipped' THEN 1 END), count(s.bounced_at),
    count(CASE WHEN s.status = 'sent' AND c.unsubscribed_at > s.sent_at
    THEN 1 END) FROM campaigns k LEFT JOIN campaign_sends s
    ON s.campaign_id = k.id LEFT JOIN contacts c ON c.id = s.contact_id
    GROUP BY k.id ORDER BY coalesce(min(s.sent_at), k.created_at)" |
    tr '|' ,)" "the counts agree with SQL"

# The won deal closed at noon today: 20 days after octnews, 10 days and
# 2 hours after novnews.
run crm-report campaigns --days 10 -o csv --fields campaign,deals_won
expect_out 'campaign,deals_won
octnews,0
novnews,0
draft,0' "--days 10: too late for both"
run crm-report campaigns --days 11 -o csv --fields campaign,deals_won
expect_out 'campaign,deals_won
octnews,0
novnews,1
draft,0' "--days 11: novnews"
run crm-report campaigns --since 2026-11-05 --until 2026-11-15 -o csv \
    --fields campaign
expect_out 'campaign
novnews' "range on the first message"

# due
run crm-report due -o csv
expect_rc 0 "due"
expect_out 'kind,id,state,due,days,subject,owner,contact
task,8,overdue,2026-11-20T09:00:00Z,2,call back,ann,Bob
task,9,due today,2026-11-22T17:00:00Z,0,renewal,bo,Bob
ticket,8,breached,2026-11-19T13:00:00Z,2,eight,ann,Bob
ticket,9,breaching,2026-11-22T14:00:00Z,0,nine,,Ada
deal,1,past close,2026-11-15,7,late deal,ann,Ada' "due: tasks, tickets, deals"
is "$(body | awk -F, '$1 == "task" { print $2 }')" \
    "$(crm-contact tasks --overdue --due today -o csv --fields id | sed 1d)" \
    "tasks agree with crm-contact tasks"
is "$(body | awk -F, '$1 == "ticket" { print $2 }')" \
    "$(crm-ticket list --where 'status in (new, open, pending) and
    (breached or due < tomorrow)' -o csv --fields id | sed 1d)" \
    "tickets agree with crm-ticket list"
is "$(body | awk -F, '$1 == "deal" { print $2 }')" \
    "$(crm-deal list --where 'status = open and expected_close < today' \
    -o csv --fields id | sed 1d)" "deals agree with crm-deal list"

CRM_DB=$T_DIR/empty.db run crm-report due
expect_rc 0 "nothing due"
expect_out '' "nothing due: no rows"

# Formats and charts of these reports (the core's own are tests/6000's).
run crm-report tickets --by queue -o json --fields queue,tickets
expect_out '[
{"queue":"billing","tickets":3},
{"queue":"support","tickets":6},
{"queue":null,"tickets":1}
]' \
    "json, null for no queue"
NO_COLOR=1 COLUMNS=40 run crm-report activity --chart
expect_rc 0 "activity chart"
like "$OUT" 'ann .*4' "a bar per owner"
run crm-report tickets --by week -o svg
expect_rc 0 "tickets as SVG"
if need python3; then
	printf '%s\n' "$OUT" | python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.stdin)'
	ok $? "the SVG parses"
else
	skip "no python3"
fi

# Bad input: one line on stderr, exit 2, nothing changed.
run crm-report tickets --by owner
expect_rc 2 "unknown --by"
is "$(printf '%s\n' "$ERR" | head -n 1)" 'crm-report tickets: --by: unknown "owner" (use one of: status, priority, queue, assignee, month, day, week, quarter, year)' \
    "the words it takes"
run crm-report activity --where "x'; DROP TABLE deals; --"
expect_rc 2 "hostile --where"
is "$(printf '%s\n' "$ERR" | head -n 1)" \
    'crm-report: --where: column 1: unknown field "x"' "names the column"
run crm-report tickets --where "subject = 'x'; DROP TABLE tickets; --"
expect_rc 2 "hostile --where on tickets"
run crm-report activity --since 'next blursday'
expect_rc 2 "bad date"
run crm-report campaigns --where 'status = done'
expect_rc 2 "campaigns take no --where"
run crm-report due --since -1d
expect_rc 2 "due takes no range"
is "$(tables)" "$before" "nothing changed"
