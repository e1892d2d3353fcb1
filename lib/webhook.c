/*
 * A webhook session over libcurl: one easy handle kept for every post, so
 * that libcurl reuses its connection; the status line taken from the
 * header callback, what went out counted in the debug callback (to tell
 * a post in doubt from one that never left); errors mapped to exit
 * statuses.  See crm_webhook.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "crm_config.h"
#include "crm_util.h"
#include "crm_webhook.h"

#ifndef CRM_VERSION
#define CRM_VERSION "0"
#endif

struct crm_webhook {
	CURL		*curl;
	char		*url;		/* the conf's, NULL: none */
	char		*auth;		/* the whole header, NULL: none */
	const char	*auth_value;	/* in auth: what to scrub */
	char		*password;	/* of this post's URL, NULL: none */
	char		*name;		/* this post's URL, for messages */
	long		 timeout;
	long		 status;
	long		 retry_after;
	int		 head_out;	/* the request's head went out */
	curl_off_t	 body_out;	/* bytes of the body that went out */
	curl_off_t	 body_len;
	int		 in_doubt;
	char		 reply[256];	/* the last status line */
	char		 errbuf[CURL_ERROR_SIZE];
};

struct crm_error *
crm_webhook_conf_load(struct crm_webhook_conf *c)
{
	struct crm_error *err;

	memset(c, 0, sizeof(*c));
	c->auth_header = crm_config_get("webhook_auth_header", NULL, NULL);
	if (c->auth_header != NULL && *c->auth_header == '\0')
		c->auth_header = NULL;
	if ((err = crm_config_seconds("webhook_connect_timeout", 10,
	    &c->connect_timeout)) != NULL)
		return err;
	return crm_config_seconds("webhook_timeout", 30, &c->timeout);
}

/* c into b, a control character shown as \r, \n or ?. */
static void
add_shown(struct crm_buf *b, const char *p, size_t n)
{
	for (; n > 0; p++, n--) {
		if (*p == '\r')
			crm_buf_adds(b, "\\r");
		else if (*p == '\n')
			crm_buf_adds(b, "\\n");
		else if (iscntrl((unsigned char)*p))
			crm_buf_addch(b, '?');
		else
			crm_buf_addch(b, *p);
	}
}

/* "scheme://host[:port]/path" of url, without user, password, query or
 * fragment (a token in the query must not reach a log). */
static char *
url_name(const char *url)
{
	struct crm_buf b = CRM_BUF_INIT;
	const char *p = strstr(url, "://"), *host, *end, *at;

	if (p == NULL) {
		p = url + strcspn(url, "?#");
		add_shown(&b, url, (size_t)(p - url));
		return crm_buf_detach(&b);
	}
	host = p + 3;
	end = host + strcspn(host, "/?#");
	for (at = end; at > host && at[-1] != '@'; at--)
		;
	add_shown(&b, url, (size_t)(host - url));
	add_shown(&b, at, (size_t)(end - at));
	add_shown(&b, end, strcspn(end, "?#"));
	return crm_buf_detach(&b);
}

/* The password of url ("user:password@host"), NULL when it has none. */
static char *
url_password(const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *at, *colon;

	if (p == NULL)
		return NULL;
	host = p + 3;
	end = host + strcspn(host, "/?#");
	for (at = end; at > host && at[-1] != '@'; at--)
		;
	if (at == host || (colon = memchr(host, ':', (size_t)(at - host))) ==
	    NULL || colon + 2 >= at)
		return NULL;
	return crm_xstrndup(colon + 1, (size_t)(at - 1 - (colon + 1)));
}

static struct crm_error *
url_check(const char *url)
{
	struct crm_error *err = NULL;
	const char *p;
	char *name;

	if (url == NULL || *url == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "no webhook URL");
	name = url_name(url);
	for (p = url; *p != '\0'; p++)
		if (*p == ' ' || iscntrl((unsigned char)*p))
			break;
	if (*p != '\0')
		err = crm_error_new(CRM_EXIT_USAGE, "webhook_url: a space or "
		    "line break in \"%s\"", name);
	else if ((strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) ||
	    strchr("/?#@:", url[strcspn(url, ":") + 3]) != NULL)
		err = crm_error_new(CRM_EXIT_USAGE, "webhook_url: expected "
		    "http://host/path or https://host/path, got \"%s\"", name);
	free(name);
	return err;
}

/* "Name: value", one line; the value is never shown. */
static struct crm_error *
header_check(const char *h)
{
	size_t n = strcspn(h, ":");
	const char *p;

	for (p = h; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p) && *p != '\t')
			break;
	if (n == 0 || h[n] == '\0' || *p != '\0' ||
	    strcspn(h, " \t") < n)
		return crm_error_new(CRM_EXIT_USAGE, "webhook_auth_header: "
		    "expected one line \"Name: value\" (not shown here)");
	return NULL;
}

