#!/bin/sh
# Hostile filters, sort lists, field names and import mappings against
# every list: each is a value compared as a value, or a usage error that
# names the column; never SQL, never a row it should not match, and the
# database is the same afterwards.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 83

crm-contact add --name Ada --email ada@example.org --tag vip >/dev/null
crm-contact add --name Bob --email bob@example.org --set fields.city=Paris \
    >/dev/null
crm-deal add --title "Big one" --contact 1 --amount 10 >/dev/null
crm-ticket open --contact 1 --subject Help </dev/null >/dev/null
crm-ticket kb add --title "Reset" --body "Do it" >/dev/null
dump() { sqlite3 "$CRM_DB" .dump | cksum; }
before=$(dump)

# where LIST FILTER: the ids a list prints, or its status and error.
where() {
	run "$@" --fields id -o csv
	OUT=$(printf '%s\n' "$OUT" | sed 1d | tr '\n' ' ')
}

# Values that look like SQL are values.
for list in "crm-contact list" "crm-deal list" "crm-ticket list" \
    "crm-ticket kb list"; do
	# shellcheck disable=SC2086
	where $list --where 'id = "1; DROP TABLE contacts; --"'
	is "$RC $OUT" "2 " "$list: an id that is SQL is not a number"
done
where crm-contact list --where 'name = "x\"; DROP TABLE contacts; --"'
is "$RC $OUT" "0 " "a quoted value holding SQL matches nothing"
where crm-contact list --where 'tag = "vip'"'"' OR 1=1 --"'
is "$RC $OUT" "0 " "a tag holding SQL matches nothing"
where crm-contact list --where 'name ~ "%"'
is "$RC $OUT" "0 " "LIKE wildcards in ~ are literal"
where crm-contact list --where 'name ~ "_"'
is "$RC $OUT" "0 " "and _ too"
where crm-contact list --where 'fields.city = "Paris'"'"') OR (1=1"'
is "$RC $OUT" "0 " "a custom field value holding SQL matches nothing"

# Syntax that is not the filter language: a usage error with the column.
for w in "name = x' OR '1'='1" "name = 'x' or 1=1" "1 = 1" \
    'fields.x") = 1 or ("1 = 1' "name = Ada) or (1" \
    "created_at > \"2020-01-01' OR '1'='1\"" "name = Ada; DELETE FROM contacts" \
    'fields.a"b = 1'; do
	run crm-contact list --where "$w"
	like "$RC|$ERR" '^2\|crm-contact: --where: column [0-9]+: ' \
	    "refused with its column: $w"
done
for list in "crm-deal list" "crm-ticket list"; do
	# shellcheck disable=SC2086
	run $list --where "stage = x' OR '1'='1"
	like "$RC|$ERR" '^2\|crm-[a-z]+: --where: column [0-9]+: ' \
	    "$list: refused with its column"
done

# Sort lists name fields, nothing else.
for s in "name; DROP TABLE contacts" "name desc" "(select 1)" \
    'fields.a"b' "-name,-"; do
	run crm-contact list --sort "$s"
	like "$RC|$ERR" '^2\|crm-contact: --sort: ' "sort refused: $s"
done
run crm-ticket list --sort "priority; DROP TABLE tickets"
like "$RC|$ERR" '^2\|crm-ticket: --sort: ' "ticket sort refused"

# Field names in --set, --fields and an import mapping.
run crm-contact update 1 --set 'fields.x"); DROP TABLE contacts; --=1'
like "$RC|$ERR" '^2\|' "a custom field name holding SQL is refused"
run crm-contact list --fields 'id,name FROM contacts; --'
like "$RC|$ERR" '^2\|crm-contact: --fields: ' "--fields takes field names only"
printf 'Name,Email\nEve,eve@example.org\n' >in.csv
run crm-contact import --dry-run \
    --map 'Name=fields.a"b,Email=email' in.csv
