/*
 * An SMTP session over libcurl: one easy handle kept for every message,
 * so that libcurl reuses its connection; the server's replies captured
 * from the debug callback; errors mapped to exit statuses.  See
 * crm_smtp.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "crm_config.h"
#include "crm_smtp.h"
#include "crm_util.h"

struct crm_smtp {
	CURL		*curl;
	char		*server;	/* "smtp://host:port", for messages */
	char		*password;	/* to scrub from what is shown */
	char		 reply[512];	/* the last reply line */
	char		 fail[512];	/* the last 4xx or 5xx of this send */
	char		 errbuf[CURL_ERROR_SIZE];
	int		 in_auth;	/* between AUTH and its outcome */
	int		 auth_fail;	/* the refusal was AUTH's */
	int		 session_fail;	/* the last send failed for the
					   session, not for its message */
	void		(*trace)(const char *, void *);
	void		*trace_arg;
	const char	*msg;		/* what the read callback sends */
	size_t		 left;
};

struct crm_error *
crm_smtp_conf_load(struct crm_smtp_conf *c)
{
	struct crm_error *err;

	memset(c, 0, sizeof(*c));
	c->url = crm_config_get("smtp_url", NULL, NULL);
	c->user = crm_config_get("smtp_user", NULL, NULL);
	c->password = crm_config_get("smtp_password", NULL, NULL);
	c->tls = crm_config_get("smtp_tls", NULL, NULL);
	c->ca_file = crm_config_get("smtp_ca_file", NULL, NULL);
	if (c->url == NULL || *c->url == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "no SMTP server: set "
		    "CRM_SMTP_URL or the config key smtp_url "
		    "(smtp://host:587)");
	if ((err = crm_config_seconds("smtp_connect_timeout", 10,
	    &c->connect_timeout)) != NULL)
		return err;
	return crm_config_seconds("smtp_timeout", 60, &c->timeout);
}

/* "scheme://host[:port]" of url, without user, password or path. */
static char *
server_name(const char *url)
{
	struct crm_buf b = CRM_BUF_INIT;
	const char *p = strstr(url, "://"), *host, *end, *at;

	if (p == NULL)
		return crm_xstrdup("smtp server");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	for (at = end; at > host && at[-1] != '@'; at--)
		;
	crm_buf_add(&b, url, (size_t)(host - url));
	crm_buf_add(&b, at, (size_t)(end - at));
	return crm_buf_detach(&b);
}

/* in[0..n) with the password (when there is one) shown as "****", and
 * no control characters, into out. */
static void
scrub(const struct crm_smtp *s, const char *in, size_t n, char *out,
    size_t outsz)
{
	const char *secret = s->password;

	crm_scrub(in, n, &secret, 1, out, outsz);
}

/* One line of the conversation to the trace, AUTH and its answers
 * hidden. */
static void
trace_line(struct crm_smtp *s, int out, const char *line, size_t n)
{
	char buf[600], mech[32];

	if (out && n >= 5 && strncasecmp(line, "AUTH ", 5) == 0) {
		s->in_auth = 1;
		snprintf(mech, sizeof(mech), "%.*s",
		    (int)strcspn(line + 5, " \r\n"), line + 5);
		snprintf(buf, sizeof(buf), "> AUTH %s [hidden]", mech);
	} else if (out && s->in_auth) {
		snprintf(buf, sizeof(buf), "> [hidden]");
	} else {
		buf[0] = out ? '>' : '<';
		buf[1] = ' ';
		scrub(s, line, n, buf + 2, sizeof(buf) - 2);
	}
	if (s->trace != NULL)
		s->trace(buf, s->trace_arg);
}

/* Keep a reply line: the last, and the last refusal (a QUIT's 221 may
 * follow it). */
static void
reply_line(struct crm_smtp *s, const char *data, size_t n)
{
	char line[sizeof(s->reply)];

	scrub(s, data, n, line, sizeof(line));
	if (s->in_auth && (line[0] == '4' || line[0] == '5'))
		s->auth_fail = 1;
	if (strncmp(line, "334", 3) != 0)
		s->in_auth = 0;
	if ((line[0] == '4' || line[0] == '5') &&
	    isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]))
		memcpy(s->fail, line, sizeof(line));
	if (strncmp(line, "221", 3) != 0)
		memcpy(s->reply, line, sizeof(line));
}

