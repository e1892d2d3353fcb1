#!/bin/sh
# crm-report forecast, winrate and velocity: exact output, and every
# number cross-checked against plain SQL through sqlite3 on the same
# file (or awk over crm-deal list --as-of, for the forecast then).
. "${CRM_TOP:-.}/tests/lib.sh"
plan 50

# csv REPORT ARGS...: the report as CSV without its header line.
csv() {
	crm-report "$@" -o csv | tail -n +2
}
# sqlcsv QUERY: sql, CSV out.
sqlcsv() {
	sqlite3 -batch -csv "$CRM_DB" "$1"
}
# money SQL [CURRENCY]: an amount in minor units of CURRENCY (SQL, by
# default d.currency), printed with its decimals (JPY has none).
money() {
	echo "CASE ${2:-d.currency} WHEN 'JPY' THEN printf('%d', $1)
	    ELSE printf('%d.%02d', ($1) / 100, ($1) % 100) END"
}
# g SQL: a number as the reports print it (null stays null).
g() {
	echo "CASE WHEN ($1) IS NOT NULL THEN printf('%g', $1) END"
}
# pct SQL: a ratio as the reports print a percentage, 1 decimal.
pct() {
	g "round(100.0 * ($1), 1)"
}

# Nothing to report is no error.
for rep in forecast winrate velocity; do
	run crm-report $rep
	expect_rc 0 "$rep with no deals"
	is "$OUT$ERR" "" "$rep with no deals: no rows, nothing said"
done
run crm-report forecast --as-of 2026-01-01
is "$RC:$OUT" "0:" "forecast --as-of with no deals"

# The fixture: deals created, moved, won and lost at known times.
at() {
	t=$1
	shift
	CRM_NOW=$t crm-deal "$@" >/dev/null || echo "# fixture: $*"
}
at 2026-01-05T09:00:00Z add --title d1 --amount 1000 --owner ann \
    --source web --expected-close 2026-03-15
at 2026-01-06T09:00:00Z add --title d2 --amount 2000 --owner bob \
    --source referral --expected-close 2026-03-20
at 2026-01-10T09:00:00Z move 1 qualified
at 2026-01-16T21:00:00Z move 2 qualified
at 2026-01-20T09:00:00Z move 1 proposal
at 2026-01-20T12:00:00Z add --title d3 --stage proposal --amount 1200 \
    --currency USD --owner carol --source web --expected-close 2026-02-28
at 2026-02-01T09:00:00Z win 1
at 2026-02-01T10:00:00Z add --title d4 --amount 500 --currency USD \
    --owner ann --source web --expected-close 2026-04-01
at 2026-02-03T10:00:00Z add --title d5 --stage qualified --amount 300.50 \
    --probability 60 --owner bob --expected-close 2026-04-30
at 2026-02-05T10:00:00Z add --title d6 --amount 100000 --currency JPY \
    --owner ann --expected-close 2026-12-01
at 2026-02-10T09:00:00Z lose 2 --reason price
at 2026-02-11T10:00:00Z move 4 proposal
at 2026-02-25T10:00:00Z win 3
at 2026-03-01T10:00:00Z lose 6 --reason timing
at 2026-03-01T12:00:00Z add --title d7 --owner carol \
    --expected-close 2026-04-10
at 2026-03-02T12:00:00Z add --title d8 --amount 700 --owner bob \
    --expected-close 2026-05-05
at 2026-03-05T12:00:00Z move 7 qualified
at 2026-03-07T12:00:00Z move 7 lead
at 2026-03-20T12:00:00Z lose 8 --reason price
at 2026-03-21T12:00:00Z add --title d9 --amount 50
at 2026-03-22T12:00:00Z rate set USD EUR 0.9
at 2026-03-22T12:00:00Z rate set EUR JPY 160
export CRM_NOW=2026-03-25T12:00:00Z
is "$(sql 'SELECT count(*) || ":" || (SELECT count(*) FROM deal_history)
    FROM deals')" "9:11" "the fixture"

# forecast -----------------------------------------------------------
run crm-report forecast
expect_rc 0 "forecast"
expect_out '{"period":"2026-04","currency":"EUR","count":2,"total":"300.50","weighted_total":"180.30"}
{"period":"2026-04","currency":"USD","count":1,"total":"500.00","weighted_total":"250.00"}' \
    "forecast: open deals by month of expected close, per currency"

