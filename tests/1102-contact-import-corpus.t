#!/bin/sh
# crm-contact import against CSV written by others: csv-spectrum's edge
# cases value for value, csvlint's broken files with their row numbers,
# messytables' horrors without a crash, a hang or a half import, and
# Commons CSV's BOM and non-ASCII files byte for byte.
. "${CRM_TOP:-.}/tests/lib.sh"
C=$CRM_CORPORA/csv
if [ ! -d "$C" ]; then
	plan 1
	skip "no CSV corpora in $C"
	exit 0
fi
plan 38

fresh() { rm -f "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm"; }

# --- csv-spectrum: each file's values, through import, export (JSON Lines)
# and an import of the CSV export, equal the expected JSON.  The first
# column without line breaks is the name; the others custom fields c2...
spectrum() {
	f=$1
	# One file's expectation is an object, not an array of them; and a
	# checkout may have turned a CRLF file's line ends into LF: the
	# values then hold LF too.
	jq -c 'if type == "object" then [.] else . end' \
	    "$C/csv-spectrum/json/$(basename "$f" .csv).json" >"$T_DIR/w.json"
	if ! tr -d '\n' <"$f" | grep -q "$(printf '\r')"; then
		sed 's/\\r\\n/\\n/g' "$T_DIR/w.json" >"$T_DIR/w2.json"
		mv "$T_DIR/w2.json" "$T_DIR/w.json"
	fi
	want=$T_DIR/w.json
	# location_coordinates.json disagrees with its CSV about the phone
	# number (1234567890, the CSV has 2095257564): compared without it.
	drop='.'
	case $f in
	*location_coordinates.csv) drop='del(.[]["Contact Phone Number"])' ;;
	esac
	cols=$(jq -r '.[0] | keys_unsorted | join("\u0001")' "$want")
	namecol=$(jq -r '. as $rows | .[0] | keys_unsorted[] as $k
	    | select([$rows[][$k] | test("[\r\n]") | not] | all
	    and ([$rows[][$k] | length > 0] | all)) | $k' "$want" | head -n 1)
	map="" i=1
	old_ifs=$IFS
	IFS=$(printf '\001')
	for c in $cols; do
		if [ "$c" = "$namecol" ]; then
			map="$map,$c=name"
		else
			map="$map,$c=fields.c$i"
		fi
		i=$((i + 1))
	done
	IFS=$old_ifs
	fresh
	crm-contact import --map "${map#,}" "$f" 2>"$T_DIR/err" || return 1
	crm-contact export -o csv >"$T_DIR/spectrum.csv"
	fresh
	crm-contact import "$T_DIR/spectrum.csv" 2>>"$T_DIR/err" || return 1
	# Back to the original columns: name, or fields.cI ("" when absent).
	crm-contact export | jq -c --arg cols "$cols" --arg name "$namecol" '
	    . as $r | [$cols | split("\u0001") | to_entries[] |
	    { key: .value, value: (if .value == $name then $r.name
	      else ($r.fields["c\(.key + 1)"] // "") end) }] | from_entries' |
	    jq -s -S -c "$drop" >"$T_DIR/got.json"
	jq -S -c "$drop" "$want" >"$T_DIR/want.json"
	cmp -s "$T_DIR/got.json" "$T_DIR/want.json"
}
for f in "$C"/csv-spectrum/csvs/*.csv; do
	spectrum "$f"
	ok $? "csv-spectrum $(basename "$f"): every value, through two imports" ||
	    { diff "$T_DIR/want.json" "$T_DIR/got.json" | sed 's/^/# /'
	      sed 's/^/# /' "$T_DIR/err"; }
done

# --- csvlint: the row of each fault; nothing written.
lint() {
	fresh
	run crm-contact import --map 'col1=name' "$C/csvlint/inline/$1.csv"
}
lint ragged_rows
is "$RC:$(head -n 1 err)" \
    "1:crm-contact: line 3: 2 values, expected 3 as in the header" \
    "ragged rows: line 3"
lint unclosed_quote
is "$RC:$ERR" "1:crm-contact: line 2: unterminated quoted field" \
    "unclosed quote: line 2"
lint whitespace_before_quote
is "$RC:$(head -n 1 err)" \
    "1:crm-contact: line 2: blanks before a quote in column \"col3\"" \
    "blanks before a quote: line 2"
lint blank_row_all_empty_fields
is "$RC:$(head -n 1 err)" \
    "1:crm-contact: line 3: a contact needs a name or an email" \
    "a row of empty values: line 3"
[ ! -s "$CRM_DB" ] || [ "$(sql 'SELECT count(*) FROM contacts')" = 0 ]
ok $? "nothing written by any of them"
lint empty_row_in_middle
is "$RC:$ERR" "0:imported 2, updated 0, rejected 0" "an empty line is skipped"
lint multiple_trailing_empty_rows
is "$RC:$ERR" "0:imported 2, updated 0, rejected 0" "trailing empty lines too"
lint valid_utf8
is "$RC" 0 "valid UTF-8"
for f in lf-line-endings crlf-line-endings cr-line-endings \
    inconsistent-line-endings inconsistent-line-endings-unquoted; do
	fresh
	run crm-contact import --map 'Foo=name' "$C/csvlint/fixtures/$f.csv"
	is "$RC:$ERR:$(sql 'SELECT group_concat(name) FROM contacts')" \
	    "0:imported 2, updated 0, rejected 0:Biff,Qux" "$f"
done
fresh
run crm-contact import --map 'Data=name' \
    "$C/csvlint/fixtures/invalid-byte-sequence.csv"
is "$RC:$(head -n 1 err)" "1:crm-contact: line 1: invalid UTF-8 in column 3 (give --encoding for a file that is not UTF-8)" \
    "ISO-8859-1 read as UTF-8: refused, with the line"
run crm-contact import --encoding latin1 --map 'Data=name' \
    "$C/csvlint/fixtures/invalid-byte-sequence.csv"
is "$RC:$(sql "SELECT count(*) FROM contacts WHERE fields LIKE '%Histórico%' OR fields LIKE '%hist_rico%'")" \
    "0:23" "and imported with --encoding latin1"
fresh
run crm-contact import --map 'Foo=name' "$C/csvlint/fixtures/invalid_many_rows.csv"
is "$RC:$(head -n 1 err)" \
    "1:crm-contact: line 4: malformed quotes in column \"Baz\"" \
    "many rows, one broken: its line"
fresh
run crm-contact import "$C/csvlint/fixtures/title-row.csv"
is "$RC:$(head -n 1 err)" \
    "1:crm-contact: line 2: a contact needs a name or an email" \
    "a title row taken for the header leaves rows without a name"

# --- messytables: no crash, no hang, never half an import.
for f in "$C"/messytables-horror/*.csv "$C"/messytables-horror/*.?sv; do
	fresh
	timeout 20 crm-contact import "$f" >/dev/null 2>"$T_DIR/err"
	rc=$?
	n=0
	[ -s "$CRM_DB" ] && n=$(sql 'SELECT count(*) FROM contacts' 2>/dev/null)
	if [ "$rc" -gt 1 ] || { [ "$rc" = 1 ] && { [ "${n:-0}" != 0 ] ||
	    [ ! -s "$T_DIR/err" ]; }; }; then
		echo "# $(basename "$f"): exit $rc, $n contacts"
		bad=1
	fi
done
ok "${bad:-0}" "messytables: every file refused cleanly or imported whole"
fresh
run crm-contact import "$C/messytables-horror/utf-16le_encoded.csv"
is "$RC:$ERR" "1:crm-contact: $C/messytables-horror/utf-16le_encoded.csv: UTF-16 input: convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)" \
    "UTF-16 is named"
run crm-contact import --encoding latin1 --map 'GF=name' --on-error skip \
    "$C/messytables-horror/spanish_chars.csv"
is "$(sql "SELECT count(*) FROM contacts WHERE fields LIKE '%gestión%'")" 1 \
    "Latin-1 with CRLF, imported with --encoding latin1"
fresh
run crm-contact import --delimiter '|' --map 'Year=name' \
    "$C/messytables-horror/simple.psv"
is "$RC:$(sql "SELECT name, json_extract(fields, '$.new_dwellings') FROM contacts ORDER BY id LIMIT 1")" \
    "0:1986|44000" "pipes with --delimiter '|'"
fresh
run crm-contact import --delimiter ';' --map 'place=name' \
    "$C/messytables-horror/simple.ssv"
is "$RC:$(sql "SELECT count(*) FROM contacts")" "0:6" \
    "semicolons with --delimiter ';'"
fresh
run crm-contact import "$C/messytables-horror/small.csv"
is "$RC:$ERR" "0:imported 0, updated 0, rejected 0" \
    "a one-byte file is a header alone"

# --- Commons CSV: the BOM, and non-ASCII byte for byte.
fresh
run crm-contact import --show-mapping -o tsv --fields column \
    "$C/commons-csv/CSVFileParser/bom.csv"
is "$(sed -n 2p out)" "Date" "the BOM is not part of the first column"
for f in japanese emoji; do
	fresh
	run crm-contact import --map 'id=name' "$C/commons-csv/CSV-196/$f.csv"
	crm-contact export -o csv --fields name,fields.date,fields.val1,fields.val2,fields.val15 \
	    >"$T_DIR/a.csv"
	cut -d, -f 1-4,17 "$C/commons-csv/CSV-196/$f.csv" | tail -n +2 |
	    tr -d '\r' >"$T_DIR/b.csv"
	if [ "$f" = emoji ]; then
		crm-contact export -o csv --fields name,fields.val1,fields.val2,fields.val3,fields.val15 \
		    >"$T_DIR/a.csv"
		cut -d, -f 1-4,16 "$C/commons-csv/CSV-196/$f.csv" | tail -n +2 |
		    tr -d '\r' >"$T_DIR/b.csv"
	fi
	tail -n +2 "$T_DIR/a.csv" >"$T_DIR/a2.csv"
	cmp -s "$T_DIR/a2.csv" "$T_DIR/b.csv"
	ok $? "$f.csv: non-ASCII values byte for byte through import and export"
done
