#!/bin/sh
# crm-report funnel, customers, cohort, clv and rfm: exact output, every
# number cross-checked against plain SQL through sqlite3 or awk over its
# rows, the options each takes, and bad input that changes nothing.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 52

# contact N DAY SOURCE OWNER: contact cN, created on DAY.
contact() {
	CRM_NOW=$2T09:00:00Z crm-contact add --name "C$1" \
	    --email "c$1@example.org" ${3:+--source "$3"} ${4:+--owner "$4"} \
	    >/dev/null
}
# stages N STAGE...: move cN through the lifecycle stages, in order.
stages() {
	n=$1
	shift
	for s in "$@"; do
		crm-contact update --stage "$s" "c$n@example.org" >/dev/null
	done
}
# deal N DAY AMOUNT [CURRENCY [STAGE]]: a deal of cN won (or in STAGE)
# on DAY.
deal() {
	CRM_NOW=$2T10:00:00Z crm-deal add --title "deal $1 $2" \
	    --contact "c$1@example.org" --stage "${5:-won}" --amount "$3" \
	    ${4:+--currency "$4"} >/dev/null
}
# rows REPORT ARGS...: the report's rows as sqlite3 prints them (a|b|c),
# from its TSV without the header.
rows() {
	crm-report "$@" -o tsv | tail -n +2 | tr '\t' '|'
}
dump() { sqlite3 "$CRM_DB" .dump | cksum; }

# An empty database: every report is zero rows, but rfm has no pass.
for r in funnel customers cohort clv; do
	run crm-report "$r"
	is "$RC:$OUT:$ERR" "0::" "$r on an empty database: no rows, exit 0"
done
run crm-report rfm
expect_rc 1 "rfm before any crm-segment rfm"
expect_err 'crm-report: no RFM scores yet: run "crm-segment rfm" to compute them' \
    "says how to compute them"

contact 1 2026-01-05 web ann
contact 2 2026-01-20 web bob
contact 3 2026-02-03 referral ann
contact 4 2026-02-14 "" bob
contact 5 2026-03-09 web ann
contact 6 2026-04-01 referral ""
stages 1 prospect customer
stages 2 prospect
stages 3 customer
stages 5 prospect customer churned
deal 1 2026-01-10 100
deal 1 2026-02-15 50
deal 1 2026-04-02 25
deal 2 2026-02-01 200
deal 2 2026-02-20 10 USD
deal 2 2026-03-05 30
deal 3 2026-03-15 1000 JPY
deal 5 2026-03-20 70
deal 5 2026-05-01 30
deal 4 2026-03-01 500 EUR lost
deal 6 2026-04-10 40 EUR proposal

# customers
run crm-report customers
expect_rc 0 "customers"
expect_out '{"period":"2026-01","source":"web","contacts":2}
{"period":"2026-02","source":null,"contacts":1}
{"period":"2026-02","source":"referral","contacts":1}
{"period":"2026-03","source":"web","contacts":1}
{"period":"2026-04","source":"referral","contacts":1}' \
    "new contacts per month and source, by default"
is "$(rows customers)" "$(sql "SELECT substr(created_at, 1, 7), source,
    count(*) FROM contacts GROUP BY 1, 2 ORDER BY 1, 2")" \
    "customers: the same as a GROUP BY in sqlite3"
is "$(rows customers --by week)" "$(sql "SELECT strftime('%Y-W', created_at)
    || printf('%02d', strftime('%W', created_at) + 1), source, count(*)
    FROM contacts GROUP BY 1, 2 ORDER BY 1, 2")" \
    "--by week: ISO weeks (2026 starts on a Thursday: its %W plus one)"
is "$(rows customers --by quarter --since 2026-01-20 --until 2026-04-01)" \
    "$(sql "SELECT substr(created_at, 1, 4) || '-Q' ||
    ((substr(created_at, 6, 2) + 2) / 3), source, count(*) FROM contacts
    WHERE created_at >= '2026-01-20' AND created_at < '2026-04-01'
    GROUP BY 1, 2 ORDER BY 1, 2")" \
    "--by quarter in a range: since inclusive, until exclusive"
