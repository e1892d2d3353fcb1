#!/bin/sh
# crm-campaign over a webhook: one JSON POST a recipient to a real HTTP
# server on 127.0.0.1 (tests/httpd.sh), with an Idempotency-Key; 503
# with Retry-After, then 200; 404; a reply that never comes; one
# connection for all; a body that is not JSON once rendered.
. "${CRM_TOP:-.}/tests/lib.sh"
. "$CRM_TOP/tests/httpd.sh"

if ! httpd_find; then
	plan 1
	skip "no python3 for the HTTP server"
	exit 0
fi
plan 25

crm-contact add --name "Ada Lovelace" --email ada@example.org --tag sms \
    --phone '+49 30 1234567' >/dev/null
crm-contact add --name "Bob" --tag sms --phone '+1 555 0100' >/dev/null
crm-contact add --name "Cy" --email cy@example.org --tag sms >/dev/null
crm-contact unsubscribe cy@example.org
crm-segment create sms --where 'tag = sms' >/dev/null
printf '{"to": "{{phone}}", "text": "Hi {{first_name}}, {{campaign.name}}"}\n' \
    >body.json
httpd_start ok || exit 1
url="http://127.0.0.1:$HTTPD_PORT/hook"

run crm-campaign create texts --channel webhook --segment sms \
    --url "$url" --body body.json --fields name,channel,url
expect_rc 0 "create a webhook campaign"
expect_out "{\"name\":\"texts\",\"channel\":\"webhook\",\"url\":\"$url\"}" \
    "prints it"
run crm-campaign create nobody --channel webhook --segment sms --url "$url"
expect_rc 2 "a webhook needs a body"
expect_err 'crm-campaign: campaign "nobody" needs --body' "says so"

run crm-campaign send texts --dry-run -o jsonl
is "$(printf '%s\n' "$OUT" | jq -c '[.contact_id, .message_id, (.body | fromjson)]')" \
    '[1,"campaign-1.contact-1",{"to":"+49 30 1234567","text":"Hi Ada, texts"}]
[2,"campaign-1.contact-2",{"to":"+1 555 0100","text":"Hi Bob, texts"}]' \
    "a dry run: the bodies, no email needed, the unsubscribed left out"

run crm-campaign send texts
expect_rc 0 "send"
expect_err 'crm-campaign: sent 2, failed 0, skipped 1, remaining 0' "summary"
is "$(cat "$HTTPD_DIR"/1.json)" '{"to": "+49 30 1234567", "text": "Hi Ada, texts"}' \
    "the body as rendered"
h=$(tr -d '\r' <"$HTTPD_DIR"/1.headers)
like "$h" 'Content-Type: application/json' "JSON"
like "$h" 'Idempotency-Key: campaign-1.contact-1' "with an Idempotency-Key"
is "$(httpd_connections)" 1 "one connection for both"
run crm-campaign sends texts -o tsv --fields contact_id,status,reply,message_id
expect_out 'contact_id	status	reply	message_id
1	sent	HTTP/1.1 200 OK	campaign-1.contact-1
2	sent	HTTP/1.1 200 OK	campaign-1.contact-2
3	skipped		' "the send log"
run crm-campaign send texts
expect_err 'crm-campaign: sent 0, failed 0, skipped 1, remaining 0' \
    "nothing twice"

# 503 then 200
crm-campaign clone texts again >/dev/null
httpd_start flaky || exit 1
crm-campaign edit again --url "http://127.0.0.1:$HTTPD_PORT/hook" >/dev/null
run crm-campaign send again
expect_rc 75 "503: later"
expect_err 'crm-campaign: sent 0, failed 0, skipped 1, remaining 2 (2 to try again later)' \
    "both deferred"
CRM_NOW=2026-11-22T12:10:00Z run crm-campaign send again
expect_rc 0 "then 200"
is "$(httpd_count)" 4 "each posted twice, the same key both times"
is "$(grep -h Idempotency-Key "$HTTPD_DIR"/*.headers | tr -d '\r' | sort | uniq -c | sed 's/^ *//')" \
    '2 Idempotency-Key: campaign-2.contact-1
2 Idempotency-Key: campaign-2.contact-2' "so the gateway can drop a repeat"

# 404
crm-campaign clone texts gone >/dev/null
httpd_start refuse || exit 1
crm-campaign edit gone --url "http://127.0.0.1:$HTTPD_PORT/hook" >/dev/null
run crm-campaign send gone
expect_rc 1 "404: failed"
run crm-campaign failed gone -o tsv --fields contact_id,reason
like "$OUT" "1	http://127.0.0.1:$HTTPD_PORT/hook: refused: 404 Not Found" \
    "with the reply"

# No reply: in doubt, never again unasked
crm-campaign clone texts doubt >/dev/null
httpd_start drop || exit 1
crm-campaign edit doubt --url "http://127.0.0.1:$HTTPD_PORT/hook" >/dev/null
run crm-campaign send doubt
expect_rc 75 "the connection dropped after the request"
is "$(sql "SELECT group_concat(status) FROM (SELECT status FROM
    campaign_sends WHERE campaign_id = 4 ORDER BY id)")" "unknown,queued,skipped" \
    "that one unknown, the rest queued"

# A body that is not JSON once rendered
printf '{"text": {{{name}}}}\n' >raw.json
crm-campaign create rawjson --channel webhook --segment sms \
    --url "$url" --body raw.json >/dev/null
httpd_start ok || exit 1
crm-campaign edit rawjson --url "http://127.0.0.1:$HTTPD_PORT/hook" >/dev/null
run crm-campaign send rawjson
expect_rc 1 "not JSON: failed, not posted"
is "$(httpd_count)" 0 "nothing posted"
run crm-campaign failed rawjson -o tsv --fields contact_id,reason
like "$OUT" '1	body: not JSON once rendered for contact 1' "says why"
