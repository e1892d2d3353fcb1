# An SMTP server on 127.0.0.1 for the end-to-end tests, sourced after
# tests/lib.sh:
#
#   . "$CRM_TOP/tests/smtpd.sh"
#   smtpd_find || { plan 1; skip "no SMTP server"; exit 0; }
#   smtpd_start accept            # or reject (5xx), tempfail (4xx),
#                                 # silent (never greets), dropdata
#                                 # (the line drops mid-DATA; aiosmtpd)
#   smtpd_start accept USER PASS  # AUTH required (aiosmtpd only)
#   ... "$SMTPD_PORT"; smtpd_count; smtpd_take FILE (the one message) ...
#   smtpd_stop
#
# The server is python3-aiosmtpd (tests/smtpd.py, run by Debian's
# /usr/bin/python3: a python3 first on PATH may lack the module), else
# postfix's smtp-sink.  Each message is a file whose first lines are
# "X-Mail-Args: <sender>" and "X-Rcpt-Args: <recipient>" (smtp-sink adds a
# few more), then the message as received.  The server is stopped by its
# PID, never by name; the test's exit stops it too.

SMTPD_KIND=
SMTPD_PID=
SMTPD_DIR=
SMTPD_PORT=
SMTPD_N=0
SMTPD_SINK=

# A Python with the email package, for parsing what arrived.
if [ -x /usr/bin/python3 ]; then
	SMTPD_PY=/usr/bin/python3
else
	SMTPD_PY=python3
fi

# CRM_TEST_SMTPD=smtp-sink tries smtp-sink even when aiosmtpd is there.
smtpd_find() {
	if [ "${CRM_TEST_SMTPD:-}" != smtp-sink ] && [ -x /usr/bin/python3 ] &&
	    /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
		SMTPD_KIND=aiosmtpd
		return 0
	fi
	for s in /usr/sbin/smtp-sink /usr/lib/postfix/sbin/smtp-sink \
	    "$(command -v smtp-sink 2>/dev/null)"; do
		if [ -n "$s" ] && [ -x "$s" ]; then
			SMTPD_KIND=smtp-sink
			SMTPD_SINK=$s
			return 0
		fi
	done
	return 1
}

# smtpd_listening PORT: true once something accepts on 127.0.0.1:PORT.
smtpd_listening() {
	"$SMTPD_PY" -c 'import socket, sys
s = socket.socket()
s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"
}

smtpd_free_port() {
	"$SMTPD_PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Poll (at most about 10 s) until the server listens; 1 if it died.
smtpd_wait() {
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$SMTPD_PID" 2>/dev/null || return 1
		if [ -n "$SMTPD_PORT" ] && smtpd_listening "$SMTPD_PORT"; then
			return 0
		fi
		if [ -z "$SMTPD_PORT" ] && [ -s "$SMTPD_DIR/port" ]; then
			SMTPD_PORT=$(cat "$SMTPD_DIR/port")
			continue
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

smtpd_start_sink() {
	args=
	case $1 in
	reject) args="-f RCPT" ;;
	tempfail) args="-r RCPT" ;;
	silent) args="-W CONNECT:60" ;;
	esac
	if [ "$(id -u)" = 0 ]; then
		# smtp-sink drops to nobody, who must reach the dump directory.
		chmod 711 "$T_DIR"
		chmod 777 "$SMTPD_DIR"
		args="$args -u nobody"
	fi
	SMTPD_PORT=$(smtpd_free_port)
	# shellcheck disable=SC2086
	"$SMTPD_SINK" $args -d "$SMTPD_DIR/%M." "127.0.0.1:$SMTPD_PORT" 10 \
	    >"$SMTPD_DIR.log" 2>&1 &
	SMTPD_PID=$!
}

# smtpd_start MODE [USER PASSWORD]
smtpd_start() {
	smtpd_stop
	SMTPD_N=$((SMTPD_N + 1))
	SMTPD_DIR="$T_DIR/smtpd$SMTPD_N"
	SMTPD_PORT=
	mkdir -p "$SMTPD_DIR"
	if [ "$SMTPD_KIND" = aiosmtpd ]; then
		/usr/bin/python3 "$CRM_TOP/tests/smtpd.py" "$SMTPD_DIR" \
		    "$SMTPD_DIR/port" "$@" 2>"$SMTPD_DIR.log" &
		SMTPD_PID=$!
	else
		smtpd_start_sink "$1"
	fi
	if ! smtpd_wait; then
		echo "# the SMTP server ($SMTPD_KIND) did not start:"
		sed 's/^/# /' "$SMTPD_DIR.log"
		return 1
	fi
	trap 'smtpd_stop; t_cleanup' EXIT
}

smtpd_stop() {
	if [ -n "$SMTPD_PID" ]; then
		kill "$SMTPD_PID" 2>/dev/null
		wait "$SMTPD_PID" 2>/dev/null
	fi
	SMTPD_PID=
}

# The number of messages waiting in the server's directory.
smtpd_count() {
	n=0
	for f in "$SMTPD_DIR"/*; do
		case $f in
		*/port | */log | *.tmp) ;;
		*) [ -f "$f" ] && n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}

# When exactly one message waits, move it out of the way to FILE and
# succeed; otherwise fail (none arrived, or more than one).
smtpd_take() {
	[ "$(smtpd_count)" = 1 ] || return 1
	for f in "$SMTPD_DIR"/*; do
		case $f in
		*/port | */log | *.tmp) ;;
		*) [ -f "$f" ] && mv "$f" "$1" ;;
		esac
	done
}