run crm-report customers --by source -o csv
expect_out 'source,contacts
web,3
referral,2
,1' "--by source: the most first, CSV"
is "$(rows customers --by owner --where 'source = web')" \
    "$(sql "SELECT owner, count(*) FROM contacts WHERE source = 'web'
    GROUP BY 1 ORDER BY 2 DESC, 1")" "--by owner with --where"

# funnel
run crm-report funnel -o table
expect_out 'stage     contacts  reached  conversion_rate
lead             2        6
prospect         1        3               50
customer         2        3             66.7
churned          1        1             33.3' \
    "funnel: the stages in the order contacts pass them"
# The same from the update events and the stages now of the contacts $1
# selects, in awk: a contact's path is its first change's old stage, then
# each new one; a stage's step is where it first appears in the path,
# and the order that of the average step.
funnel_awk() {
	sql "SELECT 'E', entity_id, json_extract(changes, '$.stage.old'),
	    json_extract(changes, '$.stage.new') FROM events
	    WHERE entity = 'contact' AND action = 'update'
	    AND json_extract(changes, '$.stage') IS NOT NULL
	    AND entity_id IN ($1) ORDER BY id;
	    SELECT 'C', id, stage FROM contacts WHERE id IN ($1) ORDER BY id" |
	awk -F'|' '
	function mark(id, s, step) {
		if (!((id, s) in st) || step < st[id, s])
			st[id, s] = step
	}
	function fmt(x, y) {
		y = sprintf("%.1f", x)
		sub(/\.0$/, "", y)
		return y
	}
	$1 == "E" {
		if (++k[$2] == 1)
			mark($2, $3, 0)
		mark($2, $4, k[$2])
	}
	$1 == "C" { mark($2, $3, k[$2] + 0); now[$3]++; ids[$2] = 1 }
	END {
		for (p in st) {
			split(p, a, SUBSEP)
			if (!(a[2] in reached))
				names[++n] = a[2]
			reached[a[2]]++
			sum[a[2]] += st[p]
		}
		for (i = 1; i <= n; i++)
			pos[names[i]] = sum[names[i]] / reached[names[i]]
		for (i = 1; i <= n; i++)
			for (j = i + 1; j <= n; j++) {
				x = names[i]; y = names[j]
				if (pos[y] < pos[x] || (pos[y] == pos[x] &&
				    (reached[y] > reached[x] ||
				    (reached[y] == reached[x] && y < x)))) {
					names[i] = y; names[j] = x
				}
			}
		for (i = 1; i <= n; i++) {
			s = names[i]
			conv = ""
			if (i > 1) {
				both = 0
				for (id in ids)
					if ((id, prev) in st && (id, s) in st)
						both++
				conv = fmt(100 * both / reached[prev])
			}
			printf "%s|%d|%d|%s\n", s, now[s], reached[s], conv
			prev = s
		}
	}'
}
is "$(rows funnel)" "$(funnel_awk "SELECT id FROM contacts")" \
    "funnel: the same from the events, in awk"
is "$(rows funnel --since 2026-02-01 --where 'source != web')" \
    "$(funnel_awk "SELECT id FROM contacts WHERE created_at >= '2026-02-01'
    AND COALESCE(source, '') != 'web'")" \
    "funnel --since --where: the contacts created in the range only"

# cohort
run crm-report cohort -o csv
expect_out 'cohort,months,customers,active,retention_rate
2026-01,0,1,1,100
2026-01,1,1,1,100
2026-01,2,1,0,0
2026-01,3,1,1,100
2026-01,4,1,0,0
2026-02,0,1,1,100
2026-02,1,1,1,100
2026-02,2,1,0,0
2026-02,3,1,0,0
2026-03,0,2,2,100
2026-03,1,2,0,0
2026-03,2,2,1,50' \
    "cohort: every month of every cohort up to the last won deal"
