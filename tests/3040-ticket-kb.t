#!/bin/sh
# crm-ticket kb add, list, show, edit, delete, search, and suggest: slugs,
# tags, the full-text index in step with every change, ranking, an event
# for every change, and bad input refused with nothing written.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 65

events() {
	sql "SELECT count(*) FROM events WHERE entity = 'kb_article'"
}

# add
run crm-ticket kb add --title 'Reset your VPN password' --tag vpn,account \
    --body 'Open the portal and choose Forgot password. The VPN client asks again.'
expect_rc 0 "add with --body and tags"
expect_out '{"id":1,"slug":"reset-your-vpn-password","title":"Reset your VPN password","body":"Open the portal and choose Forgot password. The VPN client asks again.","tags":["vpn","account"],"author":"tester","created_at":"2026-11-22T12:00:00Z","updated_at":"2026-11-22T12:00:00Z"}' \
    "prints the article, its slug made from the title"
printf 'The printer blinks red when the toner is low.\nReplace the cartridge.\n\n' |
    crm-ticket kb add --title 'Printer blinks red' --tag printer --tag hardware \
    --fields id,slug,body,tags >"$T_DIR/o"
is "$(cat "$T_DIR/o")" '{"id":2,"slug":"printer-blinks-red","body":"The printer blinks red when the toner is low.\nReplace the cartridge.","tags":["printer","hardware"]}' \
    "the body from stdin, tags repeated"
run crm-ticket kb add --title 'Printer blinks red!' --body 'Older advice.' \
    --fields slug </dev/null
expect_out '{"slug":"printer-blinks-red-2"}' "a made slug that is taken gets -2"
run crm-ticket kb add --title '2026' --body 'Holiday hours.' --fields slug \
    </dev/null
expect_out '{"slug":"2026-article"}' "a slug is never all digits"
run crm-ticket kb add --title 'Überweisung fehlgeschlagen' --slug ueberweisung \
    --body 'Die Überweisung braucht zwei Tage.' --tag billing,vpn,billing \
    --fields slug,tags </dev/null
expect_out '{"slug":"ueberweisung","tags":["billing","vpn"]}' \
    "a slug given; a tag given twice is one"
is "$(events)" 5 "an add event each"
is "$(sql "SELECT entity_id, action, json_extract(changes, '\$.slug') FROM events WHERE entity = 'kb_article' AND entity_id = 1")" \
    "1|add|reset-your-vpn-password" "the add event holds the record"

n=$(events)
run crm-ticket kb add --title 'X' --slug ueberweisung --body x </dev/null
expect_rc 1 "a slug that is taken"
expect_err 'crm-ticket: --slug: "ueberweisung" is taken by article 5' "names its owner"
run crm-ticket kb add --title 'X' --slug 'Big Slug' --body x </dev/null
expect_rc 2 "an invalid slug"
expect_err 'crm-ticket: --slug: invalid slug "Big Slug" (use lowercase letters, digits and -, not only digits)' \
    "says what a slug is"
run crm-ticket kb add --title 'X' --slug 42 --body x </dev/null
expect_rc 2 "an all-digit slug"
run crm-ticket kb add --body x </dev/null
expect_rc 2 "no title"
expect_err 'crm-ticket kb: an article needs a title (--title)
usage: crm-ticket kb [options] add|list|show|edit|delete|search [ARG...]' \
    "a usage error"
run crm-ticket kb add --title X --body '  ' </dev/null
expect_rc 2 "a blank body"
expect_err 'crm-ticket: an article needs a body (--body or stdin)' "says so"
run crm-ticket kb add --title X --tag ' ,' --body x </dev/null
expect_rc 2 "an empty tag"
expect_err 'crm-ticket kb: no tag in " ,"
usage: crm-ticket kb [options] add|list|show|edit|delete|search [ARG...]' \
    "says so"
is "$(sql 'SELECT count(*) FROM kb_articles')|$(events)" "5|$n" \
    "nothing written, no event"

# Articles on other matters: ranking needs words that few articles have.
for t in 'Invoice copy' 'Change the billing address' 'Two-factor login' \
    'Export your contacts' 'Close an account' 'The mobile app crashes'; do
	crm-ticket kb add --title "$t" --body "How to: $t." </dev/null >/dev/null
done

# sub-commands and options
run crm-ticket kb ad
expect_rc 2 "an unknown sub-command"
expect_err 'crm-ticket kb: unknown sub-command "ad" (did you mean "add"?)
usage: crm-ticket kb [options] add|list|show|edit|delete|search [ARG...]' \
    "with a suggestion"
run crm-ticket kb list --title x
expect_rc 2 "an option of another sub-command"
expect_err 'crm-ticket kb: --title is not for kb list
usage: crm-ticket kb [options] add|list|show|edit|delete|search [ARG...]' \
    "says so"

# list and show
run crm-ticket kb list --where 'id <= 5' --fields id,slug,tags
expect_out '{"id":1,"slug":"reset-your-vpn-password","tags":["vpn","account"]}
{"id":2,"slug":"printer-blinks-red","tags":["printer","hardware"]}
{"id":3,"slug":"printer-blinks-red-2","tags":[]}
{"id":4,"slug":"2026-article","tags":[]}
{"id":5,"slug":"ueberweisung","tags":["billing","vpn"]}' "list, by id"
run crm-ticket kb list --where 'tag = vpn' --sort -id --fields id -o csv
expect_out 'id
5
1' "--where on a tag, --sort, csv"
run crm-ticket kb list --where 'tag = vpn' --limit 1 -o table
expect_out 'id  slug                     title                    tags         updated_at
 1  reset-your-vpn-password  Reset your VPN password  vpn;account  2026-11-22T12:00:00Z' \
    "a table leaves out the body; --limit"
