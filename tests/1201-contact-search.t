#!/bin/sh
# crm-contact search: ranking, prefixes, diacritics, CJK, tags, custom
# fields, activities, hostile queries, formats, and an index that follows
# every change.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 48

crm-contact add --kind company --name "Acme GmbH" >/dev/null
crm-contact add --name "Ada Lovelace" --email ada@example.org \
    --company "Acme GmbH" --tag vip >/dev/null
crm-contact add --name "Björn Ångström" --email bjorn@example.se \
    --set fields.industry=retail >/dev/null
crm-contact add --name "山田太郎" --email taro@example.jp >/dev/null
crm-contact add --name "Линус Торвальдс" --email linus@example.net >/dev/null
crm-contact add --name "Élodie Durand" --email elodie@acme.example.com \
    >/dev/null
crm-contact add --name "Carl Anderson" --email carl@example.org >/dev/null
crm-contact add --name "Zoë Acmeson" --email zoe@example.com >/dev/null
crm-contact log 7 --type note --subject "Fair" \
    --body "The acme renewal was discussed" >/dev/null
crm-contact task 2 "Renewal due" --due +1w >/dev/null

# ids WORDS...: the ids search prints, blank-separated.
ids() {
	run crm-contact search "$@"
	OUT=$(printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' ')
}

ids acme
expect_rc 0 "search"
is "$OUT" "1 6 2 8 7 " \
    "ranked: name, email, company, the beginning of a name, activity"
ids acme renewal
is "$OUT" "2 7 " "every word must match; words as several arguments"
ids "acme renewal"
is "$OUT" "2 7 " "or as one"
ids lov
is "$OUT" "2 " "the last word is a prefix"
ids ada lov
is "$OUT" "2 " "after whole words"
ids lovelac ada
is "$OUT" "" "only the last word is a prefix"
ids ACME --limit 2
is "$OUT" "1 6 " "--limit; case does not matter"

ids bjorn
is "$OUT" "3 " "Bjorn finds Björn"
ids angstrom
is "$OUT" "3 " "Angstrom finds Ångström"
ids ELODIE
is "$OUT" "6 " "ELODIE finds Élodie"
ids zoe
is "$OUT" "8 " "zoe finds Zoë"
ids 山田太郎
is "$OUT" "4 " "a CJK name"
ids 山田
is "$OUT" "4 " "and its beginning, as a prefix"
ids линус
is "$OUT" "5 " "Cyrillic, case folded"

ids vip
is "$OUT" "2 " "a tag"
ids retail
is "$OUT" "3 " "a custom field's value"
ids example.se
is "$OUT" "3 " "an email's domain"
ids discussed
is "$OUT" "7 " "an activity's body"
ids "renewal due"
is "$OUT" "2 " "a task's subject"

for q in 'a" OR' 'NEAR(a b)' '"' '*' '-x' 'name:ada' 'AND' '((((' \
    "'; DROP TABLE contacts; --" 'ada^' '{name}:x' 'OR NOT'; do
	run crm-contact search -- "$q"
	[ "$RC" = 0 ] || break
done
expect_rc 0 "hostile queries are words, never syntax (last: $q)"
is "$(sql 'SELECT count(*) FROM contacts')" 8 "the table is intact"
ids 'ada" OR "x'
is "$OUT" "" "quotes cannot open a phrase"
ids '"ada"'
is "$OUT" "2 " "quotes around a word are part of it, as punctuation"

run crm-contact search ""
expect_rc 2 "an empty query"
expect_err 'crm-contact: nothing to search for' "is a usage error"
run crm-contact search
expect_rc 2 "no query"
run crm-contact search "$(printf 'ab\377')"
expect_rc 2 "a query that is not UTF-8"
expect_err 'crm-contact: invalid UTF-8 in the search words' "says so"
run crm-contact search x --limit 0
expect_rc 2 "a bad --limit"

run crm-contact search acme -o csv --fields id,name,company --limit 3
expect_out 'id,name,company
1,Acme GmbH,
6,Élodie Durand,
2,Ada Lovelace,Acme GmbH' "CSV"
run crm-contact search retail -o csv
expect_out 'id,kind,name,email,phone,company,company_id,title,stage,owner,source,external_id,tags,fields.industry,opt_in,unsubscribed_at,created_at,updated_at
3,person,Björn Ångström,bjorn@example.se,,,,,lead,,,,,retail,false,,2026-11-22T12:00:00Z,2026-11-22T12:00:00Z' \
    "CSV flattens custom fields as list does"
COLUMNS=80 run crm-contact search acme renewal -o table
expect_out 'id  kind    name           email             company    stage  tags
 2  person  Ada Lovelace   ada@example.org   Acme GmbH  lead   vip
 7  person  Carl Anderson  carl@example.org             lead' "a table"
run crm-contact search vip -o json --fields id,name
expect_out '[
{"id":2,"name":"Ada Lovelace"}
]' "JSON"
run sh -c 'crm-contact search vip | crm-contact tag --add found -'
expect_rc 0 "search | tag -"
is "$(sql "SELECT contact_id FROM contact_tags WHERE tag = 'found'")" 2 \
    "the contacts found are tagged"

# --- the index follows every change ----------------------------------------

crm-contact update 3 --name "Bjarne Berg" --set fields.industry=mining \
    >/dev/null
ids angstrom
is "$OUT" "" "an old name is forgotten"
ids bjarne
is "$OUT" "3 " "the new one found"
ids retail
is "$OUT" "" "an old custom field value is forgotten"
ids mining
is "$OUT" "3 " "the new one found"
crm-contact tag --remove vip 2
ids vip
is "$OUT" "" "a removed tag is forgotten"
crm-contact update 1 --name "Globex" >/dev/null
ids globex
is "$OUT" "1 2 " "a renamed company: found, and its people by it"
ids gmbh
is "$OUT" "" "its old name is forgotten"
crm-contact log 4 --type call --subject "Quarterly review" >/dev/null
ids quarterly
is "$OUT" "4 " "a new activity is found"
crm-contact delete 7
ids discussed
is "$OUT" "" "a deleted contact and its activities are gone"
crm-contact delete 1
ids globex
is "$OUT" "" "a deleted company: its people lose its name"
is "$(sql "SELECT count(*) FROM contact_search")" 6 "one document a contact"
run sql "INSERT INTO contact_search(contact_search) VALUES('integrity-check')"
expect_rc 0 "the index passes FTS5's integrity check"
