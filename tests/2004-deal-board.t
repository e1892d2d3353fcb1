#!/bin/sh
# crm-deal board and rate: counts, totals and weighted totals per stage,
# never mixing currencies unless converted, fitted to the terminal.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 14

crm-deal add --title "Website relaunch" --amount 1200 --stage proposal >/dev/null
crm-deal add --title Hosting --amount 80.50 --currency USD --stage proposal >/dev/null
crm-deal add --title "Ramen supply" --amount 100000 --currency JPY >/dev/null
crm-deal add --title Support --amount 99.99 --stage negotiation \
    --probability 90 >/dev/null
crm-deal add --title Licence --amount 300 --stage won >/dev/null
crm-deal add --title "No amount yet" >/dev/null

run crm-deal board
expect_rc 0 "board"
expect_out '{"pipeline":"default","stage":"lead","probability":10,"count":2,"totals":{"JPY":"100000"},"weighted":{"JPY":"10000"},"top":[{"id":3,"title":"Ramen supply","amount":"100000","currency":"JPY"}]}
{"pipeline":"default","stage":"qualified","probability":25,"count":0,"totals":{},"weighted":{},"top":[]}
{"pipeline":"default","stage":"proposal","probability":50,"count":2,"totals":{"EUR":"1200.00","USD":"80.50"},"weighted":{"EUR":"600.00","USD":"40.25"},"top":[{"id":1,"title":"Website relaunch","amount":"1200.00","currency":"EUR"},{"id":2,"title":"Hosting","amount":"80.50","currency":"USD"}]}
{"pipeline":"default","stage":"negotiation","probability":75,"count":1,"totals":{"EUR":"99.99"},"weighted":{"EUR":"89.99"},"top":[{"id":4,"title":"Support","amount":"99.99","currency":"EUR"}]}
{"pipeline":"default","stage":"won","probability":100,"count":1,"totals":{"EUR":"300.00"},"weighted":{"EUR":"300.00"},"top":[{"id":5,"title":"Licence","amount":"300.00","currency":"EUR"}]}
{"pipeline":"default","stage":"lost","probability":0,"count":0,"totals":{},"weighted":{},"top":[]}' \
    "one record per stage in a pipe: totals per currency, never mixed"

COLUMNS=120 run crm-deal board -o table --top 1
expect_out 'lead 10%            qualified 25%       proposal 50%        negotiation 75%     won 100%            lost 0%
──────────────────  ──────────────────  ──────────────────  ──────────────────  ──────────────────  ──────────────────
2 deals             0 deals             2 deals             1 deal              1 deal              0 deals
100000 JPY                              1200.00 EUR         99.99 EUR           300.00 EUR
~10000 JPY                              80.50 USD           ~89.99 EUR          ~300.00 EUR
                                        ~600.00 EUR
                                        ~40.25 USD
#3 100000 JPY                           #1 1200.00 EUR      #4 99.99 EUR        #5 300.00 EUR
  Ramen supply                            Website relaunch    Support             Licence

~ weighted by win probability' "columns on a wide terminal"

COLUMNS=60 run crm-deal board -o table --top 1
expect_out 'lead 10%            qualified 25%       proposal 50%
──────────────────  ──────────────────  ──────────────────
2 deals             0 deals             2 deals
100000 JPY                              1200.00 EUR
~10000 JPY                              80.50 USD
                                        ~600.00 EUR
                                        ~40.25 USD
#3 100000 JPY                           #1 1200.00 EUR
  Ramen supply                            Website relaunch

negotiation 75%     won 100%            lost 0%
──────────────────  ──────────────────  ──────────────────
1 deal              1 deal              0 deals
99.99 EUR           300.00 EUR
~89.99 EUR          ~300.00 EUR
#4 99.99 EUR        #5 300.00 EUR
  Support             Licence

~ weighted by win probability' "in bands on a narrow one; amounts are never cut"

run crm-deal board --currency USD
expect_rc 1 "converting without rates"
expect_err 'crm-deal: no rate from JPY to USD (set one with crm-deal rate set JPY USD RATE)' \
    "says which rate is missing"
run crm-deal rate set EUR USD 1.08
expect_rc 0 "rate set"
crm-deal rate set USD JPY 150
crm-deal rate set GBP EUR 1,15 2>/dev/null
is "$?" 2 "a rate with a decimal comma is refused"
run crm-deal rate list -o csv
expect_out 'from,to,rate,updated_at
EUR,USD,1.08,2026-11-22T12:00:00Z
USD,JPY,150,2026-11-22T12:00:00Z' "rate list"
run crm-deal board --currency usd --fields stage,totals,weighted
expect_out '{"stage":"lead","totals":{"USD":"666.67"},"weighted":{"USD":"66.67"}}
{"stage":"qualified","totals":{},"weighted":{}}
{"stage":"proposal","totals":{"USD":"1376.50"},"weighted":{"USD":"688.25"}}
{"stage":"negotiation","totals":{"USD":"107.99"},"weighted":{"USD":"97.19"}}
{"stage":"won","totals":{"USD":"324.00"},"weighted":{"USD":"324.00"}}
{"stage":"lost","totals":{},"weighted":{}}' \
    "--currency converts each currency's sum (JPY through the inverse of USD JPY), half to even"
run crm-deal board --currency EUX
expect_rc 2 "an unknown currency"
run crm-deal board --pipeline sales
expect_rc 2 "an unknown pipeline"
expect_err 'crm-deal: unknown pipeline "sales"' "names it"
run crm-deal rate delete EUR USD
run crm-deal rate list
expect_out '{"from":"USD","to":"JPY","rate":"150","updated_at":"2026-11-22T12:00:00Z"}' \
    "rate delete"