# half AMOUNT: the weighted sum, amount * probability / 100, rounded
# half to even.
half() {
	w="sum($1 * COALESCE(d.probability, s.probability))"
	echo "($w / 100 + ($w % 100 > 50 OR ($w % 100 = 50 AND
	    ($w / 100) % 2 = 1)))"
}
# forecast_sql PERIOD AMOUNT CURRENCY: the forecast by plain SQL.
forecast_sql() {
	sqlcsv "
	    SELECT $1, $3, count(*), $(money "COALESCE(sum($2), 0)" "$3"),
	    $(money "COALESCE($(half "$2"), 0)" "$3")
	    FROM deals d JOIN stages s ON s.id = d.stage_id
	    WHERE s.kind = 'open' AND d.expected_close IS NOT NULL
	    GROUP BY 1, 2 ORDER BY 1, 2"
}
is "$(csv forecast)" "$(forecast_sql 'substr(d.expected_close, 1, 7)' \
    d.amount d.currency)" "forecast = plain SQL"
is "$(csv forecast --by quarter)" "$(forecast_sql "substr(d.expected_close,
    1, 4) || '-Q' || ((substr(d.expected_close, 6, 2) + 2) / 3)" d.amount \
    d.currency)" "forecast --by quarter = plain SQL"
is "$(csv forecast --by week --fields period,count)" '2026-W14,1
2026-W15,1
2026-W18,1' "forecast --by week: ISO weeks"

# Converted: each amount exactly (1 USD = 0.9 EUR, 1 EUR = 160 JPY).
conv="(CASE d.currency WHEN 'USD' THEN d.amount * 9 / 10
    WHEN 'JPY' THEN d.amount * 100 / 160 ELSE d.amount END)"
run crm-report forecast --currency EUR
expect_out '{"period":"2026-04","currency":"EUR","count":3,"total":"750.50","weighted_total":"405.30"}' \
    "forecast --currency EUR: one row per period"
is "$(csv forecast --currency eur)" "$(forecast_sql \
    'substr(d.expected_close, 1, 7)' "$conv" "'EUR'")" \
    "forecast --currency = plain SQL over converted amounts"
is "$(csv forecast --since 2026-04-05 --until 2026-05-01 --fields \
    period,count,total)" '2026-04,2,300.50' \
    "forecast --since/--until on the expected close"
is "$(csv forecast --where 'owner = ann' --fields currency,count)" \
    'USD,1' "forecast --where"

# --as-of: the open deals as they stood, beside what was won since.
run crm-report forecast --as-of 2026-02-15
expect_rc 0 "forecast --as-of"
expect_out '{"period":"2026-02","currency":"EUR","count":0,"total":"0.00","weighted_total":"0.00","won":1,"won_total":"1000.00"}
{"period":"2026-02","currency":"USD","count":1,"total":"1200.00","weighted_total":"600.00","won":1,"won_total":"1200.00"}
{"period":"2026-04","currency":"EUR","count":1,"total":"300.50","weighted_total":"180.30","won":0,"won_total":"0.00"}
{"period":"2026-04","currency":"USD","count":1,"total":"500.00","weighted_total":"250.00","won":0,"won_total":"0.00"}
{"period":"2026-12","currency":"JPY","count":1,"total":"100000","weighted_total":"10000","won":0,"won_total":"0"}' \
    "forecast --as-of: stages and status then, and what was won"
# The same from crm-deal list --as-of (a day means its end, in both)
# and the won deals, summed by awk.
{
	crm-deal list --as-of 2026-02-15 -o csv --where \
	    'status = open and expected_close is set' \
	    --fields expected_close,currency,amount,probability |
	    tail -n +2 | sed 's/^/f,/'
	sqlcsv "
	    SELECT 'w', substr(d.closed_at, 1, 7), d.currency,
	    $(money d.amount) FROM deals d JOIN stages s ON s.id = d.stage_id
	    WHERE s.kind = 'won'"
} >asof.csv
awk -F, '
function fmt(c, v) { return c == "JPY" ? sprintf("%d", v) : sprintf("%.2f", v) }
$1 == "f" { k = substr($2, 1, 7) "," $3; n[k]++; t[k] += $4
	w[k] += $4 * $5 / 100; cur[k] = $3 }
$1 == "w" { k = $2 "," $3; wn[k]++; wt[k] += $4; cur[k] = $3 }
END { for (k in cur) printf "%s,%d,%s,%s,%d,%s\n", k, n[k], fmt(cur[k], t[k]),
	fmt(cur[k], w[k]), wn[k], fmt(cur[k], wt[k]) }' asof.csv | sort >want
is "$(csv forecast --as-of 2026-02-15)" "$(cat want)" \
    "forecast --as-of = crm-deal list --as-of and the won deals, by awk"
is "$(csv forecast --as-of 2026-02-15 --currency EUR --where 'owner = ann')" \
    '2026-02,EUR,0,0.00,0.00,1,1000.00
