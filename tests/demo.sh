#!/bin/sh
# make demo: the toolkit at work on a sample data set (tests/demo-data.csv,
# thirty invented people and companies) in its own database, build/demo.db,
# made afresh on each run: your own database is never touched.
#
# Usage: CRM_BUILD=build sh tests/demo.sh

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CRM_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
data=$top/tests/demo-data.csv

if [ ! -x "$build/bin/crm-contact" ]; then
	echo "demo: $build/bin/crm-contact is missing: run make first" >&2
	exit 1
fi
PATH=$build/bin:$PATH
CRM_DB=$build/demo.db
CRM_CONFIG=$build/demo.config	# none: the user's configuration stays out
CRM_USER=demo
COLUMNS=100
export PATH CRM_DB CRM_CONFIG CRM_USER COLUMNS
unset CRM_FORMAT CRM_BUSY_TIMEOUT CRM_NOW
rm -f "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm"

# show COMMAND: print "$ COMMAND", run it, stop the demo when it fails.
show() {
	printf '\n$ %s\n' "$1"
	eval "$1" || {
		echo "demo: failed: $1" >&2
		exit 1
	}
}

say() {
	printf '\n# %s\n' "$*"
}

# quote WORD...: the words as a shell would need them typed.
quote() {
	for w in "$@"; do
		case $w in
		*[!A-Za-z0-9_.,@=:/+-]*) printf " '%s'" "$w" ;;
		*) printf ' %s' "$w" ;;
		esac
	done
}

say "A fresh database: $CRM_DB"
say "Load $(($(wc -l <"$data") - 1)) contacts from tests/demo-data.csv, one crm-contact add each:"
n=0
tail -n +2 "$data" | {
	while IFS=, read -r kind name email company title stage owner source \
	    ext tags industry city optin; do
		set -- --kind "$kind" --name "$name" --stage "$stage" \
		    --owner "$owner" --source "$source" --set "fields.city=$city"
		[ -n "$email" ] && set -- "$@" --email "$email"
		[ -n "$company" ] && set -- "$@" --company "$company"
		[ -n "$title" ] && set -- "$@" --title "$title"
		[ -n "$ext" ] && set -- "$@" --external-id "$ext"
		[ -n "$tags" ] && set -- "$@" --tag "$(echo "$tags" | tr ';' ,)"
		[ -n "$industry" ] && set -- "$@" --set "fields.industry=$industry"
		if [ "$optin" = yes ]; then
			set -- "$@" --opt-in
		fi
		n=$((n + 1))
		if [ "$n" -eq 1 ] || [ "$n" -eq 9 ]; then
			printf '$ crm-contact add%s >/dev/null\n' "$(quote "$@")"
		fi
		crm-contact add "$@" >/dev/null || exit 1
	done
	echo "  ... and so on for all $n."
} || {
	echo "demo: loading $data failed" >&2
	exit 1
}

say "Everyone, as a table fitted to COLUMNS=$COLUMNS; CJK, Cyrillic and accents line up:"
show "crm-contact list -o table"

say "A query: the customers among the people."
show "crm-contact list --where 'stage = customer and kind = person' -o table --fields id,name,email,company,title"

say "Companies by name, with custom fields:"
show "crm-contact list --where 'kind = company' --sort name -o table --fields id,name,stage,external_id,fields.industry,fields.city"

say "A CSV export for a spreadsheet (the head of it):"
show "crm-contact list -o csv --fields id,name,email,stage,tags | head -n 6"

if command -v jq >/dev/null 2>&1; then
	say "Pipes: JSON Lines into jq, sort and uniq: contacts per email domain."
	show "crm-contact list | jq -r '.email // empty' | sed 's/.*@//' | sort | uniq -c | sort -rn"
	say "Who may receive a newsletter, as name and email:"
	show "crm-contact list --where 'opt_in and tag = newsletter' | jq -r '[.name, .email] | @tsv'"
else
	say "(jq is not installed: skipping the jq examples)"
fi

say "Tagging through a pipe: every lead gets the tag nurture, in one transaction."
show "crm-contact list --where 'stage = lead and kind = person' | crm-contact tag --add nurture -"
show "crm-contact list --where 'tag = nurture' -o table --fields id,name,owner,tags"

say "An update, by email and by external id; it prints the changed records:"
show "crm-contact update --stage customer --set fields.plan=pro zoe.ashworth@example.org ext:ERP-1002 -o table --fields id,name,stage,fields.plan"

say "All or nothing: one bad reference and nothing changes (exit status 1)."
show "crm-contact tag --add oops 1 2 nobody@example.org; echo \"exit status \$?\""
show "crm-contact list --where 'tag = oops' -o jsonl | wc -l"

if command -v crm-db >/dev/null 2>&1; then
	say "Every change is an event: the tail of the feed."
	show "crm-db events --fields id,entity_id,action,actor,changes | tail -n 3"
	say "The database:"
	show "crm-db stats -o json"
fi

say "Done.  Try it yourself: CRM_DB=$CRM_DB $build/bin/crm contact list"
