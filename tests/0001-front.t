#!/bin/sh
# crm, the front: lists the commands, runs crm-COMMAND, reports its version.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 24

version=$(sed -n 's/^VERSION *= *//p' "$CRM_TOP/Makefile")

run crm
expect_rc 2 "crm alone is a usage error"
like "$ERR" '^  contact +people and companies' "it lists the commands on stderr"
expect_out "" "and nothing on stdout"

run crm help
expect_rc 0 "crm help"
like "$OUT" '^  contact +people and companies, tags, custom fields$' \
    "lists contact with its summary on stdout"
like "$OUT" '^  db +the database: init, backup, restore, events$' \
    "lists db with its summary"
expect_err "" "nothing on stderr"

run crm --version
expect_rc 0 "crm --version"
expect_out "crm $version" "prints the version"

run crm-contact --version
expect_rc 0 "crm-contact --version"
expect_out "crm-contact (crm) $version" "a command names the toolkit too"

run crm contact add --name X
expect_rc 0 "crm contact add runs crm-contact add"
like "$OUT" '^\{"id":1,"kind":"person","name":"X",' "and prints its record"
is "$(sql 'SELECT id, name FROM contacts')" "1|X" "the record is stored"

run crm contact show 99
expect_rc 1 "the command's exit status comes through"
expect_err 'crm-contact: no contact "99"' "and its messages, under its name"

run crm nosuch
expect_rc 2 "an unknown command"
expect_err "crm: unknown command \"nosuch\" (run 'crm help' for the list)" \
    "says so and how to list them"

run crm --bogus
expect_rc 2 "an unknown option"

run crm help contact
expect_rc 0 "crm help contact"
like "$OUT" '^usage: crm-contact ' "prints crm-contact's help"

# Found beside crm, whatever PATH says.
run env PATH=/usr/bin:/bin "$CRM_BUILD/bin/crm" help
like "$OUT" '^  contact ' "crm lists the commands beside it when PATH lacks them"
run env PATH=/usr/bin:/bin "$CRM_BUILD/bin/crm" contact list --fields name
expect_rc 0 "and runs them"
expect_out '{"name":"X"}' "with their output"