like "$RC|$ERR" '^2\|crm-contact: --map: ' "a mapping to a bad field name"
printf 'Name,"x""); DROP TABLE contacts; --"\nEve,1\n' >hostile.csv
run crm-contact import --dry-run hostile.csv
is "$RC" 0 "a hostile column name is a custom field like any other"
like "$ERR" "^dry run: imported 1" "and the row goes through"

# Nothing of it reached the database.
is "$(dump)" "$before" "the database is as it was, byte for byte"
run crm-db check
expect_rc 0 "and passes its check"

# --- campaigns ---------------------------------------------------------

# Segments and campaigns: SQL in a filter is a value or a usage error,
# a hostile segment name is no segment; a template that does not compile
# is refused with its line and column however deep; CR or LF from a
# contact never reaches a header (that recipient fails, naming the
# header, the others are sent); a sender with CR or LF is refused;
# bounces of random bytes or of 100,000 recipients end with the summary;
# the SMTP password shows nowhere.
. "$CRM_TOP/tests/smtpd.sh"
printf 'Hello {{first_name}}\n' >body.txt
ncampaigns() { sql 'SELECT count(*) FROM campaigns'; }

run crm-segment create evil --where "name = 'x'; DROP TABLE contacts; --'"
like "$RC|$ERR" '^2\|crm-segment: --where: column [0-9]+: ' \
    "segment --where: SQL outside quotes is refused with its column"
run crm-segment create evil --where "x'; DROP TABLE contacts; --"
like "$RC|$ERR" '^2\|crm-segment: --where: column 1: ' "and as a field name"
for n in "x'; DROP TABLE contacts; --" 'x"; DROP' 'vip" OR "1"="1'; do
	run crm-segment create "$n" --where 'tag = vip'
	expect_err "crm-segment: invalid segment name \"$n\" (use lowercase letters, digits, - and _, at most 64, not only digits)" \
	    "a segment name that is SQL is no name: $n"
done
run crm-segment create evil --where 'name = "x'"'"'; DROP TABLE contacts; --"' \
    --fields members
expect_out '{"members":0}' "SQL in a quoted value is a value matching nobody"
crm-segment create vip --where 'tag = vip' >/dev/null
held=$(ncampaigns)
for n in "x'; DROP TABLE contacts; --" 'vip" OR "1"="1' 'vip") OR (1=1'; do
	run crm-campaign create c1 --segment "$n" --subject x \
	    --from a@example.org --text body.txt
	is "$RC|$ERR" "2|crm-campaign: no segment \"$n\"" \
	    "campaign --segment: no segment $n"
done
crm-campaign create onevil --segment evil --subject x --from a@example.org \
    --text body.txt >/dev/null
run crm-campaign send onevil --dry-run
is "$RC|$ERR" "0|crm-campaign: would send 0, skipped 0" \
    "a campaign to that segment reaches nobody"
run crm-campaign edit onevil --segment "vip' OR 1=1 --"
is "$RC|$ERR" "2|crm-campaign: no segment \"vip' OR 1=1 --\"" \
    "edit --segment: no segment either"
is "$(sql "SELECT count(*) FROM contacts") $(ncampaigns)" "2 $((held + 1))" \
    "the contacts are there, one campaign more"

# Templates that do not compile: usage errors, nothing written.
held=$(ncampaigns)
tpl() {
	run crm-campaign create tpl --segment vip --from a@example.org "$@"
}
tpl --subject 'Hi {{' --text body.txt
is "$RC|$ERR" '2|crm-campaign: subject: line 1, column 4: "{{" has no matching "}}"' \
    "{{ unbalanced in the subject"
tpl --subject 'Hi {{{name}}' --text body.txt
is "$RC|$ERR" '2|crm-campaign: subject: line 1, column 4: "{{{" has no matching "}}}"' \
    "{{{ unbalanced"
tpl --subject 'Hi {{/name}}' --text body.txt
is "$RC|$ERR" '2|crm-campaign: subject: line 1, column 4: "{{/name}}" closes no section' \
    "a close without an open"
printf 'a\nb {{#x}}\nc\n' >open.txt
tpl --subject Hi --text open.txt
is "$RC|$ERR" '2|crm-campaign: text: line 2, column 3: "{{#x}}" is never closed' \
    "a section never closed, with its line"
