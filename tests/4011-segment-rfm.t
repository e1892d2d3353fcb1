#!/bin/sh
# crm-segment rfm: quintiles checked against an independent computation
# (awk over the won deals), ties, groups, --since, currencies.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 32

i=1
while [ $i -le 15 ]; do
	crm-contact add --name "C$i" --email "c$i@example.org" >/dev/null
	i=$((i + 1))
done
# deal CONTACT DAY AMOUNT [CURRENCY]: a deal won on DAY.
deal() {
	CRM_NOW=$2T10:00:00Z crm-deal add --title won --contact "$1" \
	    --stage won --amount "$3" ${4:+--currency "$4"} >/dev/null
}

rows() { sql "SELECT count(*) FROM $1"; }
# What was stored: contact:R:F:M:group, by contact.
stored() {
	sql "SELECT group_concat(contact_id || ':' || rfm_r || ':' || rfm_f
	    || ':' || rfm_m || ':' || rfm_group, ' ') FROM (SELECT * FROM
	    contact_scores WHERE rfm_r IS NOT NULL ORDER BY contact_id)"
}
# The same from the won deals (closed on or after $1, if given), with
# plain aggregates and awk: score = 1 + floor(5 * below / n), where below
# counts the contacts with a strictly smaller value.
expected() {
	sql "SELECT d.contact_id, max(d.closed_at), count(*), sum(d.amount)
	    FROM deals d JOIN stages s ON s.id = d.stage_id
	    WHERE s.kind = 'won' AND d.closed_at >= '${1:-0}'
	    GROUP BY d.contact_id ORDER BY d.contact_id" |
	awk -F'|' '
	{ id[NR] = $1; v[NR, 1] = $2; v[NR, 2] = $3 + 0; v[NR, 3] = $4 + 0 }
	END {
		n = NR
		for (i = 1; i <= n; i++) {
			for (k = 1; k <= 3; k++) {
				below = 0
				for (j = 1; j <= n; j++)
					if (v[j, k] < v[i, k])
						below++
				s[k] = 1 + int(5 * below / n)
			}
			r = s[1]
			f = s[2]
			if (r >= 4 && f >= 4) g = "champions"
			else if (r >= 3 && f >= 3) g = "loyal"
			else if (r >= 4 && f == 1) g = "new"
			else if (r >= 3 && f <= 2) g = "potential"
			else if (r == 1 && f >= 4) g = "cannot-lose"
			else if (r <= 2 && f >= 3) g = "at-risk"
			else if (r == 2 && f <= 2) g = "hibernating"
			else g = "lost"
			printf "%s%s:%d:%d:%d:%s", (i > 1 ? " " : ""), id[i],
			    s[1], s[2], s[3], g
		}
		printf "\n"
	}'
}

run crm-segment rfm
expect_rc 0 "rfm with no won deals"
expect_out '{"group":"champions","contacts":0,"revenue":null,"currency":null}
{"group":"loyal","contacts":0,"revenue":null,"currency":null}
{"group":"new","contacts":0,"revenue":null,"currency":null}
{"group":"potential","contacts":0,"revenue":null,"currency":null}
{"group":"cannot-lose","contacts":0,"revenue":null,"currency":null}
{"group":"at-risk","contacts":0,"revenue":null,"currency":null}
{"group":"hibernating","contacts":0,"revenue":null,"currency":null}
{"group":"lost","contacts":0,"revenue":null,"currency":null}' \
    "every group, in the documented order, empty"
expect_err 'crm-segment: scored 0 contacts' "the summary"

deal 1 2026-01-10 100
deal 2 2026-02-10 100
deal 2 2026-03-10 200
deal 3 2026-03-10 300
deal 4 2026-04-01 50
deal 4 2026-05-01 50
deal 4 2026-06-01 50
deal 5 2026-06-01 1000
deal 6 2026-07-01 100
deal 7 2026-08-01 20
deal 7 2026-08-15 20
deal 7 2026-09-01 20
deal 7 2026-10-01 20
deal 8 2026-10-01 400
deal 9 2026-10-15 150
deal 9 2026-11-01 150
deal 10 2026-11-10 75
deal 11 2025-12-01 500
deal 11 2026-01-05 500
deal 11 2026-02-01 500
deal 11 2026-02-05 500
deal 12 2026-11-01 50
deal 12 2026-11-05 50
deal 12 2026-11-15 50
deal 12 2026-11-20 250
# Not won: an open deal and a lost one.
crm-deal add --title open --contact 14 --amount 9999 >/dev/null
crm-deal add --title lost --contact 15 --stage lost --amount 9999 >/dev/null

