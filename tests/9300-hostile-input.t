#!/bin/sh
# Hostile filters, sort lists, field names and import mappings against
# every list: each is a value compared as a value, or a usage error that
# names the column; never SQL, never a row it should not match, and the
# database is the same afterwards.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 32

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
