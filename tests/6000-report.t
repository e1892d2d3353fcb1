#!/bin/sh
# crm-report: the command (options, errors, every format, --chart, SVG)
# and the pipeline report, cross-checked against plain SQL run through
# sqlite3 on the same file.
. "${CRM_TOP:-.}/tests/lib.sh"

# deal DAY STAGE AMOUNT CURRENCY OWNER SOURCE [PROBABILITY [PIPELINE]]: a
# deal created on DAY ("-" for no amount, owner or source).
deal() {
	set -- "$@" "" ""
	a=$3 c=$4 o=$5 s=$6
	[ "$a" = - ] && a='' c=''
	[ "$o" = - ] && o=''
	[ "$s" = - ] && s=''
	CRM_NOW=$1T09:00:00Z crm-deal add --title "deal $1" --stage "$2" \
	    ${7:+--probability "$7"} ${8:+--pipeline "$8"} \
	    ${a:+--amount "$a"} ${c:+--currency "$c"} ${o:+--owner "$o"} \
	    ${s:+--source "$s"} >/dev/null
}

crm-deal pipeline add enterprise --stages pilot:30,contract:70 >/dev/null
deal 2026-10-01 lead 100 EUR ann web
deal 2026-10-15 lead 250.50 EUR bob referral
deal 2026-11-01 proposal 1000 EUR ann web
deal 2026-11-10 proposal 80 USD ann - 33
deal 2026-11-20 negotiation 0.05 EUR bob web 50
deal 2026-09-01 pilot 5000 EUR carl partner "" enterprise
deal 2026-11-21 contract 12000 JPY carl partner "" enterprise
deal 2026-11-02 lead - EUR - -
deal 2026-08-01 won 999 EUR ann web
deal 2026-08-02 lost 50 EUR bob web
events=$(sql 'SELECT count(*) FROM events')

# expected BY KEYCOLS [CONDITION]: the pipeline report as CSV, computed
# with plain SQL: integer sums, the weighted total rounded half to even
# by hand, amounts printed with their currency's decimals.
money() {
	echo "CASE d.currency WHEN 'JPY' THEN printf('%d', $1)
	    ELSE printf('%d.%02d', ($1) / 100, ($1) % 100) END"
}
expected() {
	w="sum(d.amount * COALESCE(d.probability, s.probability))"
	half="($w / 100 + ($w % 100 > 50 OR ($w % 100 = 50 AND ($w / 100) % 2 = 1)))"
	sqlite3 -batch -csv -header "$CRM_DB" "SELECT $2, d.currency AS currency,
	    count(*) AS count,
	    $(money 'COALESCE(sum(d.amount), 0)') AS total,
	    $(money "COALESCE($half, 0)") AS weighted_total,
	    printf('%g', round(avg(julianday('$CRM_NOW') -
	    julianday(d.created_at)), 1)) AS avg_age_days
	    FROM deals d JOIN stages s ON s.id = d.stage_id
	    JOIN pipelines p ON p.id = s.pipeline_id
	    WHERE s.kind = 'open' ${3:+AND $3}
	    GROUP BY $1, d.currency ORDER BY $4, d.currency" | tr -d '\r'
}

run crm-report pipeline -o csv
expect_rc 0 "pipeline"
expect_out "$(expected s.id 'p.name AS pipeline, s.name AS stage' '' \
    'p.id, s.position, s.id')" "by stage: the same numbers as plain SQL"
is "$(printf '%s\n' "$OUT" | wc -l)" 7 "a header and a row per stage and currency"
is "$(printf '%s\n' "$OUT" | grep -c '^default,negotiation,EUR,1,0.05,0.02,')" 1 \
    "a weighted total rounds half to even (0.025 is 0.02)"

run crm-report pipeline --by owner -o csv
expect_out "$(expected d.owner 'd.owner AS owner' '' \
    'd.owner IS NULL, d.owner')" "--by owner: as plain SQL"
run crm-report pipeline --by source -o csv
expect_out "$(expected d.source 'd.source AS source' '' \
    'd.source IS NULL, d.source')" "--by source: as plain SQL"
run crm-report pipeline --by pipeline -o csv
expect_out "$(expected p.id 'p.name AS pipeline' '' 'p.id')" \
    "--by pipeline: as plain SQL"