static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct crm_smtp *s = arg;
	size_t n;

	if (type != CURLINFO_HEADER_IN && type != CURLINFO_HEADER_OUT &&
	    type != CURLINFO_TEXT)
		return 0;
	for (; size > 0; data += n, size -= n) {
		for (n = 0; n < size && data[n] != '\n'; n++)
			;
		if (n < size)
			n++;
		if (type == CURLINFO_HEADER_IN) {
			reply_line(s, data, n);
			trace_line(s, 0, data, n);
		} else if (type == CURLINFO_HEADER_OUT) {
			trace_line(s, 1, data, n);
		} else if (s->trace != NULL) {
			char buf[600] = "* ";

			scrub(s, data, n, buf + 2, sizeof(buf) - 2);
			s->trace(buf, s->trace_arg);
		}
	}
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct crm_smtp *s = arg;
	size_t n = size * nmemb;

	if (n > s->left)
		n = s->left;
	memcpy(buf, s->msg, n);
	s->msg += n;
	s->left -= n;
	return n;
}

/* The CURLUSESSL level of c; smtps:// is TLS from the start anyway. */
static struct crm_error *
tls_level(const struct crm_smtp_conf *c, long *level)
{
	const char *tls = c->tls;

	if (tls == NULL || *tls == '\0')
		tls = c->password != NULL && *c->password != '\0' ?
		    "require" : "try";
	if (strcmp(tls, "try") == 0)
		*level = CURLUSESSL_TRY;
	else if (strcmp(tls, "require") == 0)
		*level = CURLUSESSL_ALL;
	else if (strcmp(tls, "none") == 0)
		*level = CURLUSESSL_NONE;
	else
		return crm_error_new(CRM_EXIT_USAGE, "smtp_tls: expected try, "
		    "require or none, got \"%s\"", tls);
	if (strncasecmp(c->url, "smtps://", 8) == 0)
		*level = CURLUSESSL_ALL;
	return NULL;
}

static void
setopts(struct crm_smtp *s, const struct crm_smtp_conf *c, long level)
{
	CURL *h = s->curl;

	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, level);
	if (c->ca_file != NULL && *c->ca_file != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->user != NULL && *c->user != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    c->password != NULL ? c->password : "");
	}
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    c->connect_timeout > 0 ? c->connect_timeout : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT,
	    c->timeout > 0 ? c->timeout : 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	/* The debug callback is how libcurl shows the server's replies. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
}

struct crm_error *
crm_smtp_new(const struct crm_smtp_conf *c, struct crm_smtp **out)
{
	struct crm_smtp *s;
	struct crm_error *err;
	long level;

	*out = NULL;
	if (c->url == NULL || (strncasecmp(c->url, "smtp://", 7) != 0 &&
	    strncasecmp(c->url, "smtps://", 8) != 0)) {
		char *name = server_name(c->url ? c->url : "");

		err = crm_error_new(CRM_EXIT_USAGE, "smtp_url: expected "
		    "smtp://host:port or smtps://host:port, got \"%s\"", name);
		free(name);
		return err;
	}
	if ((err = tls_level(c, &level)) != NULL)
		return err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return crm_error_new(CRM_EXIT_FAIL, "libcurl: cannot "
		    "initialise");
	s = crm_xcalloc(1, sizeof(*s));
	if ((s->curl = curl_easy_init()) == NULL) {
		free(s);
		curl_global_cleanup();
		return crm_error_new(CRM_EXIT_FAIL, "libcurl: cannot "
		    "initialise");
	}
	s->server = server_name(c->url);
	if (c->password != NULL && *c->password != '\0')
		s->password = crm_xstrdup(c->password);
	s->trace = c->trace;
	s->trace_arg = c->trace_arg;
	setopts(s, c, level);
	*out = s;
	return NULL;
}

/* The error for a failed send: by the server's reply when it gave a
 * 4xx or 5xx, else by what libcurl says. */
