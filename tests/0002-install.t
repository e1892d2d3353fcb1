#!/bin/sh
# make install and uninstall honour PREFIX and DESTDIR.
. "${CRM_TOP:-.}/tests/lib.sh"
plan 6

# Under make check-valgrind, CRM_BUILD holds wrappers that run each command
# under valgrind: building into it would put the plain commands in their
# place for every test after this one.
if [ -n "${CRM_VALGRIND:-}" ]; then
	for _ in 1 2 3 4 5 6; do
		skip "make install: not a memory check"
	done
	exit 0
fi

dest=$T_DIR/dest
run make -C "$CRM_TOP" -s install DESTDIR="$dest" PREFIX=/opt/crm \
    BUILD="$CRM_BUILD"
expect_rc 0 "make install"
ok "$([ -x "$dest/opt/crm/bin/crm-contact" ] && [ -x "$dest/opt/crm/bin/crm" ]; echo $?)" \
    "the commands land in PREFIX/bin under DESTDIR"
ok "$([ -f "$dest/opt/crm/share/man/man1/crm-contact.1" ] &&
    [ -f "$dest/opt/crm/share/man/man7/crm.7" ]; echo $?)" \
    "the man pages in PREFIX/share/man"
ok "$([ -f "$dest/opt/crm/share/bash-completion/completions/crm" ] &&
    [ -f "$dest/opt/crm/share/zsh/site-functions/_crm" ] &&
    [ -f "$dest/opt/crm/share/fish/vendor_completions.d/crm.fish" ]; echo $?)" \
    "the completions in their standard places"
run "$dest/opt/crm/bin/crm" help
like "$OUT" "contact" "the installed front finds the installed commands"
make -C "$CRM_TOP" -s uninstall DESTDIR="$dest" PREFIX=/opt/crm \
    BUILD="$CRM_BUILD" >/dev/null 2>&1
is "$(find "$dest" -type f | wc -l)" 0 "make uninstall removes every file"