# The same in plain SQL: the months a customer won a deal in, counted
# per first month and distance from it (the months without are 0).
cohort_sql() {
	sql "WITH w AS (SELECT DISTINCT d.contact_id AS c,
	    substr(d.closed_at, 1, 4) * 12 + substr(d.closed_at, 6, 2) AS m
	    FROM deals d JOIN stages s ON s.id = d.stage_id
	    WHERE s.kind = 'won' AND d.closed_at < '${2:-9}' $3),
	f AS (SELECT c, min(m) AS m0 FROM w GROUP BY c),
	n AS (SELECT m0, count(*) AS size FROM f WHERE m0 >= $1 GROUP BY m0)
	SELECT printf('%04d-%02d', (f.m0 - 1) / 12, (f.m0 - 1) % 12 + 1),
	    w.m - f.m0, n.size, count(*),
	    round(100.0 * count(*) / n.size, 1) + 0
	FROM w JOIN f ON f.c = w.c JOIN n ON n.m0 = f.m0
	GROUP BY f.m0, w.m ORDER BY f.m0, w.m" | sed 's/\.0$//'
}
is "$(rows cohort | awk -F'|' '$4 > 0')" "$(cohort_sql 0)" \
    "cohort: the months with repeat purchases, as plain SQL counts them"
is "$(rows cohort --since 2026-02-01 --until 2026-05-01 |
    awk -F'|' '$4 > 0')" "$(cohort_sql "2026 * 12 + 2" 2026-05-01)" \
    "--since picks cohorts, --until ends what is read"
is "$(rows cohort --where 'amount >= 50' | awk -F'|' '$4 > 0')" \
    "$(cohort_sql 0 9 "AND d.amount >= CASE d.currency WHEN 'JPY' THEN 50
    ELSE 5000 END")" \
    "--where picks the deals (amount in units, as in crm-deal list)"

# clv
run crm-report clv -o table
expect_out 'cohort   currency  customers  deals  revenue  average_deal  clv
2026-01  EUR               1      3  175.00   58.33         175.00
2026-02  EUR               1      2  230.00   115.00        230.00
2026-02  USD               1      1  10.00    10.00         10.00
2026-03  EUR               1      2  100.00   50.00         100.00
2026-03  JPY               1      1  1000     1000          1000' \
    "clv: a row per cohort and currency"
# clv_sql KEYS [DEALS]: clv in SQL, per key and currency, where KEYS
# selects (key, c) from f, the customers with the month of their first
# won deal, and DEALS is a condition on the won deals; rounded as printf
# rounds (the data has no halves to round).
clv_sql() {
	sql "WITH w AS (SELECT d.contact_id AS c, d.currency AS cur,
	    d.amount AS a, d.closed_at AS t FROM deals d
	    JOIN stages s ON s.id = d.stage_id WHERE s.kind = 'won' $2),
	f AS (SELECT c, substr(min(t), 1, 7) AS key FROM w GROUP BY c),
	k AS ($1)
	SELECT key, cur, count(DISTINCT w.c), count(*),
	    printf(p, sum(a) / e), printf(p, 1.0 * sum(a) / e / count(*)),
	    printf(p, 1.0 * sum(a) / e / count(DISTINCT w.c))
	FROM w JOIN k ON k.c = w.c
	JOIN (SELECT 'JPY' AS code, '%d' AS p, 1 AS e UNION ALL
	    SELECT 'EUR', '%.2f', 100.0 UNION ALL SELECT 'USD', '%.2f', 100.0)
	    ON code = cur
	GROUP BY 1, 2 ORDER BY 1, 2"
}
is "$(rows clv)" "$(clv_sql "SELECT key, c FROM f")" \
    "clv: the same in plain SQL"