static struct crm_error *
send_error(struct crm_smtp *s, CURLcode rc)
{
	char why[CURL_ERROR_SIZE + 8];
	const char *r = s->fail, *e;
	size_t n;

	if (*r != '\0')
		return crm_error_new(r[0] == '4' ? CRM_EXIT_TEMPFAIL :
		    CRM_EXIT_FAIL, "%s: %s: %s", s->server,
		    rc == CURLE_LOGIN_DENIED ? "login refused" : r[0] == '4' ?
		    "try again later" : "refused", r);
	e = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
	scrub(s, e, strlen(e), why, sizeof(why));
	/* libcurl's sentence as ours: lowercase, no final stop. */
	if ((n = strlen(why)) > 0 && why[n - 1] == '.')
		why[n - 1] = '\0';
	if (isupper((unsigned char)why[0]) && islower((unsigned char)why[1]))
		why[0] = (char)tolower((unsigned char)why[0]);
	switch (rc) {
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		/* No reply of 250: the server did not take it. */
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: the connection "
		    "was lost before the server took the message: %s",
		    s->server, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: %s", s->server,
		    why);
	case CURLE_LOGIN_DENIED:
		return crm_error_new(CRM_EXIT_FAIL, "%s: login refused: %s",
		    s->server, why);
	case CURLE_USE_SSL_FAILED:
		return crm_error_new(CRM_EXIT_FAIL, "%s: the server offers no "
		    "STARTTLS (smtp_tls is require%s)", s->server,
		    s->password != NULL ? ", the default with a password" : "");
	default:
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", s->server, why);
	}
}

struct crm_error *
crm_smtp_send(struct crm_smtp *s, const char *from, const char *const *rcpt,
    size_t nrcpt, const char *msg)
{
	struct curl_slist *to = NULL, *t;
	struct crm_error *err = NULL;
	char addr[512];
	CURLcode rc;
	size_t i;

	/* An envelope address is a command argument: no line breaks. */
	for (i = 0; i <= nrcpt; i++)
		if (strpbrk(i < nrcpt ? rcpt[i] : from, "\r\n<>") != NULL)
			return crm_error_new(CRM_EXIT_FAIL, "envelope: invalid "
			    "address \"%s\"", i < nrcpt ? rcpt[i] : from);
	for (i = 0; i < nrcpt; i++) {
		snprintf(addr, sizeof(addr), "<%s>", rcpt[i]);
		if ((t = curl_slist_append(to, addr)) == NULL) {
			curl_slist_free_all(to);
			return crm_error_new(CRM_EXIT_FAIL, "out of memory");
		}
		to = t;
	}
	snprintf(addr, sizeof(addr), "<%s>", from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, to);
	s->msg = msg;
	s->left = strlen(msg);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)s->left);
	s->reply[0] = s->fail[0] = s->errbuf[0] = '\0';
	s->in_auth = s->auth_fail = 0;
	if ((rc = curl_easy_perform(s->curl)) != CURLE_OK)
		err = send_error(s, rc);
	/* A refused login or TLS: no message of this session can go. */
	s->session_fail = rc == CURLE_LOGIN_DENIED ||
	    rc == CURLE_USE_SSL_FAILED || s->auth_fail;
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(to);
	return err;
}

const char *
crm_smtp_reply(const struct crm_smtp *s)
{
	return s->reply;
}

int
crm_smtp_in_doubt(const struct crm_smtp *s)
{
	return s->fail[0] == '\0' && s->left == 0 && !s->session_fail;
}

int
crm_smtp_refused(const struct crm_smtp *s)
{
	return s->fail[0] != '\0' && !s->session_fail;
}

const char *
crm_smtp_server(const struct crm_smtp *s)
{
	return s->server;
}

void
crm_smtp_free(struct crm_smtp *s)
{
	if (s == NULL)
		return;
	/* Cleanup sends QUIT on a connection still open. */
	curl_easy_cleanup(s->curl);
	curl_global_cleanup();
	if (s->password != NULL)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->server);
	free(s);
}
