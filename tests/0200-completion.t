#!/bin/sh
# Completions (bash driven for real; zsh and fish parsed and spot-checked),
# and one source of truth: every verb and option a command knows is in its
# --help, its completion helper and its man page; the pages lint clean.
. "${CRM_TOP:-.}/tests/lib.sh"

BASHCOMP=$CRM_TOP/completions/crm.bash
BS=$(printf '\b')

# comp WORD...: the bash completions for the words, the last one being
# completed, one a line.
comp() {
	bash -c '. "$1" || exit 1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_crm; [ "${#COMPREPLY[@]}" -eq 0 ] ||
		printf "%s\n" "${COMPREPLY[@]}"' bash "$BASHCOMP" "$@"
}

lines() {
	printf '%s\n' "$@"
}

# render PAGE: the page as plain text, blanks collapsed.
render() {
	mandoc -Tascii "$1" 2>/dev/null | sed "s/.$BS//g" | tr -s ' \t' '  '
}

# synopsis PAGE: its SYNOPSIS section, one line a form.
synopsis() {
	render "$1" | sed -n '/^SYNOPSIS/,/^[A-Z]/s/^ //p'
}

# --- the databases the shells complete from -------------------------------

crm-contact add --name Ada --stage customer --tag vip >/dev/null
crm-contact add --name Bob --stage prospect >/dev/null
crm-contact add --name Cy >/dev/null
crm-contact --db other.db add --name Di --stage churned >/dev/null
crm-segment create vip --where 'tag = vip' >/dev/null
crm-segment create lapsed --static >/dev/null
crm-segment --db other.db create gone --static >/dev/null
: >mydb.sqlite
segs=$(lines lapsed vip)

# --- bash ----------------------------------------------------------------

if need bash; then
	verbs=$(crm-contact --completion-helper)

	is "$(comp crm-contact '')" "$verbs" "crm-contact <TAB>: the verbs"
	is "$(printf '%s\n' "$verbs" | grep -cxE 'add|show|list|update|delete|tag|untag')" \
	    7 "crm-contact's verbs include the everyday ones"
	is "$(comp crm-contact li)" list "crm-contact li<TAB>: list"
	is "$(comp crm-contact add --em)" --email= \
	    "crm-contact add --em<TAB>: --email="
	is "$(comp crm-contact add --opt)" --opt-in \
	    "a flag completes without ="
	is "$(comp crm-contact list -o '')" \
	    "$(lines jsonl json csv tsv table)" "-o <TAB>: the formats"
	is "$(comp crm-contact list --format '')" \
	    "$(lines jsonl json csv tsv table)" "--format <TAB>: the formats"
	is "$(comp crm-contact list --format=c)" --format=csv \
	    "--format=c<TAB>: --format=csv"
	is "$(comp crm-contact list --format = j)" "$(lines jsonl json)" \
	    "--format=j<TAB> split at = by COMP_WORDBREAKS: the values"
	is "$(comp crm-contact update 1 --stage '')" \
	    "$(lines customer lead prospect)" \
	    "--stage <TAB>: the stages in the database"
	is "$(comp crm-contact update 1 --stage p)" prospect \
	    "--stage p<TAB>: prospect"
	is "$(comp crm-contact --db other.db update 1 --stage '')" churned \
	    "--db names the database the stages come from"
	is "$(comp crm-contact tag 1 --add '')" vip "--add <TAB>: the tags"
	is "$(comp crm-contact list --db myd)" mydb.sqlite \
	    "--db <TAB>: files"
	is "$(comp crm-contact add --name '')" "" \
	    "--name <TAB>: nothing to guess"
	is "$(comp crm contact '')" "$verbs" "crm contact <TAB>: the verbs"
	is "$(comp crm contact add --em)" --email= \
	    "crm contact add --em<TAB>: --email="
	is "$(comp "$CRM_BUILD/bin/crm" contact up)" update \
	    "a crm typed with its directory completes its own commands"
	cmds=$(crm --completion-helper)
	is "$(comp crm '')" "$cmds" "crm <TAB>: the commands"
	like "$cmds" '^contact$' "crm's commands include contact"
	is "$(comp crm help '')" "$cmds" "crm help <TAB>: the commands"
	is "$(comp crm-contact help '')" "$verbs" \
	    "crm-contact help <TAB>: the verbs"
	is "$(comp crm-segment members '')" "$segs" \
	    "crm-segment members <TAB>: the segments in the database"
	is "$(comp crm-segment members vip '')" "$segs" \
	    "crm-segment members vip <TAB>: the segments again"
	is "$(comp crm-segment members l)" lapsed \
	    "crm-segment members l<TAB>: lapsed"
	is "$(comp crm-segment members -o json --limit 5 vip '')" "$segs" \
	    "options and their arguments are not operands"
	is "$(comp crm-segment add vip '')" \
	    "$(crm-segment --completion-helper add)" \
	    "crm-segment add vip <TAB>: the options, not the segments"
	is "$(comp crm-segment --db=other.db members '')" gone \
	    "crm-segment --db=OTHER members <TAB>: OTHER's segments"
	is "$(comp crm-segment members --db other.db '')" gone \
	    "--db after the verb names the database too"
	is "$(comp crm segment count '')" "$segs" \
	    "crm segment count <TAB>: the segments"
	is "$(comp crm-contact update '')" \
	    "$(crm-contact --completion-helper update)" \
	    "crm-contact update <TAB>: the options, as before"
	is "$(comp crm-db backup myd)" mydb.sqlite \
	    "crm-db backup myd<TAB>: a file, as before"
