# fish completion for crm and every crm-* command.  Nothing here lists a
# verb or an option: each command prints its own with --completion-helper
# (cmd/cli.c), so a new command or option needs no edit:
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
# Install it in a vendor_completions.d directory, or source it.

# __crm_described PROG HELP...: the names PROG's helper prints, each with
# the summary of its "  name   summary" line in the output of HELP.
function __crm_described
    set -l prog $argv[1]
    set -l help ($argv[2..-1] 2>/dev/null </dev/null)
    for name in ($prog --completion-helper 2>/dev/null </dev/null)
        set -l line (string match -r -- "^  $name\s+(.*)\$" $help)
        if set -q line[2]
            printf '%s\t%s\n' $name $line[2]
        else
            printf '%s\n' $name
        end
    end
end

# __crm_dbarg WORD...: "--db=PATH" for the last --db among the words, or
# nothing.
function __crm_dbarg
    set -l db
    set -l i 1
    while test $i -le (count $argv)
        switch $argv[$i]
            case --db
                set i (math $i + 1)
                set -q argv[$i]; and set db $argv[$i]
            case '--db=*'
                set db (string replace -- --db= '' $argv[$i])
        end
        set i (math $i + 1)
    end
    test -n "$db"; and printf '%s\n' --db=$db
end

function __crm_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l prog $words[1]
    set -l dir
    string match -q -- '*/*' $prog; and set dir (string replace -r '/[^/]*$' '' -- $prog)

    # crm, the front: "crm COMMAND ..." completes as "crm-COMMAND ...".
    if test (basename -- $prog) = crm
        if test (count $words) -eq 1; or begin
                test (count $words) -eq 2; and test "$words[2]" = help
            end
            if string match -q -- '-*' $cur
                printf '%s\n' --help --version
            else
                __crm_described $prog $prog help
            end
            return
        end
        string match -q -- '-*' $words[2]; and return
        test "$words[2]" = help; and return
        if test -n "$dir"; and test -x $dir/crm-$words[2]
            set prog $dir/crm-$words[2]
        else
            set prog crm-$words[2]
        end
        set words $prog $words[3..-1]
    end

    # The verb: the first word that is neither an option nor --db's
    # argument.
    set -l verb
    set -l vi 0
    set -l i 2
    while test $i -le (count $words)
        switch $words[$i]
            case --db
                set i (math $i + 1)
            case '-*'
            case '*'
                set verb $words[$i]
                set vi $i
                break
        end
        set i (math $i + 1)
    end

    set -l prev $words[-1]
    if test -z "$verb"
        if string match -q -- '--db=*' $cur
            __fish_complete_path (string replace -- --db= '' $cur) |
                string replace -r -- '^' --db=
        else if test "$prev" = --db; and test (count $words) -gt 1
            __fish_complete_path $cur
        else if string match -q -- '-*' $cur
            printf '%s\n' --db= --help --version
        else
            __crm_described $prog $prog --help
        end
        return
    end
    if test "$verb" = help
        test (count $words) -eq $vi; and __crm_described $prog $prog --help
        return
    end

    # The verb's options, and the argument of one.
    set -l opts ($prog --completion-helper $verb 2>/dev/null </dev/null)
    set -l opt
    set -l prefix
    if string match -q -- '--*=*' $cur
        set opt (string replace -r -- '=.*' '' $cur)
        set prefix $opt=
    else
        set -l w $prev
        test "$w" = -o; and set w --format
        contains -- $w= $opts; and test $vi -lt (count $words); and set opt $w
    end
    if test -n "$opt"
        contains -- $opt= $opts; or return
        if test $opt = --db
            __fish_complete_path (string replace -- "$prefix" '' $cur) |
                string replace -r -- '^' "$prefix"
            return
        end
        set -l dbarg (__crm_dbarg $words[2..-1])
        for v in ($prog $dbarg --completion-helper values (string sub -s 3 -- $opt) 2>/dev/null </dev/null)
            printf '%s%s\n' $prefix $v
        end
        return
    end
    # Operand N: its values when the command has some (segment names), else
    # options when nothing is typed yet, else a file (crm-db backup FILE).
    # Options and the separate argument of one are not operands.
    if not string match -q -- '-*' $cur
        set -l n 1
        set i (math $vi + 1)
        while test $i -le (count $words)
            set -l w $words[(math $i - 1)]
            if not string match -q -- '-*' $words[$i]; and test "$w" != -o
                and not contains -- $w= $opts
                set n (math $n + 1)
            end
            set i (math $i + 1)
        end
        set -l dbarg (__crm_dbarg $words[2..-1])
        set -l values ($prog $dbarg --completion-helper values $verb:$n \
            2>/dev/null </dev/null)
        if set -q values[1]
            printf '%s\n' $values
            return
        end
    end
    if test -z "$cur"; or string match -q -- '-*' $cur
        printf '%s\n' $opts
    else
        __fish_complete_path $cur
    end
end

for c in crm crm-contact crm-db crm-deal crm-ticket crm-segment crm-campaign crm-report
    complete -c $c -f -a '(__crm_complete)'
end
