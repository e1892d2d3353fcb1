#!/bin/sh
# crm-segment: dynamic and static segments, composition, set algebra,
# members in every format, and what bad input leaves behind.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 72

crm-contact add --name "Ada Lovelace" --email ada@example.org --tag vip \
    --stage customer --set fields.city=London >/dev/null
crm-contact add --name "Bob Baker" --email bob@example.org --stage lead \
    >/dev/null
crm-contact add --name "Cy Young" --email cy@example.org --tag vip \
    --stage lead --set fields.city=Paris >/dev/null
crm-contact add --name "Di Prince" --email di@example.org --tag vip \
    --stage customer >/dev/null
crm-contact log cy@example.org --type call --subject hello \
    --at 2026-11-20T10:00:00Z >/dev/null

ids() { printf '%s\n' "$OUT" | jq -r .id | tr '\n' ' '; }
rows() { sql "SELECT count(*) FROM $1"; }

# Dynamic
run crm-segment create vip --where 'tag = vip' --description "our best"
expect_rc 0 "create a dynamic segment"
expect_out '{"id":1,"name":"vip","kind":"dynamic","where":"tag = vip","description":"our best","members":3,"created_at":"2026-11-22T12:00:00Z","updated_at":"2026-11-22T12:00:00Z"}' \
    "prints it, with its live member count"
run crm-segment members vip
is "$(ids)" "1 3 4 " "members: the contacts its filter matches, by id"
crm-contact tag --add vip bob@example.org >/dev/null
run crm-segment count vip
expect_out 4 "evaluated when used: a new vip counts at once"
crm-contact tag --remove vip bob@example.org >/dev/null

# Static
run crm-segment create churned --static
expect_rc 0 "create a static segment"
run crm-segment add churned cy@example.org 2
expect_rc 0 "add members by email and id"
expect_out '' "silently"
printf '%s\n' '{"id":2,"name":"Bob Baker"}' 'ext:none' |
    crm-segment add churned - 2>err
is "$?:$(cat err)" '1:crm-segment: no contact "ext:none"
crm-segment: nothing changed: 1 of 2 contacts failed' \
    "a reference that matches nothing fails the whole batch"
is "$(sql 'SELECT group_concat(contact_id) FROM segment_members')" "2,3" \
    "the members stored, once each"
crm-deal add --title "Renewal" --contact di@example.org >/dev/null
crm-deal list | crm-segment add churned -
is "$(sql 'SELECT group_concat(contact_id) FROM (SELECT contact_id
    FROM segment_members ORDER BY 1)')" "2,3,4" \
    "records with a contact_id on stdin: their contact"
run crm-segment remove churned di@example.org
expect_rc 0 "remove a member"
run crm-segment remove churned di@example.org
expect_rc 0 "removing a non-member is no error"
run crm-segment add vip ada@example.org
expect_rc 2 "a dynamic segment has no member list"
expect_err 'crm-segment: segment "vip" is dynamic: its members are those its filter matches' \
    "says why"

# Composition
run crm-segment create keep --where 'segment = vip and not segment = churned'
expect_rc 0 "a segment of segments"
run crm-segment members keep
is "$(ids)" "1 4 " "vip and not churned"
run crm-contact list --where 'segment = keep or segment = "churned"'
is "$(ids)" "1 2 3 4 " "segments in any contact --where"
run crm-contact list --where 'segment in (churned, 1) and stage = lead'
is "$(ids)" "2 3 " "by name or id, in a list"
run crm-contact list --where 'segment != vip'
is "$(ids)" "2 " "segment != NAME"
run crm-contact export --where 'segment = keep' --fields email
expect_out '{"email":"ada@example.org"}
{"email":"di@example.org"}' "crm-contact export --where knows segments"
run crm-contact list --where 'segment = nope'
expect_rc 2 "an unknown segment in --where"
expect_err 'crm-contact: --where: column 11: no segment "nope"' \
    "names the column and the segment"
run crm-contact list --where 'segment > vip'
expect_err 'crm-contact: --where: column 9: expected "=", "!=" or "in" after "segment"' \
    "segments only compare by name"

# Cycles
run crm-segment update vip --where 'tag = vip or segment = keep'
expect_rc 2 "a cycle through another segment is refused"
expect_err 'crm-segment: --where: column 24: segment "keep": column 11: a segment would contain itself: vip -> keep -> vip' \
    "the chain is named"
run crm-segment create self --where 'segment = self'
expect_err 'crm-segment: --where: column 11: a segment would contain itself: self -> self' \
    "a segment naming itself at creation"
is "$(sql "SELECT filter FROM segments WHERE name = 'vip'") $(rows segments)" \
    "tag = vip 3" "nothing written"

