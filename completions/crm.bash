# bash completion for crm and every crm-* command.             -*- sh -*-
# shellcheck shell=bash
#
# Nothing here lists a verb or an option: each command prints its own with
# --completion-helper (cmd/cli.c), so a new command or option needs no edit:
#
#   crm --completion-helper                  the commands: contact, db, ...
#   crm-X --completion-helper                the verbs of crm-X
#   crm-X --completion-helper VERB           its options: "--name=" takes an
#                                            argument, "--opt-in" does not
#   crm-X --completion-helper values OPT     the values of --OPT's argument
#   crm-X --completion-helper values VERB:N  the values of operand N of VERB
#                                            (from 1; options and their
#                                            arguments are not counted)
#
# Values come from the database that --db on the command line names, if any.
# An operand whose helper prints nothing completes as before: the options
# when nothing is typed, else a file.
#
# Source it, or install it as .../bash-completion/completions/crm with a
# link named after each crm-* command.

# _crm_lines PROG ARGS...: the helper's output lines in the array _crm_out.
_crm_lines() {
	local line
	_crm_out=()
	while IFS= read -r line; do
		[[ -n $line ]] && _crm_out+=("$line")
	done < <("$@" 2>/dev/null </dev/null)
}

# _crm_reply PREFIX WORD CANDIDATES...: COMPREPLY is PREFIX and each
# candidate that starts with WORD; no space after one that ends in "=".
_crm_reply() {
	local prefix=$1 word=$2 c
	shift 2
	COMPREPLY=()
	for c in "$@"; do
		[[ $c == "$word"* ]] && COMPREPLY+=("$prefix$c")
	done
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

# _crm_dbarg WORD...: in the array dbarg, "--db=PATH" for the last --db
# among the words but the last (the one being completed), or nothing.
_crm_dbarg() {
	local db=""
	dbarg=()
	while [[ $# -gt 1 ]]; do
		case $1 in
		--db) db=$2 ;;
		--db=*) db=${1#--db=} ;;
		esac
		shift
	done
	[[ $db == \~/* ]] && db=$HOME/${db#\~/}
	[[ -n $db ]] && dbarg=("--db=$db")
	return 0
}

# _crm_files PREFIX WORD: file names that start with WORD.
_crm_files() {
	local f
	COMPREPLY=()
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		COMPREPLY+=("$1$f")
	done < <(compgen -f -- "$2")
	return 0
}

_crm() {
	local -a words=() _crm_out=() opts=() dbarg=()
	local i w cur prog dir="" verb="" vi=0 opt="" val="" prefix=""
	local join=0 cword n=1

	# Undo the split of "--opt=value" at "=" (COMP_WORDBREAKS).
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == = && ${#words[@]} -gt 1 &&
		    ${words[${#words[@]}-1]} == --* &&
		    ${words[${#words[@]}-1]} != *=* ]]; then
			words[${#words[@]}-1]+="="
			join=1
		elif [[ $join -eq 1 ]]; then
			words[${#words[@]}-1]+=$w
			join=0
		else
			words+=("$w")
		fi
	done
	cword=$((${#words[@]} - 1))
	cur=${words[cword]}
	# What readline replaces: after "=" when it split there.
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*} val=${cur#*=}
		[[ ${COMP_WORDS[COMP_CWORD]} == "$cur" ]] && prefix="$opt="
	fi

	COMPREPLY=()
	prog=${words[0]}
	[[ $prog == */* ]] && dir=${prog%/*}

	# crm, the front: "crm COMMAND ..." completes as "crm-COMMAND ...".
	if [[ ${prog##*/} == crm ]]; then
		if [[ $cword -eq 1 || ( $cword -eq 2 && ${words[1]} == help ) ]]
		then
			if [[ $cur == -* ]]; then
				_crm_reply "" "$cur" --help --version
			else
				_crm_lines "$prog" --completion-helper
				_crm_reply "" "$cur" "${_crm_out[@]}"
			fi
			return 0
		fi
		[[ ${words[1]} == -* || ${words[1]} == help ]] && return 0
		if [[ -n $dir && -x $dir/crm-${words[1]} ]]; then
			prog=$dir/crm-${words[1]}
		else
			prog=crm-${words[1]}
		fi
		words=("$prog" "${words[@]:2}")
		cword=$((cword - 1))
	fi

	# The verb: the first word that is neither an option nor --db's
	# argument.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--db) i=$((i + 1)) ;;
		-*) ;;
		*) verb=$w vi=$i; break ;;
		esac
	done

	if [[ -z $verb ]]; then
		if [[ $opt == --db ]]; then
			_crm_files "$prefix" "$val"
		elif [[ -z $opt && ${words[cword-1]} == --db ]]; then
			_crm_files "" "$cur"
		elif [[ -n $opt ]]; then
			return 0
		elif [[ $cur == -* ]]; then
			_crm_reply "" "$cur" --db= --help --version
		else
			_crm_lines "$prog" --completion-helper
			_crm_reply "" "$cur" "${_crm_out[@]}"
		fi
		return 0
	fi
	if [[ $verb == help ]]; then
		if [[ $cword -eq $((vi + 1)) ]]; then
			_crm_lines "$prog" --completion-helper
			_crm_reply "" "$cur" "${_crm_out[@]}"
		fi
		return 0
	fi

	# The verb's options, and the argument of one.
	_crm_lines "$prog" --completion-helper "$verb"
	opts=("${_crm_out[@]}")
	if [[ -z $opt ]]; then
		w=${words[cword-1]}
		[[ $w == -o ]] && w=--format
		if [[ " ${opts[*]} " == *" $w= "* ]]; then
			opt=$w val=$cur
		fi
	fi
	if [[ -n $opt ]]; then
		[[ " ${opts[*]} " == *" $opt= "* ]] || return 0
		if [[ $opt == --db ]]; then
			_crm_files "$prefix" "$val"
			return 0
		fi
		# The values of the database the command line names.
		_crm_dbarg "${words[@]:1:cword}"
		_crm_lines "$prog" "${dbarg[@]}" --completion-helper values \
		    "${opt#--}"
		_crm_reply "$prefix" "$val" "${_crm_out[@]}"
		return 0
	fi
	# Operand N: its values when the command has some (segment names),
	# else options when nothing is typed yet, else a file (crm-db backup
	# FILE).  Options and the separate argument of one are not operands.
	if [[ $cur != -* ]]; then
		for ((i = vi + 1; i < cword; i++)); do
			w=${words[i-1]}
			[[ ${words[i]} == -* || $w == -o ||
			    " ${opts[*]} " == *" $w= "* ]] || n=$((n + 1))
		done
		_crm_dbarg "${words[@]:1:cword}"
		_crm_lines "$prog" "${dbarg[@]}" --completion-helper values \
		    "$verb:$n"
		if [[ ${#_crm_out[@]} -gt 0 ]]; then
			_crm_reply "" "$cur" "${_crm_out[@]}"
			return 0
		fi
	fi
	if [[ -z $cur || $cur == -* ]]; then
		_crm_reply "" "$cur" "${opts[@]}"
	else
		_crm_files "" "$cur"
	fi
	return 0
}

complete -F _crm crm crm-contact crm-db crm-deal crm-ticket crm-segment \
    crm-campaign crm-report
