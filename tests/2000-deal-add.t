#!/bin/sh
# crm-deal add: records, defaults, money, references, validation, events.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 41

T=2026-11-22T12:00:00Z
crm-contact add --kind company --name "Acme GmbH" >/dev/null
crm-contact add --name "Ada Lovelace" --email ada@example.org \
    --external-id A-1 >/dev/null

run crm-deal add --title "Website relaunch" --contact ada@example.org \
    --company "Acme GmbH" --amount 1234.5 --expected-close 2026-12-31 \
    --owner bob --source referral --external-id D-1 --tag q4,vip \
    --set fields.region=north
expect_rc 0 "add a deal"
expect_out '{"id":1,"title":"Website relaunch","contact":"Ada Lovelace","contact_id":2,"company":"Acme GmbH","company_id":1,"pipeline":"default","stage":"lead","status":"open","amount":"1234.50","currency":"EUR","probability":10,"expected_close":"2026-12-31","closed_at":null,"lost_reason":null,"owner":"bob","source":"referral","external_id":"D-1","tags":["q4","vip"],"fields":{"region":"north"},"created_at":"'$T'","updated_at":"'$T'"}' \
    "the record: first stage of the default pipeline, EUR, amount as text"
is "$(sql 'SELECT amount, currency, probability IS NULL FROM deals')" \
    "123450|EUR|1" "stored in minor units, no probability override"

run crm-deal add --title Support --amount 300 --currency usd \
    --stage qualified --probability 40 --contact ext:A-1 --fields id,stage,amount,currency,probability
expect_out '{"id":2,"stage":"qualified","amount":"300.00","currency":"USD","probability":40}' \
    "stage, currency in any case, a probability override, ext: reference"

run crm-deal add --title Licence --amount 100 --currency JPY --fields amount,currency
expect_out '{"amount":"100","currency":"JPY"}' "JPY has no decimals"
run crm-deal add --title Oil --amount 1.234 --currency BHD --fields amount
expect_out '{"amount":"1.234"}' "BHD has three"
run crm-deal add --title "Tiny" --amount 0.10 --fields amount
expect_out '{"amount":"0.10"}' "printed back exactly"

CRM_DEFAULT_CURRENCY=GBP run crm-deal add --title "In pounds" --amount 5 \
    --fields currency
expect_out '{"currency":"GBP"}' "CRM_DEFAULT_CURRENCY sets the default"
mkdir -p "$XDG_CONFIG_HOME/crm"
echo "default_currency = CHF" >"$XDG_CONFIG_HOME/crm/config"
run crm-deal add --title "In francs" --fields currency
expect_out '{"currency":"CHF"}' "so does the config key default_currency"
rm "$XDG_CONFIG_HOME/crm/config"
CRM_DEFAULT_CURRENCY=EUX run crm-deal add --title X
expect_rc 2 "a bad default currency"
expect_err 'crm-deal: default_currency: unknown currency "EUX" (did you mean "EUR"?)' \
    "names the setting"

n=$(sql 'SELECT count(*) FROM deals')
bad() {	# bad STATUS MESSAGE ARGS...: refused with one line, nothing written
	want_rc=$1 want_err=$2
	shift 2
	run crm-deal add "$@"
	expect_rc "$want_rc" "refused: $*"
	expect_err "crm-deal: $want_err" "the message for: $*"
}
bad 2 'invalid amount "1,234.50": use "." for the decimals and no thousands separators' \
    --title X --amount 1,234.50
bad 2 'invalid amount "-5": cannot be negative' --title X --amount -5
bad 2 'invalid amount "0.005": EUR has 2 decimals' --title X --amount 0.005
bad 2 'invalid amount "100.5": JPY has no decimals' --title X --amount 100.5 \
    --currency JPY
bad 2 'invalid amount "12abc": expected digits with an optional ".", such as 1234.50' \
    --title X --amount 12abc
bad 2 'unknown currency "EUX" (did you mean "EUR"?)' --title X --currency EUX
bad 2 'unknown stage "proposl" in pipeline "default" (did you mean "proposal"?)' \
    --title X --stage proposl
bad 2 'unknown pipeline "sale"' --title X --pipeline sale
bad 2 'invalid expected_close "31/12/2026": expected a date such as 2026-12-31 or +30d' \
    --title X --expected-close 31/12/2026
bad 2 'a deal needs a title' --amount 5
bad 1 'no contact "nobody@example.org"' --title X --contact nobody@example.org
bad 1 'no company "Initech"' --title X --company Initech
is "$(sql 'SELECT count(*) FROM deals')" "$n" "nothing was written"

run crm-deal add --title X --company ada@example.org
expect_rc 1 "a person is no company"
expect_err 'crm-deal: contact 2 is not a company' "says so"

run crm-deal add --title "Renewal" --expected-close +30d --fields expected_close
expect_out '{"expected_close":"2026-12-22"}' "relative dates, kept as a day"

run crm-deal add --title "Old win" --stage won --set closed_at=2026-10-01 \
    --set created_at=2026-09-01 --fields status,closed_at,created_at,probability
expect_out '{"status":"won","closed_at":"2026-10-01T00:00:00Z","created_at":"2026-09-01T00:00:00Z","probability":100}' \
    "add a deal that is already won, with its dates"

is "$(sql "SELECT json_extract(changes, '$.contact_id') FROM events
    WHERE entity = 'deal' AND entity_id = 1 AND action = 'add'")" 2 \
    "the add event carries contact_id for the contact's timeline"