run crm-report pipeline --by owner --where 'owner = ann and amount >= 80' \
    -o csv
expect_out "$(expected d.owner 'd.owner AS owner' \
    "d.owner = 'ann' AND d.amount >= 8000" 'd.owner')" \
    "--where: as plain SQL with the same condition"
run crm-report pipeline --pipeline enterprise
expect_rc 0 "--pipeline"
expect_out '{"pipeline":"enterprise","stage":"pilot","currency":"EUR","count":1,"total":"5000.00","weighted_total":"1500.00","avg_age_days":82.1}
{"pipeline":"enterprise","stage":"contract","currency":"JPY","count":1,"total":"12000","weighted_total":"8400","avg_age_days":1.1}' \
    "jsonl: one pipeline's stages, JPY without decimals"

# --- formats -------------------------------------------------------------

run crm-report pipeline --pipeline enterprise -o json --fields stage,total
expect_out '[
{"stage":"pilot","total":"5000.00"},
{"stage":"contract","total":"12000"}
]' "json and --fields"
run crm-report pipeline --pipeline enterprise -o tsv --fields stage,count
expect_out "$(printf 'stage\tcount\npilot\t1\ncontract\t1')" "tsv"
run crm-report pipeline --pipeline enterprise -o table
expect_out 'pipeline    stage     currency  count  total    weighted_total  avg_age_days
enterprise  pilot     EUR           1  5000.00  1500.00                 82.1
enterprise  contract  JPY           1  12000    8400                     1.1' \
    "table"
run crm-report pipeline --where 'owner = nobody' -o csv
expect_rc 0 "an empty report"
expect_out 'pipeline,stage,currency,count,total,weighted_total,avg_age_days' \
    "csv: the header alone"
run crm-report pipeline --where 'owner = nobody' -o json
expect_out '[]' "json: an empty array"

# --- --currency ----------------------------------------------------------

run crm-report pipeline --currency EUR
expect_rc 1 "--currency without a rate"
expect_err 'crm-report: no rate from JPY to EUR (set one with crm-deal rate set JPY EUR RATE)' \
    "names the missing rate"
crm-deal rate set USD EUR 0.5 >/dev/null
crm-deal rate set EUR JPY 160 >/dev/null
run crm-report pipeline --currency eur --by owner -o csv
expect_rc 0 "--currency with rates, one inverted"
conv="(CASE d.currency WHEN 'USD' THEN d.amount / 2
    WHEN 'JPY' THEN d.amount * 100 / 160 ELSE d.amount END)"
w="sum($conv * COALESCE(d.probability, s.probability))"
is "$OUT" "$(sqlite3 -batch -csv -header "$CRM_DB" "SELECT d.owner AS owner,
    'EUR' AS currency, count(*) AS count,
    printf('%d.%02d', COALESCE(sum($conv), 0) / 100,
    COALESCE(sum($conv), 0) % 100) AS total,
    printf('%d.%02d', ($w / 100 + ($w % 100 > 50 OR ($w % 100 = 50 AND
    ($w / 100) % 2 = 1))) / 100, ($w / 100 + ($w % 100 > 50 OR
    ($w % 100 = 50 AND ($w / 100) % 2 = 1))) % 100) AS weighted_total,
    printf('%g', round(avg(julianday('$CRM_NOW') -
    julianday(d.created_at)), 1)) AS avg_age_days
    FROM deals d JOIN stages s ON s.id = d.stage_id
    WHERE s.kind = 'open' GROUP BY d.owner
    ORDER BY d.owner IS NULL, d.owner" | tr -d '\r')" \
    "converted totals: as plain SQL over the same rates"

# --- errors: one line, exit 2, nothing changed ----------------------------