/* in without the secrets (shown as "****") and control characters, into
 * out. */
static void
scrub(const struct crm_webhook *w, const char *in, char *out, size_t outsz)
{
	const char *secret[2] = { w->auth_value, w->password };

	crm_scrub(in, strlen(in), secret, 2, out, outsz);
}

/* The status line of each reply ("HTTP/1.1 200 OK"), the last kept: a
 * 100 Continue may come first. */
static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct crm_webhook *w = arg;
	size_t n = size * nmemb, i, o = 0;

	if (n < 5 || strncmp(data, "HTTP/", 5) != 0)
		return n;
	for (i = 0; i < n && o + 1 < sizeof(w->reply); i++) {
		if (data[i] == '\r' || data[i] == '\n')
			break;
		w->reply[o++] = iscntrl((unsigned char)data[i]) ? ' ' : data[i];
	}
	w->reply[o] = '\0';
	return n;
}

/* The reply's body is not ours to keep (libcurl would print it). */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	return size * nmemb;
}

/* What went out, for crm_webhook_in_doubt(). */
static int
debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct crm_webhook *w = arg;

	if (type == CURLINFO_HEADER_OUT)
		w->head_out = 1;
	else if (type == CURLINFO_DATA_OUT)
		w->body_out += (curl_off_t)size;
	return 0;
}

static void
setopts(struct crm_webhook *w, const struct crm_webhook_conf *c)
{
	CURL *h = w->curl;

	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* HTTP/1.1 on https too: one post a connection at a time, and what
	 * went out is told by the debug callback. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    c->connect_timeout > 0 ? c->connect_timeout : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, w->timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "crm/" CRM_VERSION);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, w->errbuf);
	/* The debug callback is how libcurl shows what it sent. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, w);
}

struct crm_error *
crm_webhook_new(const struct crm_webhook_conf *c, struct crm_webhook **out)
{
	struct crm_webhook *w;
	struct crm_error *err;

	*out = NULL;
	if (c->url != NULL && (err = url_check(c->url)) != NULL)
		return err;
	if (c->auth_header != NULL && (err = header_check(c->auth_header)) !=
	    NULL)
		return err;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return crm_error_new(CRM_EXIT_FAIL, "libcurl: cannot "
		    "initialise");
	w = crm_xcalloc(1, sizeof(*w));
	if ((w->curl = curl_easy_init()) == NULL) {
		free(w);
		curl_global_cleanup();
		return crm_error_new(CRM_EXIT_FAIL, "libcurl: cannot "
		    "initialise");
	}
	if (c->url != NULL)
		w->url = crm_xstrdup(c->url);
	if (c->auth_header != NULL) {
		w->auth = crm_xstrdup(c->auth_header);
		w->auth_value = w->auth + strcspn(w->auth, ":") + 1;
		w->auth_value += strspn(w->auth_value, " \t");
	}
	w->timeout = c->timeout > 0 ? c->timeout : 30L;
	setopts(w, c);
	*out = w;
	return NULL;
}

/* The error for a reply that is not 2xx. */
static struct crm_error *
reply_error(struct crm_webhook *w)
{
	const char *r = strchr(w->reply, ' ');
	char st[24];
	long s = w->status;

	if (r == NULL || r[1] == '\0') {
		snprintf(st, sizeof(st), "%ld", s);
		r = st;
	} else {
		r++;
	}
	if (s == 408 || s == 425 || s == 429 || (s >= 500 && s <= 599))
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: try again later: "
		    "%s", w->name, r);
	if (s >= 400 && s <= 499)
		return crm_error_new(CRM_EXIT_FAIL, "%s: refused: %s",
		    w->name, r);
	return crm_error_new(CRM_EXIT_FAIL, "%s: unexpected reply: %s",
	    w->name, r);
}