printf 'a\nb {{#x}}\nc {{/y}}\n' >cross.txt
tpl --subject Hi --text cross.txt
is "$RC|$ERR" '2|crm-campaign: text: line 3, column 3: "{{/y}}" does not close "{{#x}}"' \
    "a close that does not match"
awk 'BEGIN {
	for (i = 0; i < 10000; i++) printf "{{#name}}"
	printf "x"
	for (i = 0; i < 10000; i++) printf "{{/name}}"
	print ""
}' >deep.txt
tpl --subject Hi --text deep.txt
is "$RC|$ERR" '2|crm-campaign: text: line 1, column 289: sections nested deeper than 32' \
    "10,000 nested sections: refused at the 33rd"
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "{{#name}}"; print "" }' \
    >deeper.txt
tpl --subject Hi --html deeper.txt
is "$RC|$ERR" '2|crm-campaign: html: line 1, column 289: sections nested deeper than 32' \
    "10,000 sections opened, none closed"
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "{{"; print "" }' >open2.txt
tpl --subject Hi --text open2.txt
is "$RC|$ERR" '2|crm-campaign: text: line 1, column 1: "{{{" has no matching "}}}"' \
    "10,000 {{"
run crm-campaign create tpl --channel webhook --segment vip \
    --url http://127.0.0.1:9/hook --body deep.txt
is "$RC|$ERR" '2|crm-campaign: body: line 1, column 289: sections nested deeper than 32' \
    "and in a webhook body"
is "$(ncampaigns)" "$held" "none of them written"

# A sender or a reply address with CR or LF: refused at create and edit.
for from in "$(printf 'a@example.org\r\nBcc: spy@example.net')" \
    "$(printf 'Shop\nBcc: spy@example.net <a@example.org>')"; do
	tpl --subject Hi --text body.txt --from "$from"
	is "$RC|$ERR" '2|crm-campaign: from: address: CR or LF in a header value' \
	    "--from with CR or LF refused"
done
tpl --subject Hi --text body.txt \
    --set "from=$(printf 'a@example.org\r\nBcc: spy@example.net')"
is "$RC|$ERR" '2|crm-campaign: from: address: CR or LF in a header value' \
    "--set from= too"
tpl --subject Hi --text body.txt \
    --reply-to "$(printf 'r@example.org\r\nBcc: spy@example.net')"
is "$RC|$ERR" '2|crm-campaign: reply_to: address: CR or LF in a header value' \
    "and --reply-to"
tpl --text body.txt --from a@example.org \
    --subject "$(printf 'Hi\r\nBcc: spy@example.net')"
is "$RC|$ERR" '2|crm-campaign: subject: CR or LF in a header' \
    "a subject with CR or LF, refused at create"
run crm-campaign edit onevil \
    --from "$(printf 'a@example.org\r\nBcc: spy@example.net')"
is "$RC|$ERR" '2|crm-campaign: from: address: CR or LF in a header value' \
    "edit --from too"
is "$(ncampaigns) $(sql "SELECT from_addr FROM campaigns WHERE name =
    'onevil'")" "$held a@example.org" "nothing written"

# CR or LF from a contact into the Subject.  crm-contact refuses it in a
# name (a name so made by another writer is put in by SQL); a custom
# field takes any text.
run crm-contact add --name "$(printf 'Dan\r\nBcc: spy@example.net')" \
    --email dan@example.org
is "$RC|$(sql "SELECT count(*) FROM contacts WHERE email = 'dan@example.org'")" \
    "1|0" "crm-contact refuses CR or LF in a name"
crm-contact add --name Cat --email cat@example.org --tag mail \
    --set "fields.x=$(printf 'x\r\nBcc: spy@example.net')" >/dev/null
crm-contact add --name Dan --email dan@example.org --tag mail >/dev/null
crm-contact add --name Eli --email eli@example.org --tag mail >/dev/null
sql "UPDATE contacts SET name = 'Dan' || char(13, 10) ||
    'X-Evil: 1' WHERE email = 'dan@example.org'"