run crm-ticket kb list --where 'tagz = vpn'
expect_rc 2 "a bad --where"
expect_err 'crm-ticket: --where: column 1: unknown field "tagz" (did you mean "tag"?)' \
    "names the field"
run crm-ticket kb show printer-blinks-red 1 --fields id,title
expect_out '{"id":2,"title":"Printer blinks red"}
{"id":1,"title":"Reset your VPN password"}' "show by slug and by id"
crm-ticket kb list --where 'tag = printer' | crm-ticket kb show - --fields slug \
    >"$T_DIR/o"
is "$(cat "$T_DIR/o")" '{"slug":"printer-blinks-red"}' "references on stdin"
run crm-ticket kb show nope
expect_rc 1 "show an unknown article"
expect_err 'crm-ticket: no article "nope"' "names it"

# search
run crm-ticket kb search printer --fields id
expect_out '{"id":3}
{"id":2}' "search ranks by bm25: the shorter article with the word in its title first"
run crm-ticket kb search cartridge --fields id
expect_out '{"id":2}' "bodies are searched"
run crm-ticket kb search vpn pass --fields id
expect_out '{"id":1}' "every word, the last as a prefix"
run crm-ticket kb search uberweisung --fields slug
expect_out '{"slug":"ueberweisung"}' "without diacritics"
run crm-ticket kb search '"' 'NEAR(' --fields id
expect_rc 0 "FTS5 syntax is only words"
run crm-ticket kb search --limit 1 printer --fields id
expect_out '{"id":3}' "search --limit"
run crm-ticket kb search
expect_rc 2 "nothing to search for"

# edit
run crm-ticket kb edit printer-blinks-red-2 --title 'Printer blinks orange' \
    --tag printer --fields id,slug,title,tags
expect_rc 0 "edit the title, add a tag"
expect_out '{"id":3,"slug":"printer-blinks-red-2","title":"Printer blinks orange","tags":["printer"]}' \
    "the slug stays"
echo 'Check the fuser.' | crm-ticket kb edit 3 --body - --untag printer >/dev/null
is "$(crm-ticket kb show 3 --fields body,tags)" \
    '{"body":"Check the fuser.","tags":[]}' "the body from stdin, --untag"
is "$(sql "SELECT changes FROM events WHERE entity = 'kb_article' AND action = 'update' ORDER BY id")" \
    '{"title":{"old":"Printer blinks red!","new":"Printer blinks orange"},"tags":{"old":[],"new":["printer"]}}
{"body":{"old":"Older advice.","new":"Check the fuser."},"tags":{"old":["printer"],"new":[]}}' \
    "an update event with what changed"
is "$(crm-ticket kb search fuser --fields id)|$(crm-ticket kb search older)" \
    '{"id":3}|' "the index follows the edit"
n=$(events)
run crm-ticket kb edit 3 --title 'Printer blinks orange'
expect_rc 0 "an edit that changes nothing"
is "$(events)" "$n" "records nothing"
run crm-ticket kb edit 3 --slug reset-your-vpn-password
expect_rc 1 "a slug that another article has"
run crm-ticket kb edit 3
expect_rc 2 "nothing to change"
run crm-ticket kb edit 99 --title x
expect_rc 1 "edit an unknown article"

# delete
run crm-ticket kb delete 3 4 nope
expect_rc 1 "delete with one unknown reference"
expect_err 'crm-ticket: no article "nope"
crm-ticket: nothing changed: 1 of 3 articles failed' "all or nothing"
is "$(sql 'SELECT count(*) FROM kb_articles')" 11 "none deleted"
run crm-ticket kb delete 3 2026-article
expect_rc 0 "delete two"
is "$(sql "SELECT group_concat(id) FROM kb_articles WHERE id <= 5")|$(sql "SELECT action || ':' || json_extract(changes, '\$.slug') FROM events WHERE entity = 'kb_article' AND action = 'delete'")" \
    '1,2,5|delete:printer-blinks-red-2
delete:2026-article' "gone, a delete event each with the record"
is "$(crm-ticket kb search fuser)|$(sql "INSERT INTO kb_fts(kb_fts) VALUES ('integrity-check')" 2>&1)" \
    '|' "the index forgets them and stays consistent"

# suggest
crm-contact add --name Ada --email ada@example.org >/dev/null
crm-ticket open --contact 1 --subject 'Printer problem' \
    --body 'Hi, my printer keeps blinking red. Thanks!' >/dev/null </dev/null
crm-ticket open --contact 1 --subject 'Hello' --body 'Thank you for all this.' \
    >/dev/null </dev/null
crm-ticket comment 1 --body 'Is the VPN on? We will check the toner.' >/dev/null
run crm-ticket suggest 1 --fields slug
expect_rc 0 "suggest"
expect_out '{"slug":"printer-blinks-red"}
{"slug":"reset-your-vpn-password"}
{"slug":"ueberweisung"}' \
    "articles that share the ticket's words, subject and comments, best first"
run crm-ticket suggest '#1' --limit 1 --fields slug
expect_out '{"slug":"printer-blinks-red"}' "--limit"
run crm-ticket suggest 2
expect_rc 0 "a ticket of common words only"
expect_out '' "gets nothing"
run crm-ticket suggest 7
expect_rc 1 "an unknown ticket"
expect_err 'crm-ticket: no ticket "7"' "names it"

# completion
is "$(crm-ticket --completion-helper values slug | head -n 3 | tr '\n' ' ')" \
    'change-the-billing-address close-an-account export-your-contacts ' \
    "slugs complete"
is "$(crm-ticket --completion-helper values tag | tr '\n' ' ')" \
    'account billing hardware printer vpn ' "tags complete"