crm-deal rate set USD EUR 0.5 >/dev/null
run crm-report clv --currency EUR
expect_rc 1 "--currency without a rate for every currency"
expect_err 'crm-report: no rate from JPY to EUR (set one with crm-deal rate set JPY EUR RATE)' \
    "names the rate to set"
crm-deal rate set JPY EUR 0.01 >/dev/null
run crm-report clv --currency eur -o csv
expect_out 'cohort,currency,customers,deals,revenue,average_deal,clv
2026-01,EUR,1,3,175.00,58.33,175.00
2026-02,EUR,1,3,235.00,78.33,235.00
2026-03,EUR,2,3,110.00,36.67,55.00' \
    "--currency: every amount converted, a customer counted once"
# In EUR cents: a USD cent is half of one, a yen one.
is "$(rows clv --currency EUR)" "$(sql "WITH w AS (SELECT d.contact_id
    AS c, d.closed_at AS t, d.amount * CASE d.currency WHEN 'USD' THEN 0.5
    ELSE 1 END AS a FROM deals d JOIN stages s ON s.id = d.stage_id
    WHERE s.kind = 'won'),
    f AS (SELECT c, substr(min(t), 1, 7) AS key FROM w GROUP BY c)
    SELECT key, 'EUR', count(DISTINCT w.c), count(*),
    printf('%.2f', sum(a) / 100.0), printf('%.2f', sum(a) / 100.0 / count(*)),
    printf('%.2f', sum(a) / 100.0 / count(DISTINCT w.c))
    FROM w JOIN f ON f.c = w.c GROUP BY 1 ORDER BY 1")" \
    "--currency: the same with the rates in SQL"
crm-segment create webbies --where 'source = web' >/dev/null
crm-segment create picked --static >/dev/null
crm-segment add picked c3@example.org c4@example.org >/dev/null
run crm-report clv --by segment -o table
expect_out 'segment  currency  customers  deals  revenue  average_deal  clv
picked   JPY               1      1  1000     1000          1000
webbies  EUR               3      7  505.00   72.14         168.33
webbies  USD               1      1  10.00    10.00         10.00' \
    "clv --by segment: each segment's customers"
is "$(rows clv --by segment)" "$(clv_sql "SELECT 'webbies' AS key, id
    AS c FROM contacts WHERE source = 'web' UNION ALL SELECT 'picked', id
    FROM contacts WHERE id IN (3, 4)")" "--by segment: the same in SQL"
is "$(rows clv --segment webbies --since 2026-02-01 --where 'amount > 20')" \
    "$(clv_sql "SELECT key, c FROM f WHERE key >= '2026-02'
    AND c IN (SELECT id FROM contacts WHERE source = 'web')" \
    "AND d.amount > CASE d.currency WHEN 'JPY' THEN 20 ELSE 2000 END")" \
    "--segment, --since and --where together"
crm-segment create annies --where 'owner = ann and segment = webbies' \
    >/dev/null
is "$(rows clv --by segment --segment annies --where 'amount > 20' \
    --until 2026-04-01)" "$(clv_sql "SELECT 'annies' AS key, id AS c
    FROM contacts WHERE source = 'web' AND owner = 'ann' UNION ALL
    SELECT 'picked', id FROM contacts WHERE id IN (3, 4) UNION ALL
    SELECT 'webbies', id FROM contacts WHERE source = 'web'" "AND
    d.amount > CASE d.currency WHEN 'JPY' THEN 20 ELSE 2000 END
    AND d.closed_at < '2026-04-01' AND d.contact_id IN (SELECT id
    FROM contacts WHERE source = 'web' AND owner = 'ann')")" \
    "--by segment: nested segments, --segment, --where and --until"
run crm-report clv --segment nosuch
expect_rc 2 "--segment naming no segment"
expect_err 'crm-report: --segment: no segment "nosuch"' "says which"