2026-04,EUR,1,450.00,225.00,0,0.00
2026-12,EUR,1,625.00,62.50,0,0.00' "forecast --as-of --currency --where"

# A day means its end, as for crm-deal list --as-of: d4's move to
# proposal at 10:00 that day counts, and not at 09:00.
is "$(csv forecast --as-of 2026-02-11 --where 'title = d4' \
    --fields weighted_total) $(csv forecast --as-of 2026-02-11T09:00 \
    --where 'title = d4' --fields weighted_total)" "250.00 50.00" \
    "--as-of a day: its end"

# winrate ------------------------------------------------------------
run crm-report winrate
expect_rc 0 "winrate"
expect_out '{"owner":"ann","currency":"EUR","won":1,"lost":0,"win_rate":100,"won_total":"1000.00","avg_won":"1000.00","lost_reasons":null}
{"owner":"ann","currency":"JPY","won":0,"lost":1,"win_rate":0,"won_total":"0","avg_won":null,"lost_reasons":"timing:1"}
{"owner":"bob","currency":"EUR","won":0,"lost":2,"win_rate":0,"won_total":"0.00","avg_won":null,"lost_reasons":"price:2"}
{"owner":"carol","currency":"USD","won":1,"lost":0,"win_rate":100,"won_total":"1200.00","avg_won":"1200.00","lost_reasons":null}' \
    "winrate by owner, per currency"

# winrate_sql KEY AMOUNT CURRENCY: the same by plain SQL (the lost
# reasons of the row's currency, or of all when converted).
winrate_sql() {
	case $3 in d.*) same="d2.currency = d.currency" ;; *) same=1 ;; esac
	won="CASE s.kind WHEN 'won' THEN $2 END"
	sqlcsv "
	    SELECT $1 AS k, $3 AS cur, sum(s.kind = 'won'),
	    sum(s.kind = 'lost'), $(pct "sum(s.kind = 'won')) / (count(*)"),
	    $(money "COALESCE(sum($won), 0)" "$3"),
	    CASE WHEN count($won) > 0 THEN
	    $(money "sum($won) / count($won)" "$3") END,
	    (SELECT group_concat(r || ':' || n, ';') FROM (SELECT
	        COALESCE(d2.lost_reason, '(none)') AS r, count(*) AS n
	        FROM deals d2 JOIN stages s2 ON s2.id = d2.stage_id
	        WHERE s2.kind = 'lost' AND $(echo "$1" | sed 's/d\./d2./g')
	        IS $1 AND $same
	        GROUP BY 1 ORDER BY 2 DESC, 1))
	    FROM deals d JOIN stages s ON s.id = d.stage_id
	    WHERE s.kind IN ('won', 'lost')
	    GROUP BY 1, 2 ORDER BY k IS NULL, 1, 2"
}
is "$(csv winrate)" "$(winrate_sql d.owner d.amount d.currency)" \
    "winrate = plain SQL"
is "$(csv winrate --by source --currency EUR)" "$(winrate_sql d.source \
    "$conv" "'EUR'")" "winrate --by source --currency EUR = plain SQL"
is "$(csv winrate --by month)" "$(winrate_sql 'substr(d.closed_at, 1, 7)' \
    d.amount d.currency)" "winrate --by month = plain SQL"
is "$(csv winrate --by day --currency EUR)" "$(winrate_sql \
    'substr(d.closed_at, 1, 10)' "$conv" "'EUR'")" \
    "winrate --by day --currency EUR = plain SQL"
is "$(csv winrate --by pipeline --currency EUR)" \
    'default,EUR,2,3,40,2080.00,1040.00,price:2;timing:1' \
    "winrate --by pipeline --currency EUR"
is "$(csv winrate --since 2026-03-01 --fields owner,won,lost,lost_reasons)" \
    'ann,0,1,timing:1
bob,0,1,price:1' "winrate --since: by the time they closed"

# velocity -----------------------------------------------------------
run crm-report velocity -o table
expect_rc 0 "velocity"
expect_out 'pipeline  stage      deals  avg_days  advanced  conversion
default   lead           7      11.9         4        57.1
default   qualified      4      12.2         1          25
default   proposal       3        24         2        66.7' \
    "velocity: days in each stage and conversion to a later one"
