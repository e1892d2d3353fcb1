#!/bin/sh
# crm-contact tag and untag, from arguments and from a pipe.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 12

for n in 1 2 3 4; do
	crm-contact add --name "P$n" --email "p$n@example.org" >/dev/null
done

run crm-contact tag --add vip 1 p2@example.org
expect_rc 0 "tag by id and email"
is "$(sql "SELECT group_concat(contact_id) FROM contact_tags WHERE tag = 'vip'")" \
    "1,2" "both tagged"

run sh -c 'crm-contact list | crm-contact tag --add x -'
expect_rc 0 "list | tag --add x -"
is "$(sql "SELECT count(*) FROM contact_tags WHERE tag = 'x'")" 4 \
    "every contact listed is tagged"

run sh -c "crm-contact list --where 'tag = vip' | crm-contact untag --remove x -"
expect_rc 0 "untag from a filtered list"
is "$(sql "SELECT group_concat(contact_id) FROM contact_tags WHERE tag = 'x'")" \
    "3,4" "only the listed ones lost the tag"

run crm-contact tag --add "a b" 1
expect_rc 1 "a tag with a blank"
expect_err 'crm-contact: invalid tag "a b": no blanks, ";" or ","' "is refused"

run crm-contact tag 1
expect_rc 2 "tag without --add or --remove"

run crm-contact tag --add y 1 nobody@example.org
expect_rc 1 "an unknown reference"
is "$(sql "SELECT count(*) FROM contact_tags WHERE tag = 'y'")" 0 \
    "tags nobody"
is "$(sql "SELECT count(*) FROM events WHERE action = 'tag'")" 8 \
    "one event per contact whose tags changed"
