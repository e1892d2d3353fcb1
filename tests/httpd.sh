# An HTTP server on 127.0.0.1 for the webhook tests, sourced after
# tests/lib.sh:
#
#   . "$CRM_TOP/tests/httpd.sh"
#   httpd_find || { plan 1; skip "no python3"; exit 0; }
#   httpd_start ok                # or fail (500), refuse (404), slow
#                                 # (never answers), flaky (503 with
#                                 # Retry-After: 1, then 200 per key),
#                                 # drop (closes without answering)
#   ... "http://127.0.0.1:$HTTPD_PORT/hook" ...
#   httpd_count; httpd_connections; httpd_take FILE (the one body) ...
#   httpd_stop
#
# The server is tests/httpd.py (python3, standard library only).  Each
# request is DIR/N.json (the body) and DIR/N.headers (its header lines);
# DIR/log has a line "connection" per connection.  The server is stopped
# by its PID, never by name; the test's exit stops it too.

HTTPD_PID=
HTTPD_DIR=
HTTPD_PORT=
HTTPD_N=0

if [ -x /usr/bin/python3 ]; then
	HTTPD_PY=/usr/bin/python3
else
	HTTPD_PY=python3
fi

httpd_find() {
	command -v "$HTTPD_PY" >/dev/null 2>&1
}

# Poll (at most about 10 s) for the port file, written once the server
# listens (a probe connection would count in httpd_connections); 1 if it
# died.
httpd_wait() {
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$HTTPD_PID" 2>/dev/null || return 1
		if [ -s "$HTTPD_DIR/port" ]; then
			HTTPD_PORT=$(cat "$HTTPD_DIR/port")
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# httpd_start MODE
httpd_start() {
	httpd_stop
	HTTPD_N=$((HTTPD_N + 1))
	HTTPD_DIR="$T_DIR/httpd$HTTPD_N"
	# shellcheck disable=SC2034 # the tests read it
	HTTPD_PORT=
	mkdir -p "$HTTPD_DIR"
	"$HTTPD_PY" "$CRM_TOP/tests/httpd.py" "$HTTPD_DIR" "$HTTPD_DIR/port" \
	    "$1" 2>"$HTTPD_DIR.log" &
	HTTPD_PID=$!
	if ! httpd_wait; then
		echo "# the HTTP server did not start:"
		sed 's/^/# /' "$HTTPD_DIR.log"
		return 1
	fi
	trap 'httpd_stop; t_cleanup' EXIT
}

httpd_stop() {
	if [ -n "$HTTPD_PID" ]; then
		kill "$HTTPD_PID" 2>/dev/null
		wait "$HTTPD_PID" 2>/dev/null
	fi
	HTTPD_PID=
}

# The number of request bodies waiting in the server's directory.
httpd_count() {
	n=0
	for f in "$HTTPD_DIR"/*.json; do
		[ -f "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# The number of connections the server accepted.
httpd_connections() {
	if [ -f "$HTTPD_DIR/log" ]; then
		grep -c '^connection$' "$HTTPD_DIR/log"
	else
		echo 0
	fi
}

# When exactly one request waits, move its body to FILE and its headers
# to FILE.headers and succeed; otherwise fail (none, or more than one).
httpd_take() {
	[ "$(httpd_count)" = 1 ] || return 1
	for f in "$HTTPD_DIR"/*.json; do
		mv "$f" "$1"
		mv "${f%.json}.headers" "$1.headers"
	done
}