# stays COND: a stay ends at a history row and began at the one before
# it (a correlated max, not a window), or at the deal's creation; and
# the stage each open deal is in now.
stays() {
	echo "SELECT h.deal_id AS deal, h.from_stage AS stage,
	    julianday(h.at) - julianday(COALESCE((SELECT max(h2.at)
	    FROM deal_history h2 WHERE h2.deal_id = h.deal_id AND h2.at < h.at),
	    d.created_at)) AS days, h.to_status = 'won' OR (h.to_status = 'open'
	    AND (SELECT position FROM stages WHERE id = h.to_stage_id) >
	    (SELECT position FROM stages WHERE id = h.from_stage_id)) AS fwd
	    FROM deal_history h JOIN deals d ON d.id = h.deal_id
	    WHERE h.from_status = 'open' $1
	    UNION ALL SELECT d.id, s.name, NULL, 0 FROM deals d
	    JOIN stages s ON s.id = d.stage_id WHERE s.kind = 'open' $1"
}
velocity_sql() {
	sqlcsv "
	    SELECT v.stage, count(DISTINCT deal), $(g 'round(avg(days), 1)'),
	    count(DISTINCT CASE WHEN fwd THEN deal END),
	    $(pct "count(DISTINCT CASE WHEN fwd THEN deal END)) /
	    (count(DISTINCT deal)")
	    FROM ($(stays "$1")) v
	    JOIN stages st ON st.name = v.stage
	    GROUP BY v.stage ORDER BY min(st.position)"
}
is "$(csv velocity --fields stage,deals,avg_days,advanced,conversion)" \
    "$(velocity_sql '')" "velocity = plain SQL"
is "$(csv velocity --since 2026-02-01 --fields \
    stage,deals,avg_days,advanced,conversion)" \
    "$(velocity_sql "AND d.created_at >= '2026-02-01'")" \
    "velocity --since: deals created since, = plain SQL"
run crm-report velocity --by owner
expect_out '{"owner":"ann","deals":3,"won":1,"lost":1,"cycle_days":27}
{"owner":"bob","deals":3,"won":0,"lost":2,"cycle_days":null}
{"owner":"carol","deals":2,"won":1,"lost":0,"cycle_days":35.9}
{"owner":null,"deals":1,"won":0,"lost":0,"cycle_days":null}' \
    "velocity --by owner: the sales cycle of the won deals"
is "$(csv velocity --by owner)" "$(sqlcsv "
    SELECT d.owner, count(*), sum(s.kind = 'won'), sum(s.kind = 'lost'),
    $(g "round(avg(CASE s.kind WHEN 'won' THEN julianday(d.closed_at)
    - julianday(d.created_at) END), 1)")
    FROM deals d JOIN stages s ON s.id = d.stage_id
    GROUP BY 1 ORDER BY d.owner IS NULL, 1")" "velocity --by owner = plain SQL"
is "$(csv velocity --by pipeline --where 'source = web')" 'default,3,2,0,31.5' \
    "velocity --by pipeline --where"

# --pipeline: only the deals of that pipeline.
crm-deal pipeline add renewals --stages talk:30,offer:70 >/dev/null
at 2026-03-23T12:00:00Z add --title r1 --pipeline renewals --amount 90 \
    --owner ann --expected-close 2026-06-30
at 2026-03-24T12:00:00Z move 10 offer
is "$(csv forecast --pipeline renewals)" '2026-06,EUR,1,90.00,63.00' \
    "forecast --pipeline"
is "$(csv velocity --pipeline renewals)" 'renewals,talk,1,1,1,100
renewals,offer,1,,0,0' "velocity --pipeline"
is "$(csv winrate --pipeline renewals)" "" "winrate --pipeline: none closed"

# Bad input: one line, exit 2, nothing changed.
events=$(sql 'SELECT count(*) FROM events')
run crm-report winrate --by stage
expect_rc 2 "winrate --by stage"
is "$(echo "$ERR" | head -n 1)" 'crm-report winrate: --by: unknown "stage" (use one of: owner, source, pipeline, month, day, week, quarter, year)' \
    "an unknown --by lists the words"
run crm-report forecast --as-of 2026-13-45
expect_rc 2 "forecast --as-of a bad date"
run crm-report winrate --where "x'; DROP TABLE deals; --"
expect_rc 2 "a hostile --where"
like "$ERR" '^crm-report( winrate)?: --where: column 1: ' "is a filter error"
run crm-report forecast --where "owner = \"x'; DROP TABLE deals; --\""
is "$RC:$OUT" "0:" "a hostile value is only a value"
run crm-report velocity --currency EUR
expect_rc 2 "velocity takes no --currency"
run crm-report forecast --pipeline nope
expect_rc 2 "an unknown pipeline"
is "$(sql 'SELECT count(*) FROM deals') $(sql 'SELECT count(*) FROM events')" \
    "10 $events" "nothing changed"
run crm-report winrate --currency GBP
expect_rc 1 "no rate into GBP"