# rfm
run crm-report rfm
expect_rc 1 "rfm still needs a pass"
crm-segment rfm --currency EUR >/dev/null 2>&1
run crm-report rfm -o csv
expect_rc 0 "rfm after crm-segment rfm"
expect_out 'group,contacts,revenue,currency
champions,0,,
loyal,1,175.00,EUR
new,0,,
potential,1,100.00,EUR
cannot-lose,0,,
at-risk,1,230.00,EUR
at-risk,1,10.00,USD
hibernating,1,1000,JPY
lost,0,,' \
    "every group in crm-segment's order, a row per currency"
rfm_sql() {
	sql "SELECT cs.rfm_group, count(DISTINCT cs.contact_id),
	    printf(CASE d.currency WHEN 'JPY' THEN '%d' ELSE '%.2f' END,
	    sum(d.amount) / CASE d.currency WHEN 'JPY' THEN 1 ELSE 100.0 END),
	    d.currency
	    FROM contact_scores cs JOIN deals d ON d.contact_id = cs.contact_id
	    JOIN stages s ON s.id = d.stage_id AND s.kind = 'won'
	    JOIN contacts c ON c.id = cs.contact_id $1
	    GROUP BY 1, 4 ORDER BY 1, 4"
}
is "$(rows rfm | awk -F'|' '$2 > 0' | sort)" "$(rfm_sql | sort)" \
    "rfm: the same from contact_scores and the deals in SQL"
is "$(rows rfm --where 'owner = ann' | awk -F'|' '$2 > 0' | sort)" \
    "$(rfm_sql "WHERE c.owner = 'ann'" | sort)" "rfm --where on contacts"
run crm-report rfm --currency EUR -o csv
expect_out 'group,contacts,revenue,currency
champions,0,0.00,EUR
loyal,1,175.00,EUR
new,0,0.00,EUR
potential,1,100.00,EUR
cannot-lose,0,0.00,EUR
at-risk,1,235.00,EUR
hibernating,1,10.00,EUR
lost,0,0.00,EUR' "rfm --currency: one row per group"
is "$(rows rfm --currency EUR | awk -F'|' '{ n += $2 } END { print n }')" \
    "$(sql "SELECT count(*) FROM contact_scores WHERE rfm_group IS NOT NULL")" \
    "every scored contact in one group"

crm-segment rfm --currency EUR --since 2026-03-01 >/dev/null 2>&1
is "$(rows rfm | awk -F'|' '$2 > 0' | sort)" \
    "$(rfm_sql "WHERE d.closed_at >= '2026-03-01'" | sort)" \
    "rfm: revenue since the --since of the last pass"

# Bad input: one line and the usage, exit 2, nothing changed.
before=$(dump)
bad() {
	run crm-report "$@"
	is "$RC:$(printf '%s\n' "$ERR" | head -n 1)" "2:$want" \
	    "refused: $*"
}
want='crm-report customers: --by: unknown "hour" (use one of: month, day, week, quarter, year, source, owner)'
bad customers --by hour
want='crm-report clv: --by: unknown "owner" (use one of: cohort, segment)'
bad clv --by owner
want='crm-report funnel: --since: expected a date or time such as 2026-01-01 or -30d, got "2026-13-45"'
bad funnel --since 2026-13-45
want='crm-report: --where: column 1: unknown field "x"'
bad cohort --where "x'; DROP TABLE deals; --"
want='crm-report: --where: column 10: expected a value after "="'
bad customers --where "source = "
want='crm-report cohort: unknown option --currency'
bad cohort --currency EUR
want='crm-report funnel: unknown option --by'
bad funnel --by month
want='crm-report rfm: unknown option --since'
bad rfm --since 2026-01-01
want='crm-report: --currency: unknown currency "EUX" (did you mean "EUR"?)'
bad clv --currency EUX
run crm-report customers --where "source = \"x'; DROP TABLE contacts; --\""
is "$RC:$OUT:$ERR" "0::" "a hostile value is a value: no contact has it"
is "$(dump)" "$before" "the database is as it was"
is "$(sql "SELECT count(*) FROM deals")" 11 "the deals are all there"