run crm-report pipeline --by week
expect_rc 2 "an unknown --by"
expect_err 'crm-report pipeline: --by: unknown "week" (use one of: stage, owner, source, pipeline)
usage: crm-report pipeline [options]' "lists the --by words"
run crm-report pipeline --where "x'; DROP TABLE deals; --"
expect_rc 2 "a hostile --where"
expect_err 'crm-report: --where: column 1: unknown field "x"' "one line"
run crm-report pipeline --where 'owner = "x'\''; DROP TABLE deals; --"'
expect_rc 0 "a hostile value is a value"
expect_out '' "that matches nothing"
run crm-report pipeline --since 2026-01-01
expect_rc 2 "an option pipeline does not take"
expect_err 'crm-report pipeline: unknown option --since
usage: crm-report pipeline [options]' "says which"
run crm-report pipeline --pipeline nosuch
expect_rc 2 "an unknown pipeline"
expect_err 'crm-report: --pipeline: unknown pipeline "nosuch"' "named"
run crm-report pipeline --currency EUX
expect_rc 2 "an unknown currency"
like "$ERR" '^crm-report: --currency: unknown currency "EUX"' "named"
run crm-report pipeline stage
expect_rc 2 "an operand"
run crm-report pipeline -o xml
expect_rc 2 "an unknown format"
like "$ERR" '^crm-report: --format: ' "names the option"
run crm-report forecast --since yesterdayish
expect_rc 2 "a bad date"
expect_err 'crm-report forecast: --since: expected a date or time such as 2026-01-01 or -30d, got "yesterdayish"
usage: crm-report forecast [options]' "says what a date is"
run crm-report forecast --since 2026-02-01 --until 2026-01-01
expect_rc 2 "an empty range"
run crm-report campaigns --days 0
expect_rc 2 "--days must be positive"
run crm-report pipelin
expect_rc 2 "an unknown report"
expect_err 'crm-report: unknown command "pipelin" (did you mean "pipeline"?)
usage: crm-report [--db PATH] COMMAND [options] [args]' "with a suggestion"
run crm-report pipeline --chart -o csv
expect_rc 2 "--chart with -o"
run crm-report pipeline --chart -o svg
expect_rc 2 "--chart with -o svg"
run crm-report pipeline -o svg --fields stage
expect_rc 2 "-o svg with --fields"
expect_err 'crm-report pipeline: -o svg draws instead of --fields
usage: crm-report pipeline [options]' "says why"
is "$(sql 'SELECT count(*) FROM deals')" 10 "the deals are all there"
is "$(sql 'SELECT count(*) FROM events')" "$((events + 2))" \
    "no event but the two rates set"

# --- --chart --------------------------------------------------------------

run env NO_COLOR=1 CLICOLOR_FORCE=1 COLUMNS=60 crm-report pipeline \
    --by owner --chart
expect_rc 0 "--chart"
expect_out 'pipeline: total, each currency to its own scale
ann    EUR █████████                                 1100.00
ann    USD █████████████████████████████████████████   80.00
bob    EUR ██                                         250.55
carl   EUR █████████████████████████████████████████ 5000.00
carl   JPY █████████████████████████████████████████   12000
(none) EUR                                              0.00' \
    "bars of Unicode blocks, no colour under NO_COLOR, fitted to COLUMNS"
is "$(printf '%s\n' "$OUT" | sed 1d | awk '{ print $1, $2, $NF }')" \
    "$(crm-report pipeline --by owner -o csv | sed 1d | awk -F, '
    { printf "%s %s %s\n", $1 == "" ? "(none)" : $1, $2, $4 }')" \
    "the bars are the report's rows and totals"
run env NO_COLOR=1 COLUMNS=24 crm-report pipeline --chart
expect_out 'pipeline: total, each c…
lead EUR ▌        350.50
pro… EUR █▍      1000.00
pro… USD ███████   80.00
neg… EUR            0.05
pil… EUR ███████ 5000.00
con… JPY ███████   12000' "narrow COLUMNS: names cut, currencies kept"
run env CLICOLOR_FORCE=1 COLUMNS=60 crm-report pipeline --chart
is "$(printf '%s\n' "$OUT" | grep -c "$(printf '\033')\[36m")" 5 \
    "colour on the bars when asked for (not on an empty one)"
is "$(env CLICOLOR_FORCE=1 NO_COLOR=1 crm-report pipeline --chart |
    grep -c "$(printf '\033')")" 0 "NO_COLOR: no escape at all"
run crm-report pipeline --chart
is "$(printf '%s\n' "$OUT" | grep -c "$(printf '\033')")" 0 \
    "no colour when stdout is not a terminal"
