# Shared by the end-to-end tests (tests/NNNN-*.t): POSIX sh, TAP output.
#
#   . tests/lib.sh
#   plan 3
#   run crm-contact add --name Ada --email ada@example.org
#   expect_rc 0 "add succeeds"
#   expect_out '{"id":1,...}' "add prints the record"
#   is "$(sql 'SELECT count(*) FROM contacts')" 1 "one row stored"
#
# Each test file runs in its own temporary directory with CRM_DB, HOME and
# the XDG directories inside it, the built commands first on PATH, and a
# fixed clock (CRM_NOW) and actor (CRM_USER).  The directory is removed when
# every test passed and kept (its path printed) when one failed.

: "${CRM_TOP:=$(pwd)}"
: "${CRM_BUILD:=$CRM_TOP/build}"
: "${CRM_CORPORA:=$CRM_TOP/../shared/corpora}"
export CRM_TOP CRM_BUILD CRM_CORPORA

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/crm-test.XXXXXX") || exit 1
T_N=0
T_FAILED=0
export HOME="$T_DIR/home"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CONFIG_HOME="$HOME/.config"
export CRM_DB="$T_DIR/crm.db"
export CRM_USER=tester
export CRM_NOW=2026-11-22T12:00:00Z
export PATH="$CRM_BUILD/bin:$PATH"
export LC_ALL=C.UTF-8
unset CRM_FORMAT CRM_CONFIG CRM_BUSY_TIMEOUT COLUMNS
mkdir -p "$HOME"
cd "$T_DIR" || exit 1

t_cleanup() {
	if [ "$T_FAILED" -eq 0 ]; then
		rm -rf "$T_DIR"
	else
		echo "# kept $T_DIR"
	fi
}
trap t_cleanup EXIT

plan() {
	echo "1..$1"
}

# ok STATUS NAME: passes when STATUS is 0.
ok() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAILED=$((T_FAILED + 1))
	fi
	return "$1"
}

skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N # skip $1"
}

# is GOT WANT NAME: exact comparison, a diff on failure.
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "$2" >"$T_DIR/want"
		printf '%s\n' "$1" >"$T_DIR/got"
		diff -u "$T_DIR/want" "$T_DIR/got" | sed 's/^/# /'
	fi
}

# like GOT PATTERN NAME: GOT matches the grep -E pattern.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '# got:  %s\n# want match: %s\n' "$1" "$2"
	fi
}

# run CMD...: stdout in $T_DIR/out (and $OUT), stderr in $T_DIR/err (and
# $ERR), status in $RC.  Standard input is the caller's.
run() {
	"$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	OUT=$(cat "$T_DIR/out")
	ERR=$(cat "$T_DIR/err")
}

expect_rc() {
	is "$RC" "$1" "$2 (exit $1)"
	[ "$RC" = "$1" ] || { [ -n "$ERR" ] && printf '# stderr: %s\n' "$ERR"; }
	return 0
}

expect_out() {
	is "$OUT" "$1" "$2"
}

expect_err() {
	is "$ERR" "$1" "$2"
}

# sql QUERY: run a query on the test database with sqlite3.
sql() {
	sqlite3 -batch "$CRM_DB" "$1"
}

# need PROGRAM...: true when all are on PATH.
need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || return 1
	done
}
