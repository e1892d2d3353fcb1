/*
 * The webhook session: settings and URLs checked, then posts to
 * tests/httpd.py on 127.0.0.1, started here in each of its modes (found
 * by CRM_TOP, else from the current directory; skipped without python3):
 * what the server received (body, headers, one connection for several
 * posts), and the exact error, exit code and doubt for each way a post
 * fails.  The servers' directory is removed when every test passed and
 * kept (its path printed) when one failed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crm_config.h"
#include "crm_webhook.h"
#include "tap.h"

#define SECRET	"s3cret"
#define AUTH	"Authorization: Bearer " SECRET

struct server {
	pid_t	 pid;
	int	 port;
	char	 dir[PATH_MAX];
};

static char root[] = "/tmp/crm-webhook-test.XXXXXX";
static int nserver;

/* The whole of path, NUL-terminated (free() it); NULL when unreadable. */
static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	do {
		if ((buf = realloc(buf, len + 4097)) == NULL)
			abort();
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static char *
server_file(const struct server *s, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	return slurp(path);
}

/* How many whole lines of text equal line. */
static int
count_lines(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;
	int c = 0;

	for (p = text; p != NULL && *p != '\0'; ) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			c++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return c;
}

static int
file_lines(const struct server *s, const char *name, const char *line)
{
	char *text = server_file(s, name);
	int c = count_lines(text, line);

	free(text);
	return c;
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Start httpd.py in mode and poll (at most 10 s) for its port file. */
static int
server_start(struct server *s, const char *mode)
{
	const char *top = getenv("CRM_TOP");
	const char *py = access("/usr/bin/python3", X_OK) == 0 ?
	    "/usr/bin/python3" : "python3";
	char script[PATH_MAX], portfile[PATH_MAX + 8], *port;
	int i, status;

	snprintf(script, sizeof(script), "%s/tests/httpd.py",
	    top != NULL && *top != '\0' ? top : ".");
	snprintf(s->dir, sizeof(s->dir), "%s/%s%d", root, mode, ++nserver);
	snprintf(portfile, sizeof(portfile), "%s/port", s->dir);
	s->port = 0;
	if (mkdir(s->dir, 0700) == -1)
		return -1;
	fflush(stdout);
	if ((s->pid = fork()) == -1)
		return -1;
	if (s->pid == 0) {
		execlp(py, py, script, s->dir, portfile, mode, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		if ((port = slurp(portfile)) != NULL) {
			s->port = atoi(port);
			free(port);
			return s->port > 0 ? 0 : -1;
		}
		msleep(50);
	}
	return -1;
}

static void
server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* A port on 127.0.0.1 that nothing listens on (free a moment ago). */
static int
closed_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd, port = 9;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return port;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* err is code and msg exactly, and shows no secret; frees err. */
static void
check_err(struct crm_error *err, int code, const char *msg, const char *what)
{
	is_int(err ? err->code : 0, code, "%s: exit %d", what, code);
	is_str(err ? err->msg : "(no error)", msg, "%s: the message", what);
	ok(err == NULL || (strstr(err->msg, SECRET) == NULL &&
	    strstr(err->msg, "token") == NULL &&
	    strstr(err->msg, "pw@") == NULL), "%s: no secret shown", what);
	crm_error_free(err);
}

static struct crm_webhook *
session(long timeout)
{
	struct crm_webhook_conf c = { NULL, AUTH, 2, timeout };
	struct crm_webhook *w = NULL;
	struct crm_error *err;

	if ((err = crm_webhook_new(&c, &w)) != NULL) {
		ok(0, "a session: %s", err->msg);
		crm_error_free(err);
	}
	return w;
}

static const char *
new_error(const char *url, const char *auth)
{
	static char msg[512];
	struct crm_webhook_conf c = { url, auth, 0, 0 };
	struct crm_webhook *w = NULL;
	struct crm_error *err;

	if ((err = crm_webhook_new(&c, &w)) == NULL) {
		crm_webhook_free(w);
		return "ok";
	}
	snprintf(msg, sizeof(msg), "%d %s", err->code, err->msg);
	crm_error_free(err);
	return msg;
}

static void
conf(void)
{
	struct crm_webhook_conf c;
	struct crm_error *err;

	unsetenv("CRM_CONFIG");
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	setenv("HOME", "/nonexistent", 1);
	setenv("CRM_WEBHOOK_URL", "http://127.0.0.1/global", 1);
	err = crm_webhook_conf_load(&c);
	ok(err == NULL, "the defaults load");
	ok(c.url == NULL, "webhook_url is no global setting");
	ok(c.auth_header == NULL, "no auth header by default");
	is_int(c.connect_timeout, 10, "webhook_connect_timeout's default");
	is_int(c.timeout, 30, "webhook_timeout's default");
	crm_error_free(err);
	setenv("CRM_WEBHOOK_AUTH_HEADER", AUTH, 1);
	setenv("CRM_WEBHOOK_TIMEOUT", "5", 1);
	setenv("CRM_WEBHOOK_CONNECT_TIMEOUT", "3", 1);
	err = crm_webhook_conf_load(&c);
	is_str(c.auth_header, AUTH, "webhook_auth_header");
	is_int(c.timeout, 5, "webhook_timeout");
	is_int(c.connect_timeout, 3, "webhook_connect_timeout");
	crm_error_free(err);
	setenv("CRM_WEBHOOK_CONNECT_TIMEOUT", "soon", 1);
	err = crm_webhook_conf_load(&c);
	is_str(err ? err->msg : "", "webhook_connect_timeout: expected "
	    "seconds from 1 to 86400, got \"soon\"", "a bad timeout");
	crm_error_free(err);
	unsetenv("CRM_WEBHOOK_URL");
	unsetenv("CRM_WEBHOOK_AUTH_HEADER");
	unsetenv("CRM_WEBHOOK_TIMEOUT");
	unsetenv("CRM_WEBHOOK_CONNECT_TIMEOUT");
}

static void
arguments(void)
{
	static const char bad_auth[] = "2 webhook_auth_header: expected one "
	    "line \"Name: value\" (not shown here)";
	struct crm_webhook *w;

	is_str(new_error("https://u:pw@hooks.example.org:8443/crm?token=x",
	    AUTH), "ok", "an https URL with credentials and a query");
	is_str(new_error("HTTP://hooks.example.org", NULL), "ok", "HTTP://");
	is_str(new_error("ftp://u:pw@hooks.example.org/x?token=y", NULL),
	    "2 webhook_url: expected http://host/path or https://host/path, "
	    "got \"ftp://hooks.example.org/x\"", "not HTTP");
	is_str(new_error("http:///crm", NULL), "2 webhook_url: expected "
	    "http://host/path or https://host/path, got \"http:///crm\"",
	    "no host");
	is_str(new_error("http://hooks.example.org/a b", NULL),
	    "2 webhook_url: a space or line break in "
	    "\"http://hooks.example.org/a b\"", "a space");
	is_str(new_error("http://hooks.example.org/a\r\nX-Evil: 1", NULL),
	    "2 webhook_url: a space or line break in "
	    "\"http://hooks.example.org/a\\r\\nX-Evil: 1\"", "CR LF");
	is_str(new_error(NULL, "Authorization Bearer " SECRET), bad_auth,
	    "an auth header without a colon");
	is_str(new_error(NULL, "Authorization: " SECRET "\r\nX: y"), bad_auth,
	    "an auth header of two lines");
	if ((w = session(5)) == NULL)
		return;
	check_err(crm_webhook_post(w, NULL, "{}", "k"), 2, "no webhook URL",
	    "no URL");
	check_err(crm_webhook_post(w, "http://127.0.0.1:9/hook", "{}",
	    "k\r\nX-Evil: 1"), 2, "idempotency key: expected 1 to 200 "
	    "characters on one line", "a key of two lines");
	crm_webhook_free(w);
}

/* Three posts in one connection, and what the server received. */
static void
mode_ok(void)
{
	static const char *const key[] = {
		"campaign-3.contact-17", "campaign-3.contact-18",
		"campaign-3.contact-19"
	};
	struct crm_webhook *w;
	struct crm_error *err;
	struct server s;
	char url[128], body[128], name[32], *got;
	int i;

	if (server_start(&s, "ok") == -1 || (w = session(5)) == NULL) {
		ok(0, "the ok server and a session");
		server_stop(&s);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s.port);
	for (i = 0; i < 3; i++) {
		snprintf(body, sizeof(body), "{\"contact\":%d,\"name\":"
		    "\"Zo\xc3\xab\"}", 17 + i);
		err = crm_webhook_post(w, url, body, key[i]);
		ok(err == NULL, "post %d%s%s", i + 1, err ? ": " : "",
		    err ? err->msg : "");
		crm_error_free(err);
		is_int(crm_webhook_status(w), 200, "post %d: status", i + 1);
		is_str(crm_webhook_reply(w), "HTTP/1.1 200 OK",
		    "post %d: status line", i + 1);
		ok(!crm_webhook_in_doubt(w) && crm_webhook_retry_after(w) == 0,
		    "post %d: not in doubt, no retry", i + 1);
		snprintf(name, sizeof(name), "%d.json", i + 1);
		got = server_file(&s, name);
		is_str(got, body, "post %d: the body as received", i + 1);
		free(got);
	}
	is_int(file_lines(&s, "1.headers", "Content-Type: application/json"),
	    1, "Content-Type");
	is_int(file_lines(&s, "1.headers", "User-Agent: crm/" CRM_VERSION), 1,
	    "User-Agent");
	is_int(file_lines(&s, "1.headers", AUTH), 1, "the auth header");
	is_int(file_lines(&s, "1.headers",
	    "Idempotency-Key: campaign-3.contact-17"), 1, "Idempotency-Key 1");
	is_int(file_lines(&s, "3.headers",
	    "Idempotency-Key: campaign-3.contact-19"), 1, "Idempotency-Key 3");
	is_int(file_lines(&s, "1.headers", "Expect: 100-continue"), 0,
	    "no Expect");
	crm_webhook_free(w);
	is_int(file_lines(&s, "log", "connection"), 1,
	    "three posts in one connection");
	server_stop(&s);
}

/* One post to a server in mode: its error, status and doubt. */
static void
mode_fails(const char *mode, long timeout, int code, const char *why,
    long status, int doubt)
{
	struct crm_webhook *w;
	struct server s;
	char url[128], msg[256];
	double t;

	if (server_start(&s, mode) == -1 || (w = session(timeout)) == NULL) {
		ok(0, "the %s server and a session", mode);
		server_stop(&s);
		return;
	}
	/* Credentials and a query in the URL, never in the message. */
	snprintf(url, sizeof(url), "http://u:pw@127.0.0.1:%d/hook?token=t",
	    s.port);
	snprintf(msg, sizeof(msg), "http://127.0.0.1:%d/hook: %s", s.port,
	    why);
	t = now();
	check_err(crm_webhook_post(w, url, "{\"a\":1}",
	    "campaign-3.contact-17"), code, msg, mode);
	t = now() - t;
	is_int(crm_webhook_status(w), status, "%s: status", mode);
	is_int(crm_webhook_in_doubt(w), doubt, "%s: in doubt", mode);
	ok(t < timeout + 1.5, "%s: within the timeout (%.1f s)", mode, t);
	is_int(file_lines(&s, "1.json", "{\"a\":1}"), 1, "%s: received", mode);
	crm_webhook_free(w);
	server_stop(&s);
}

/* 503 with Retry-After to a key's first post, 200 to its second. */
static void
mode_flaky(void)
{
	struct crm_webhook *w;
	struct server s;
	char url[128], msg[256];

	if (server_start(&s, "flaky") == -1 || (w = session(5)) == NULL) {
		ok(0, "the flaky server and a session");
		server_stop(&s);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s.port);
	snprintf(msg, sizeof(msg), "%s: try again later: 503 Service "
	    "Unavailable", url);
	check_err(crm_webhook_post(w, url, "{}", "campaign-3.contact-17"), 75,
	    msg, "flaky, first");
	is_int(crm_webhook_retry_after(w), 1, "flaky: Retry-After");
	is_int(crm_webhook_in_doubt(w), 0, "flaky: a reply is not in doubt");
	check_err(crm_webhook_post(w, url, "{}", "campaign-3.contact-17"), 0,
	    "(no error)", "flaky, again");
	is_int(crm_webhook_retry_after(w), 0, "flaky, again: no Retry-After");
	check_err(crm_webhook_post(w, url, "{}", "campaign-3.contact-18"), 75,
	    msg, "flaky, another key");
	crm_webhook_free(w);
	is_int(file_lines(&s, "log", "connection"), 1,
	    "flaky: one connection, kept after a 503");
	server_stop(&s);
}

/* A dropped post, then the same session to another server. */
static void
mode_drop(void)
{
	struct crm_webhook *w;
	struct server d, s;
	char url[128], msg[256];
	struct crm_error *err;

	if (server_start(&d, "drop") == -1 || server_start(&s, "ok") == -1 ||
	    (w = session(5)) == NULL) {
		ok(0, "the drop and ok servers and a session");
		server_stop(&d);
		server_stop(&s);
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", d.port);
	snprintf(msg, sizeof(msg), "%s: the connection was lost after the "
	    "request went out: empty reply from server", url);
	check_err(crm_webhook_post(w, url, "{}", "campaign-3.contact-17"), 75,
	    msg, "drop");
	is_int(crm_webhook_in_doubt(w), 1, "drop: in doubt");
	is_int(crm_webhook_status(w), 0, "drop: no status");
	is_str(crm_webhook_reply(w), "", "drop: no status line");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", s.port);
	err = crm_webhook_post(w, url, "{}", "campaign-3.contact-17");
	ok(err == NULL && !crm_webhook_in_doubt(w), "the same session posts "
	    "elsewhere after a drop%s%s", err ? ": " : "", err ? err->msg : "");
	crm_error_free(err);
	crm_webhook_free(w);
	server_stop(&d);
	server_stop(&s);
}

static void
no_server(void)
{
	struct crm_webhook *w;
	char url[128], msg[256];

	if ((w = session(5)) == NULL)
		return;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", closed_port());
	snprintf(msg, sizeof(msg), "%s: cannot connect: connection refused",
	    url);
	check_err(crm_webhook_post(w, url, "{}", "campaign-3.contact-17"), 75,
	    msg, "no server");
	is_int(crm_webhook_in_doubt(w), 0, "no server: not in doubt");
	is_int(crm_webhook_status(w), 0, "no server: no status");
	crm_webhook_free(w);
}

int
main(void)
{
	char cmd[sizeof(root) + 16];

	/* The servers are local whatever proxy the caller uses. */
	setenv("no_proxy", "*", 1);
	conf();
	arguments();
	if (access("/usr/bin/python3", X_OK) != 0 &&
	    system("python3 -c '' 2>/dev/null") != 0) {
		printf("ok %d # skip no python3 for tests/httpd.py\n", ++tap_n);
		crm_config_free();
		return done_testing();
	}
	if (mkdtemp(root) == NULL) {
		ok(0, "a temporary directory: %s", strerror(errno));
		return done_testing();
	}
	mode_ok();
	mode_fails("fail", 5, 75, "try again later: 500 Internal Server Error",
	    500, 0);
	mode_fails("refuse", 5, 1, "refused: 404 Not Found", 404, 0);
	mode_fails("slow", 1, 75, "no reply within 1 s after the request went "
	    "out", 0, 1);
	mode_flaky();
	mode_drop();
	no_server();
	if (tap_failed == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", root);
	} else {
		printf("# kept %s\n", root);
	}
	crm_config_free();
	return done_testing();
}