/* The error for a post that had no reply, by what libcurl says. */
static struct crm_error *
post_error(struct crm_webhook *w, CURLcode rc)
{
	char why[CURL_ERROR_SIZE + 8];
	const char *e;
	long oserr = 0;
	size_t n;

	e = w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(w->curl, CURLINFO_OS_ERRNO, &oserr) ==
	    CURLE_OK && oserr != 0)
		e = strerror((int)oserr);
	scrub(w, e, why, sizeof(why));
	/* libcurl's sentence as ours: lowercase, no final stop. */
	if ((n = strlen(why)) > 0 && why[n - 1] == '.')
		why[n - 1] = '\0';
	if (isupper((unsigned char)why[0]) && islower((unsigned char)why[1]))
		why[0] = (char)tolower((unsigned char)why[0]);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return w->in_doubt ?
		    crm_error_new(CRM_EXIT_TEMPFAIL, "%s: no reply within %ld "
		    "s after the request went out", w->name, w->timeout) :
		    crm_error_new(CRM_EXIT_TEMPFAIL, "%s: timed out before "
		    "the request went out", w->name);
	if (w->in_doubt)
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: the connection "
		    "was lost after the request went out: %s", w->name, why);
	switch (rc) {
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: the connection "
		    "was lost before the request went out: %s", w->name, why);
	case CURLE_COULDNT_CONNECT:
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: cannot connect: "
		    "%s", w->name, why);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
		return crm_error_new(CRM_EXIT_TEMPFAIL, "%s: %s", w->name,
		    why);
	default:
		return crm_error_new(CRM_EXIT_FAIL, "%s: %s", w->name, why);
	}
}

/* The request's headers for one post; NULL when out of memory. */
static struct curl_slist *
headers(const struct crm_webhook *w, const char *key)
{
	struct curl_slist *l = NULL, *t;
	char line[512];
	const char *h[4];
	size_t i, n = 0;

	h[n++] = "Content-Type: application/json";
	/* No 100-continue round trip: webhook bodies are small. */
	h[n++] = "Expect:";
	if (w->auth != NULL)
		h[n++] = w->auth;
	if (key != NULL) {
		snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
		h[n++] = line;
	}
	for (i = 0; i < n; i++) {
		if ((t = curl_slist_append(l, h[i])) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

struct crm_error *
crm_webhook_post(struct crm_webhook *w, const char *url, const char *json,
    const char *key)
{
	struct crm_error *err = NULL;
	struct curl_slist *hdr;
	curl_off_t up = 0, ra = 0;
	CURLcode rc;

	if (url == NULL)
		url = w->url;
	if ((err = url_check(url)) != NULL)
		return err;
	if (key != NULL && (*key == '\0' || strlen(key) > 200 ||
	    strpbrk(key, "\r\n") != NULL))
		return crm_error_new(CRM_EXIT_USAGE, "idempotency key: "
		    "expected 1 to 200 characters on one line");
	if ((hdr = headers(w, key)) == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "out of memory");
	free(w->name);
	free(w->password);
	w->name = url_name(url);
	w->password = url_password(url);
	w->status = w->retry_after = 0;
	w->head_out = w->in_doubt = 0;
	w->body_out = 0;
	w->body_len = (curl_off_t)strlen(json);
	w->reply[0] = w->errbuf[0] = '\0';
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, w->body_len);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, json);
	rc = curl_easy_perform(w->curl);
	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
	if (curl_easy_getinfo(w->curl, CURLINFO_RETRY_AFTER, &ra) ==
	    CURLE_OK && ra > 0)
		w->retry_after = ra > 86400 ? 86400 : (long)ra;
	if (curl_easy_getinfo(w->curl, CURLINFO_SIZE_UPLOAD_T, &up) ==
	    CURLE_OK && up > w->body_out)
		w->body_out = up;
	if (w->status >= 300) {
		err = reply_error(w);
	} else if (w->status < 200 && rc != CURLE_OK) {
		/* No reply: in doubt once all of the request went out. */
		w->status = 0;
		w->in_doubt = w->head_out && w->body_out >= w->body_len;
		err = post_error(w, rc);
	} else if (w->status < 200) {
		err = crm_error_new(CRM_EXIT_FAIL, "%s: no status in the "
		    "reply", w->name);
	}
	/* The list is freed here: libcurl must not keep pointing at it. */
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	return err;
}

long
crm_webhook_status(const struct crm_webhook *w)
{
	return w->status;
}

const char *
crm_webhook_reply(const struct crm_webhook *w)
{
	return w->reply;
}

long
crm_webhook_retry_after(const struct crm_webhook *w)
{
	return w->retry_after;
}

int
crm_webhook_in_doubt(const struct crm_webhook *w)
{
	return w->in_doubt;
}

void
crm_webhook_free(struct crm_webhook *w)
{
	if (w == NULL)
		return;
	curl_easy_cleanup(w->curl);
	curl_global_cleanup();
	if (w->auth != NULL)
		explicit_bzero(w->auth, strlen(w->auth));
	if (w->password != NULL)
		explicit_bzero(w->password, strlen(w->password));
	free(w->auth);
	free(w->password);
	free(w->name);
	free(w->url);
	free(w);
}