run crm-segment rfm
expect_rc 0 "rfm"
expect_out '{"group":"champions","contacts":1,"revenue":"400.00","currency":"EUR"}
{"group":"loyal","contacts":2,"revenue":"380.00","currency":"EUR"}
{"group":"new","contacts":1,"revenue":"75.00","currency":"EUR"}
{"group":"potential","contacts":2,"revenue":"500.00","currency":"EUR"}
{"group":"cannot-lose","contacts":1,"revenue":"2000.00","currency":"EUR"}
{"group":"at-risk","contacts":2,"revenue":"450.00","currency":"EUR"}
{"group":"hibernating","contacts":1,"revenue":"1000.00","currency":"EUR"}
{"group":"lost","contacts":2,"revenue":"400.00","currency":"EUR"}' \
    "a record per group with its contacts and revenue"
expect_err 'crm-segment: scored 12 contacts' "the summary"
is "$(stored)" "$(expected)" "R, F, M and groups agree with awk"
is "$(sql 'SELECT count(DISTINCT rfm_r) FROM contact_scores
    WHERE contact_id IN (2, 3)')" 1 "ties: the same last date, the same R"
is "$(sql 'SELECT group_concat(DISTINCT rfm_f) FROM contact_scores
    WHERE contact_id IN (1, 3, 5, 6, 8, 10)')" 1 \
    "ties: every contact with one won deal has F = 1"
is "$(sql 'SELECT count(DISTINCT rfm_m) FROM contact_scores
    WHERE contact_id IN (8, 12)')" 1 "ties: the same total, the same M"
is "$(sql 'SELECT count(*) FROM contact_scores
    WHERE contact_id > 12 AND rfm_r IS NOT NULL')" 0 \
    "no won deal, no scores"
is "$(sql "SELECT count(*) FROM contact_scores
    WHERE rfm_at = '2026-11-22T12:00:00Z'")" 12 "each with the time"

run crm-contact list --where 'rfm_group = champions or rfm_group = loyal' \
    --fields id
expect_out '{"id":7}
{"id":9}
{"id":12}' "the groups are usable in contact filters"
run crm-contact list --where 'rfm_group = cannot-lose or rfm_m = 5' \
    --fields id
expect_out '{"id":5}
{"id":11}' "a group spelled with a hyphen needs no quotes"

# --since
run crm-segment rfm --since 2026-06-01
expect_rc 0 "--since"
expect_err 'crm-segment: scored 8 contacts' "fewer contacts"
is "$(stored)" "$(expected 2026-06-01)" "agree with awk over the same deals"
is "$(sql 'SELECT group_concat(contact_id) FROM contact_scores
    WHERE rfm_group IS NULL AND rfm_r IS NULL AND rfm_at IS NULL')" \
    "1,2,3,11" "the others' scores are cleared"
run crm-segment rfm --since yesterday-ish
expect_rc 2 "a bad --since"
expect_err 'crm-segment: --since: expected a date or time such as 2026-01-01 or -90d, got "yesterday-ish"' \
    "says so"

# Currencies
crm-segment rfm 2>/dev/null >/dev/null
before=$(stored)
events=$(rows events)
deal 12 2026-11-21 100 USD
deal 13 2026-11-21 1000 JPY
run crm-segment rfm
expect_rc 2 "won deals in several currencies"
expect_err 'crm-segment: won deals are in 3 currencies (EUR, JPY, USD): give --currency CODE to convert them, with rates from crm-deal rate set' \
    "are refused, naming them"
is "$(stored):$(rows events)" "$before:$((events + 2))" \
    "nothing written (the events are the two deals')"
run crm-segment rfm --since 2026-11-21 -o csv --fields group,contacts
expect_rc 2 "refused within --since too"
run crm-segment rfm --currency EUR
expect_rc 1 "--currency without a rate"
expect_err 'crm-segment: no rate from JPY to EUR (set one with crm-deal rate set JPY EUR RATE)' \
    "names the pair"
crm-deal rate set USD EUR 0.5 >/dev/null
crm-deal rate set EUR JPY 160 >/dev/null
run crm-segment rfm --currency eur -o csv
expect_rc 0 "--currency with rates, one of them inverted"
expect_out 'group,contacts,revenue,currency
champions,1,450.00,EUR
loyal,2,380.00,EUR
new,2,81.25,EUR
potential,2,500.00,EUR
cannot-lose,1,2000.00,EUR
at-risk,2,450.00,EUR
hibernating,1,1000.00,EUR
lost,2,400.00,EUR' "converted exactly: 100 USD is 50.00, 1000 JPY 6.25 EUR"
is "$(sql 'SELECT rfm_m FROM contact_scores WHERE contact_id = 13')" 1 \
    "1000 JPY weighs as 6.25 EUR, the least"
run crm-segment rfm --currency EUX
expect_rc 2 "an unknown currency"
like "$ERR" '^crm-segment: --currency: unknown currency "EUX"' "says so"
is "$(sql "SELECT count(*) FROM events WHERE entity = 'score'
    AND action = 'rfm'")" 5 "one event per pass that ran"