crm-segment create mail --where 'tag = mail' >/dev/null
crm-campaign create byname --segment mail --subject 'Hi {{name}}' \
    --from a@example.org --text body.txt >/dev/null
crm-campaign create byfield --segment mail --subject 'Hi {{fields.x}}' \
    --from a@example.org --text body.txt >/dev/null
# headers DIR: "recipient|subject|injected headers" a message, strictly
# parsed.
headers() {
	"$SMTPD_PY" - "$1" <<'PY' | sort
import email, email.policy, glob, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "*")):
    if f.endswith(("/port", "/log", ".tmp")) or not os.path.isfile(f):
        continue
    m = email.message_from_bytes(open(f, "rb").read(),
                                 policy=email.policy.strict)
    bad = [k for k in m.keys() if k.lower() in ("bcc", "x-evil")]
    print("%s|%r|%s" % (str(m["X-Rcpt-Args"]).split()[0].strip("<>"),
                        str(m["Subject"]), ",".join(bad)))
PY
}
if ! smtpd_find; then
	i=0
	while [ $i -lt 8 ]; do
		skip "no SMTP server: install python3-aiosmtpd or postfix"
		i=$((i + 1))
	done
else
	smtpd_start accept || exit 1
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT"
	run crm-campaign send byname
	expect_rc 1 "Subject 'Hi {{name}}' with a name holding CR LF"
	expect_err 'crm-campaign: sent 2, failed 1, skipped 0, remaining 0' \
	    "that one failed, the others sent"
	run crm-campaign send byfield
	expect_rc 1 "Subject 'Hi {{fields.x}}' with a field holding CR LF"
	expect_err 'crm-campaign: sent 1, failed 2, skipped 0, remaining 0' \
	    "those failed, the other sent"
	run crm-campaign sends byname -o tsv --fields email,status,reason
	expect_out 'email	status	reason
cat@example.org	sent	
dan@example.org	failed	to: CR or LF in a header value
eli@example.org	sent	' "byname: the reason names the header"
	run crm-campaign sends byfield -o tsv --fields email,status,reason
	expect_out 'email	status	reason
cat@example.org	failed	subject: CR or LF in a header value
dan@example.org	failed	to: CR or LF in a header value
eli@example.org	sent	' "byfield: the reason names the header"
	is "$(headers "$SMTPD_DIR")" "cat@example.org|'Hi Cat'|
eli@example.org|'Hi Eli'|
eli@example.org|'Hi'|" "what arrived: no injected header"
	run crm-campaign preview byfield --to cat@example.org
	is "$RC|$ERR" "1|crm-campaign: subject: CR or LF in a header value" \
	    "preview refuses it too, in one line"
	smtpd_stop
fi

# The SMTP password: in no error, no send log, no event.
pw='pw-S3cr3t'
b64=$(printf '\000agent\000%s' "$pw" | base64)
# shown: how many of stdout, stderr, the send log and the events hold
# the password (or its base64) or WHAT.
shown() {
	{
		cat "$T_DIR/out" "$T_DIR/err"
		sql "SELECT reason, reply FROM campaign_sends"
		sql "SELECT changes FROM events"
	} | grep -c -e "$pw" -e "$b64" -e "${1:-$pw}"
}
crm-campaign create secret --segment vip --subject x --from a@example.org \
    --text body.txt >/dev/null
crm-campaign clone secret wrong >/dev/null
if [ "$SMTPD_KIND" != aiosmtpd ]; then
	i=0
	while [ $i -lt 8 ]; do
		skip "AUTH needs python3-aiosmtpd"
		i=$((i + 1))
	done