run env NO_COLOR=1 COLUMNS=50 crm-report pipeline --by owner --chart \
    --currency EUR --where 'owner is set'
expect_out 'pipeline: total in EUR
ann  ████████▎                             1140.00
bob  █▉                                     250.55
carl █████████████████████████████████████ 5075.00' \
    "--currency: one scale, the currency in the title"
run crm-report pipeline --where 'owner = nobody' --chart
expect_rc 0 "an empty chart"
expect_out '' "draws nothing"
expect_err 'crm-report: pipeline: no rows to chart' "and says so"

# A report of periods draws a sparkline per currency.
crm-deal update 1 --expected-close 2026-12-10 >/dev/null
crm-deal update 3 --expected-close 2027-01-15 >/dev/null
crm-deal update 6 --expected-close 2027-03-01 >/dev/null
run env NO_COLOR=1 COLUMNS=80 crm-report forecast --chart
expect_rc 0 "--chart of periods"
like "$OUT" ' EUR  2026-12 [▁▂▃▄▅▆▇█]{3} 2027-03  min [0-9.]+  max [0-9.]+$' \
    "a sparkline: first and last period, the extremes"
run env NO_COLOR=1 COLUMNS=30 crm-report forecast --chart
is "$(printf '%s\n' "$OUT" | grep -c ' min ')" 0 \
    "narrow: the sparkline leaves the extremes out"

# --- SVG ------------------------------------------------------------------

crm-deal update 2 --owner '<b&"o">' >/dev/null
# svg_check FILE: parses as XML, is SVG 1.1 and holds no script and no
# external reference; prints how many bars (rect but the background) and
# lines, and the texts.
svg_check() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg" and root.get("version") == "1.1"
for e in root.iter():
    assert e.tag[len(ns):] not in ("script", "image", "use", "foreignObject")
    for k, v in e.attrib.items():
        assert "href" not in k and not k.startswith("on") and "url(" not in v
rects = root.findall(ns + "rect")[1:]
lines = root.findall(".//" + ns + "polyline")
texts = [t.text for t in root.iter(ns + "text")]
print(len(rects), len(lines), "|".join(texts))' "$1"
}
if need python3; then
	crm-report pipeline --by owner -o svg >owner.svg
	is "$(svg_check owner.svg)" \
	    "7 0 pipeline: total, each currency to its own scale|<b&\"o\"> EUR|250.50|ann EUR|1100.00|ann USD|80.00|bob EUR|0.05|carl EUR|5000.00|carl JPY|12000|(none) EUR|0.00" \
	    "-o svg: well-formed SVG 1.1, a bar per row, text escaped"
	crm-report pipeline --where 'owner = nobody' -o svg >empty.svg 2>err
	is "$(svg_check empty.svg)" "0 0 pipeline: total|no data" \
	    "-o svg of nothing: still a document, that says so"
	crm-report forecast -o svg >forecast.svg
	like "$(svg_check forecast.svg)" '^0 1 .*\|2026-12\|2027-01\|2027-03\|EUR$' \
	    "-o svg of periods: a line chart, periods along x"
else
	skip "python3 is not installed"
	skip "python3 is not installed"
	skip "python3 is not installed"
fi

# --- the front, help, completion ------------------------------------------

run crm report pipeline --pipeline enterprise --fields stage
expect_out '{"stage":"pilot"}
{"stage":"contract"}' "crm report runs crm-report"
run crm-report pipeline --help
like "$OUT" '--by WORD +group by stage \(default\), owner, source or pipeline' \
    "--help lists the --by words"
is "$(crm-report --completion-helper pipeline | tr '\n' ' ')" \
    "--where= --currency= --pipeline= --by= --chart --format= --fields= --db= --help " \
    "the options pipeline takes, and no other"
is "$(crm-report --completion-helper forecast |
    grep -c -e --since= -e --until= -e --as-of=)" 3 \
    "forecast takes --since, --until and --as-of"
is "$(crm-report --completion-helper values by | sort | uniq -d)" "" \
    "--by completes each word once"
is "$(crm-report --completion-helper values pipeline | tr '\n' ' ')" \
    "default enterprise " "--pipeline completes the pipelines"

plan "$T_N"
[ "$T_FAILED" -eq 0 ]
