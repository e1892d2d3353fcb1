#!/bin/sh
# The config file: a password in a file others may read draws a warning,
# once per command, without changing the exit status; never for a file
# kept private or without a password.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 8

cfg=$XDG_CONFIG_HOME/crm/config
mkdir -p "${cfg%/*}"
printf 'smtp_url = smtp://127.0.0.1:1\nsmtp_password = s3cret\n' >"$cfg"

chmod 644 "$cfg"
run crm-contact list
expect_rc 0 "a readable config file with a password: the command works"
expect_err "crm-contact: warning: $cfg holds a password and others may read it: chmod 600 $cfg" \
    "and warns, naming the file"
case $ERR in *s3cret*) ok 1 "the warning shows no password" ;;
*) ok 0 "the warning shows no password" ;; esac

chmod 640 "$cfg"
run crm-db path
like "$ERR" "holds a password and others may read it" "readable by the group"

chmod 600 "$cfg"
run crm-contact list
expect_rc 0 "mode 0600"
expect_err "" "no warning"

printf 'format = json\n' >"$cfg"
chmod 644 "$cfg"
run crm-contact list
expect_err "" "no password in the file: no warning"

run crm-contact --help
is "$(printf '%s\n' "$ERR" | grep -c warning)" 0 "--help stays quiet"