else
	smtpd_start accept agent "$pw" || exit 1
	export CRM_SMTP_URL="smtp://127.0.0.1:$SMTPD_PORT" CRM_SMTP_USER=agent \
	    CRM_SMTP_TLS=try
	run env CRM_SMTP_PASSWORD="$pw" crm-campaign send secret
	expect_rc 0 "a send with AUTH"
	is "$(grep -c '^auth PLAIN ok$' "$SMTPD_DIR/log")" 1 \
	    "one login for the run"
	is "$(shown)" 0 "the password shows nowhere"
	run env CRM_SMTP_PASSWORD=wrong-pw crm-campaign send wrong
	expect_rc 1 "a wrong password"
	is "$(shown wrong-pw)" 0 "neither password shows anywhere"
	is "$(grep -c '^auth PLAIN bad$' "$SMTPD_DIR/log") $(sql "SELECT
	    group_concat(DISTINCT status || ' ' || attempts) FROM campaign_sends
	    WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'wrong')")" \
	    "1 queued 0" "a refused login stops the run: one try, nobody marked"
	run env CRM_SMTP_PASSWORD=wrong-pw crm-campaign test secret \
	    --to ada@example.org
	is "$RC|$ERR" "1|crm-campaign: smtp://127.0.0.1:$SMTPD_PORT: login refused: 535 5.7.8 Authentication credentials invalid" \
	    "test: login refused, the server's reply, no password"
	smtpd_stop
	unset CRM_SMTP_USER CRM_SMTP_TLS
	crm-campaign clone secret inurl >/dev/null
	run env CRM_SMTP_URL="smtp://agent:$pw@127.0.0.1:$SMTPD_PORT" \
	    crm-campaign send inurl
	is "$RC|$(shown)" "75|0" \
	    "a password in the URL of a server gone: exit 75, not shown"
fi

# Bounces: random bytes (seeded, the same each run) on stdin and as an
# mbox, and one report of 100,000 recipients.
random() {
	"$SMTPD_PY" -c 'import random, sys
n = int(sys.argv[1])
r = random.Random(int(sys.argv[2]))
sys.stdout.buffer.write(r.getrandbits(8 * n).to_bytes(n, "little"))' "$@"
}
if ! need "$SMTPD_PY"; then
	skip "no python3 for the random bytes"
	skip "no python3 for the random bytes"
else
	random 1048576 9300 >random.bin
	run crm-campaign bounces <random.bin
	is "$RC|$OUT|$ERR" '0||crm-campaign: 1 message, 0 bounce reports, 0 hard bounces marked' \
	    "1 MB of random bytes on stdin: no report, exit 0"
	{
		echo 'From MAILER-DAEMON Sun Nov 22 12:00:00 2026'
		cat random.bin
		printf '\n\nFrom MAILER-DAEMON Sun Nov 22 12:00:00 2026\n'
		random 1048576 9301
		echo
	} >random.mbox
	run crm-campaign bounces --mbox random.mbox
	is "$RC|$OUT|$ERR" '0||crm-campaign: 2 messages, 0 bounce reports, 0 hard bounces marked' \
	    "an mbox of two: the same"
fi
awk 'BEGIN {
	print "From: MAILER-DAEMON@mx.example.org"
	print "To: news@example.org"
	print "Subject: Undelivered Mail Returned to Sender"
	print "MIME-Version: 1.0"
	print "Content-Type: multipart/report; report-type=delivery-status;"
	print " boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nNo.\n\n--B"
	print "Content-Type: message/delivery-status\n"
	print "Reporting-MTA: dns; mx.example.org"
	print "\nFinal-Recipient: rfc822; cat@example.org"
	print "Action: failed\nStatus: 5.1.1"
	for (i = 1; i < 100000; i++)
		printf "\nFinal-Recipient: rfc822; r%d@example.net\nAction: failed\nStatus: 5.1.1\n", i
	print "\n--B--"
}' >many.eml
run crm-campaign bounces <many.eml
is "$RC|$ERR" '1|crm-campaign: message 1: the report was cut short (over 1000 recipients, or broken off): the rest was not read
crm-campaign: 1 message, 1 bounce report, 1 hard bounce marked' \
    "a report of 100,000 recipients: read up to 1000, and said so"
is "$(sql "SELECT email FROM contacts WHERE bounced_at IS NOT NULL")" \
    cat@example.org "the one known address marked"
run crm-db check
expect_rc 0 "the database passes its check at the end"