else
	i=0
	while [ $i -lt 32 ]; do
		skip "bash is not installed"
		i=$((i + 1))
	done
fi

# --- zsh and fish ----------------------------------------------------------

if need zsh; then
	zsh -n "$CRM_TOP/completions/_crm"
	ok $? "zsh parses completions/_crm"
	# Drive _crm with the completion builtins replaced by printers.
	got=$(zsh -f -c '
		compadd() { print -r -- "compadd $*" }
		_describe() { print -r -- "${(P)4}" }
		_files() { print -r -- _files }
		compset() { : }
		source "$1" >/dev/null 2>&1
		t() { words=("$@"); CURRENT=$#; PREFIX=$words[-1]; _crm }
		t crm-contact ""
		t crm-contact add --em
		t crm-contact update 1 --stage ""
		t crm contact list -o ""' zsh "$CRM_TOP/completions/_crm")
	described=$(crm-contact --help | sed -n '/^commands:/,/^$/s/^  \([a-z-]*\)  *\(.*\)/\1:\2/p' |
	    tr '\n' ' ' | sed 's/ $//')
	is "$got" "$(lines \
	    "$described" \
	    'compadd -S  -- --kind= --name= --email= --phone= --company= --title= --stage= --owner= --source= --external-id= --set= --tag= --format= --fields= --db=' \
	    'compadd -- --opt-in --no-opt-in --help' \
	    'compadd -- customer lead prospect' \
	    'compadd -- jsonl json csv tsv table')" \
	    "zsh: verbs with summaries, options, stages, formats"
	got=$(zsh -f -c '
		compadd() { print -r -- "compadd $*" }
		_files() { print -r -- _files }
		source "$1" >/dev/null 2>&1
		t() { words=("$@"); CURRENT=$#; PREFIX=$words[-1]; _crm }
		t crm-segment members ""
		t crm-segment members vip ""
		t crm-segment members -o json --limit 5 vip ""
		t crm-segment add vip ""
		t crm-segment --db=other.db members ""
		t crm segment count ""
		t crm-db backup myd' zsh "$CRM_TOP/completions/_crm")
	is "$got" "$(lines \
	    'compadd -- lapsed vip' \
	    'compadd -- lapsed vip' \
	    'compadd -- lapsed vip' \
	    'compadd -S  -- --db=' \
	    'compadd -- --help' \
	    'compadd -- gone' \
	    'compadd -- lapsed vip' \
	    _files)" \
	    "zsh: segments as operands, from --db's database, else as before"
else
	skip "zsh is not installed"
	skip "zsh is not installed"
	skip "zsh is not installed"
fi

if need fish; then
	fish -n "$CRM_TOP/completions/crm.fish"
	ok $? "fish parses completions/crm.fish"
	# shellcheck disable=SC2016 # fish expands $argv, not sh
	got=$(fish -c 'source $argv[1]
		complete -C "crm-contact li"
		complete -C "crm-contact add --em"
		complete -C "crm-contact update 1 --stage p"
		complete -C "crm contact list -o t"' "$CRM_TOP/completions/crm.fish")
	is "$got" "$(lines "list	list contacts" --email= prospect table tsv)" \
	    "fish: verbs, options, stages, formats"
	# shellcheck disable=SC2016 # fish expands $argv, not sh
	got=$(fish -c 'source $argv[1]
		complete -C "crm-segment members "
		complete -C "crm-segment members vip "
		complete -C "crm-segment members -o json --limit 5 vip "
		complete -C "crm-segment add vip "
		complete -C "crm-segment --db=other.db members "
		complete -C "crm-segment members --db other.db "
		complete -C "crm segment count "
		complete -C "crm-db backup myd"' "$CRM_TOP/completions/crm.fish")
	is "$got" "$(lines "$segs" "$segs" "$segs" --db= --help gone gone \
	    "$segs" mydb.sqlite)" \
	    "fish: segments as operands, from --db's database, else as before"
else
	skip "fish is not installed"
	skip "fish is not installed"
	skip "fish is not installed"
fi

# --- one source of truth ---------------------------------------------------

for bin in "$CRM_BUILD"/bin/crm-*; do
	[ -x "$bin" ] || continue
	cmd=${bin##*/}
	# The helper, which feeds the completions, against --help.
	helpverbs=$("$bin" --help |
	    sed -n '/^commands:$/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
	is "$("$bin" --completion-helper)" "$helpverbs" \
	    "$cmd: the completion helper lists the verbs of --help"
	for verb in $("$bin" --completion-helper); do
		opts=$("$bin" --completion-helper "$verb" | sed 's/=$//')
		helpopts=$("$bin" "$verb" --help |
		    sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z-]*\).*/\2/p')
		is "$opts" "$helpopts" \
		    "$cmd $verb: the completion helper has the options of --help"
	done
	# The man page against the helper and the usage lines.
	page=$CRM_TOP/man/$cmd.1
	if [ ! -f "$page" ]; then
		skip "man/$cmd.1 does not exist yet"
		continue
	fi
	if ! need mandoc; then
		skip "mandoc is not installed: $cmd.1 not checked"
		continue
	fi
	text=$(render "$page")
	syn=$(synopsis "$page")
	for verb in $("$bin" --completion-helper); do
		usage=$("$bin" "$verb" --help | sed -n 's/^usage: //p')
		printf '%s\n' "$syn" | grep -Fqx -- "$usage"
		ok $? "$cmd $verb: the SYNOPSIS has \"$usage\""
		[ -n "$usage" ] || printf '# %s %s --help printed no usage line\n' \
		    "$cmd" "$verb"
		missing=""
		for o in $("$bin" --completion-helper "$verb" | sed 's/=$//'); do
			printf '%s\n' "$text" |
			    grep -Eq -- "(^|[^a-z-])$o([^a-z-]|\$)" ||
			    missing="$missing $o"
		done
		is "$missing" "" "$cmd $verb: every option is in man/$cmd.1"
	done
done

if need mandoc; then
	for page in "$CRM_TOP"/man/*.[1-9]; do
		out=$(mandoc -Tlint -W warning "$page" 2>&1)
		is "$out" "" "mandoc -Tlint -W warning ${page#"$CRM_TOP"/} is clean"
	done
else
	skip "mandoc is not installed"
fi

plan "$T_N"
[ "$T_FAILED" -eq 0 ]
