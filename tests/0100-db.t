#!/bin/sh
# crm-db init, path, stats and check: where the database lives, how it is
# created, what it holds.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 46

# --- init --------------------------------------------------------------

new=$T_DIR/new/sub/crm.db
run env CRM_DB="$new" crm-db init
expect_rc 0 "init a database whose directories do not exist"
expect_out "" "init prints nothing"
expect_err "" "nor complains"
is "$(stat -c %a "$new")" 600 "the file is 0600"
is "$(stat -c %a "$T_DIR/new/sub") $(stat -c %a "$T_DIR/new")" "700 700" \
    "the directories made are 0700"
is "$(sqlite3 "$new" 'PRAGMA journal_mode')" wal "in WAL mode"
version=$(sqlite3 "$new" 'PRAGMA user_version')
like "$version" '^[1-9][0-9]*$' "migrated: user_version $version"
is "$(sqlite3 "$new" "SELECT count(*) FROM sqlite_schema
    WHERE name IN ('events', 'contacts')")" 2 "the tables exist"

run env CRM_DB="$new" crm-db init
expect_rc 0 "init twice"
expect_out "" "still prints nothing"

# Whatever the umask, the modes are the same.
run sh -c 'umask 0; crm-db --db "$1" init' sh "$T_DIR/u/crm.db"
expect_rc 0 "init under umask 0"
is "$(stat -c %a "$T_DIR/u") $(stat -c %a "$T_DIR/u/crm.db")" "700 600" \
    "still 0700 and 0600"

run crm-db init extra
expect_rc 2 "init takes no operand"

# --- path --------------------------------------------------------------

run crm-db path
expect_rc 0 "path"
expect_out "$CRM_DB" "path prints CRM_DB"
ok "$([ ! -e "$CRM_DB" ]; echo $?)" "path does not create the database"

run crm-db --db "$T_DIR/flag.db" path
expect_out "$T_DIR/flag.db" "--db before the verb beats CRM_DB"
run crm-db path --db "$T_DIR/flag2.db"
expect_out "$T_DIR/flag2.db" "--db after the verb too"

mkdir -p "$XDG_CONFIG_HOME/crm"
echo "db = $T_DIR/config.db" >"$XDG_CONFIG_HOME/crm/config"
run crm-db path
expect_out "$CRM_DB" "CRM_DB beats the config file"
run env -u CRM_DB crm-db path
expect_out "$T_DIR/config.db" "the config file's db beats XDG_DATA_HOME"
rm "$XDG_CONFIG_HOME/crm/config"
run env -u CRM_DB crm-db path
expect_out "$XDG_DATA_HOME/crm/crm.db" "then XDG_DATA_HOME/crm/crm.db"
run env -u CRM_DB -u XDG_DATA_HOME crm-db path
expect_out "$HOME/.local/share/crm/crm.db" "then ~/.local/share/crm/crm.db"
run env CRM_DB= crm-db path
expect_out "$XDG_DATA_HOME/crm/crm.db" "an empty CRM_DB counts as unset"
run crm-db path --db ''
expect_rc 2 "an empty --db"
expect_err "crm-db: empty database path" "is a usage error"
ok "$([ ! -e "$XDG_DATA_HOME/crm" ]; echo $?)" \
    "none of this created a database"

# --- stats -------------------------------------------------------------

crm-contact add --name X --email x@example.org >/dev/null
crm-contact add --name Y --email y@example.org --tag vip >/dev/null
crm-contact update x@example.org --title Boss >/dev/null

run crm-db stats
expect_rc 0 "stats"
is "$(printf '%s\n' "$OUT" | jq -c '{path, schema_version, page_size,
    tables: (.tables | {contacts, contact_tags, events})}')" \
    "{\"path\":\"$CRM_DB\",\"schema_version\":$version,\"page_size\":8192,\"tables\":{\"contacts\":2,\"contact_tags\":1,\"events\":3}}" \
    "path, version, page size and the row counts"
wal=0
[ -f "$CRM_DB-wal" ] && wal=$(stat -c %s "$CRM_DB-wal")
is "$(printf '%s\n' "$OUT" | jq .size_bytes)" \
    "$(($(stat -c %s "$CRM_DB") + wal))" "size_bytes: the file and its -wal"
is "$(printf '%s\n' "$OUT" | jq -c '.tables | keys | map(select(
    startswith("sqlite_")))')" "[]" "SQLite's own tables are not listed"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 1 "one record, jsonl"

run crm-db stats -o csv --fields tables.contacts,tables.events
expect_out "tables.contacts,tables.events
2,3" "-o csv with --fields over the nested counts"
run crm-db stats -o json --fields schema_version
expect_out "[
{\"schema_version\":$version}
]" "-o json"
run crm-db stats -o table --fields tables.contacts,tables.events
expect_out "tables.contacts  tables.events
              2              3" "-o table"

# Full-text shadow tables are left out; odd names are quoted right.
crm-db --db fts.db init
sqlite3 fts.db "CREATE VIRTUAL TABLE notes USING fts5(body);
    INSERT INTO notes VALUES ('one'), ('two');
    CREATE TABLE \"we\"\"ird\" (x); INSERT INTO \"we\"\"ird\" VALUES (1);"
run crm-db --db fts.db stats
expect_rc 0 "stats with an FTS table and a table named we\"ird"
is "$(printf '%s\n' "$OUT" | jq -c '.tables | with_entries(select(.key |
    test("^(notes|we)")))')" '{"notes":2,"we\"ird":1}' \
    "the FTS table and the odd name are counted, no shadow table"

run crm-db stats extra
expect_rc 2 "stats takes no operand"

# --- check -------------------------------------------------------------

run crm-db check
expect_rc 0 "check a sound database"
expect_out "ok" "prints ok"
expect_err "" "and nothing else"

# A tag of a contact that does not exist (sqlite3 does not enforce keys).
sql "INSERT INTO contact_tags (contact_id, tag) VALUES (99, 'ghost')"
run crm-db check
expect_rc 1 "check with a broken foreign key"
expect_out 'foreign key: a row of "contact_tags" refers to a missing row of "contacts"' \
    "prints the problem on stdout"
expect_err "crm-db: $CRM_DB: 1 problem found" "and a summary on stderr"

# --- help --------------------------------------------------------------

run crm-db --help
like "$OUT" '^  events +print the log of changes$' "--help lists the verbs"
run crm-db bakup x
expect_rc 2 "a misspelt verb"
expect_err 'crm-db: unknown command "bakup" (did you mean "backup"?)
usage: crm-db [--db PATH] COMMAND [options] [args]' "suggests the right one"