# Set algebra
run crm-segment members vip churned --union
is "$(ids)" "1 2 3 4 " "--union"
run crm-segment members vip churned --intersect
is "$(ids)" "3 " "--intersect"
run crm-segment members vip churned --except
is "$(ids)" "1 4 " "--except"
run crm-segment count vip churned --intersect
expect_out 1 "count takes the same"
run crm-segment members vip churned
expect_rc 2 "two segments without an operator"
expect_err "crm-segment members: 2 segments: give --union, --intersect or --except
usage: crm-segment members [options] NAME..." \
    "says which to give"
run crm-segment members vip --union --except churned
expect_rc 2 "two operators"

# Members, every format
run crm-segment members vip --fields name,fields.city --sort -name -o csv
expect_out 'name,fields.city
Di Prince,
Cy Young,Paris
Ada Lovelace,London' "--fields, --sort, CSV"
run crm-segment members vip --limit 1 -o table --fields id,name
expect_out 'id  name
 1  Ada Lovelace' "--limit, a table"
run crm-segment members vip -o json --fields id
expect_out '[
{"id":1},
{"id":3},
{"id":4}
]' "a JSON array"
run crm-segment members vip --sort segment
expect_rc 2 "no sort by segment"
is "$(crm-segment members vip churned --union)" \
    "$(crm-contact list --where 'segment = vip or segment = churned')" \
    "JSON Lines written from the rows: the bytes of the records"

# list, show, try
run crm-segment list -o tsv --fields name,kind,members,where
expect_out 'name	kind	members	where
churned	static	2	
keep	dynamic	2	segment = vip and not segment = churned
vip	dynamic	3	tag = vip' "list: every segment with its count, by name"
run crm-segment show keep 1 --fields id,name
expect_out '{"id":3,"name":"keep"}
{"id":1,"name":"vip"}' "show by name or id, in the order given"
run crm-segment show nope
expect_rc 2 "show an unknown segment"
run crm-segment try --where 'last_activity > -7d' --fields name
expect_rc 0 "try a filter"
expect_out '{"name":"Cy Young"}' "prints a sample"
expect_err 'crm-segment: 1 contact matches' "and the count"
is "$(rows segments)" 3 "saves nothing"
run crm-segment try --where 'stage = lead or stage = customer' --limit 2 --fields id
expect_out '{"id":1}
{"id":2}' "--limit bounds the sample"
expect_err 'crm-segment: 4 contacts match' "not the count"
run crm-segment try --where 'stage ='
expect_rc 2 "try a filter that does not parse"

# update, rename, delete
run crm-segment update vip --where 'tag = vip and stage = customer' \
    --fields members
expect_out '{"members":2}' "update the filter"
run crm-segment update churned --where 'tag = x'
expect_rc 2 "a static segment has no filter"
run crm-segment rename churned gone
expect_rc 1 "rename a segment another names"
expect_err 'crm-segment: cannot rename segment "churned": the filter of "keep" names it' \
    "refused, naming the other"
run crm-segment delete vip
expect_rc 1 "delete a segment another names"
expect_err 'crm-segment: cannot delete segment "vip": the filter of "keep" names it' \
    "refused too"
run crm-segment delete keep
expect_rc 0 "delete the one that names them"
run crm-segment rename churned lapsed --fields name
expect_out '{"name":"lapsed"}' "then rename works"
run crm-segment rename lapsed vip
expect_rc 2 "rename onto a name in use"
expect_err 'crm-segment: a segment named "vip" exists' "says so"
run crm-segment delete lapsed vip
expect_rc 0 "delete two"
is "$(rows segments) $(rows segment_members) $(rows segment_uses)" "0 0 0" \
    "gone, members and all"
is "$(sql "SELECT group_concat(action) FROM (SELECT action FROM events
    WHERE entity = 'segment' ORDER BY id)")" \
    "add,add,add_member,add_member,add_member,remove_member,add,update,delete,rename,delete,delete" \
    "every change is an event"

# Bad input
run crm-segment create "Big Spenders" --static
expect_rc 2 "a name that is not a slug"
expect_err 'crm-segment: invalid segment name "Big Spenders" (use lowercase letters, digits, - and _, at most 64, not only digits)' \
    "says what a name may be"
run crm-segment create 42 --static
expect_rc 2 "a name of digits would read as an id"
run crm-segment create x
expect_rc 2 "neither --where nor --static"
run crm-segment create x --where '  '
expect_rc 2 "an empty filter"
run crm-segment create x --where "name = 'a' or email ~ \"'; DROP TABLE contacts; --\""
expect_rc 0 "a hostile string is a value"
run crm-segment count x
expect_out 0 "that matches nothing"
is "$(rows contacts)" 4 "and drops nothing"
chmod 0400 "$CRM_DB"
run crm-segment create y --static
expect_rc 1 "a read-only database"
chmod 0600 "$CRM_DB"
is "$(rows segments)" 1 "nothing written"
