/*
 * Post JSON to a webhook over HTTP(S), through libcurl: one session (one
 * CURL easy handle, so one kept-alive connection per server) for as many
 * posts as the caller makes, as a campaign does, one post a contact.
 *
 * Each post carries Content-Type: application/json, User-Agent:
 * crm/VERSION and an Idempotency-Key (the caller's, e.g.
 * "campaign-3.contact-17"), so that the receiver can drop a repeat: a
 * post in doubt is retried with the same key, and libcurl itself sends a
 * request again when a kept-alive connection turns out dead.
 *
 * Errors: a 2xx reply is success.  408, 425, 429 and 5xx, no connection,
 * a timeout or a lost connection are CRM_EXIT_TEMPFAIL (retry later, not
 * before crm_webhook_retry_after() seconds); any other reply is
 * CRM_EXIT_FAIL; bad settings or arguments are CRM_EXIT_USAGE.  The
 * message is one line naming the URL without credentials, query or
 * fragment, then the reply:
 * `https://hooks.example.org/crm: refused: 404 Not Found`.  Neither the
 * auth header nor the URL's password or query is ever part of an error.
 */
#ifndef CRM_WEBHOOK_H
#define CRM_WEBHOOK_H

#include "crm_error.h"

/* The settings; every string borrowed for crm_webhook_new(). */
struct crm_webhook_conf {
	const char	*url;		/* for crm_webhook_post() with no URL;
					   NULL: none (the URL is per
					   campaign) */
	const char	*auth_header;	/* "Authorization: Bearer x", sent
					   with every post, never shown;
					   NULL: none */
	long		 connect_timeout;	/* seconds; 0: 10 */
	long		 timeout;	/* seconds per post; 0: 30 */
};

/*
 * Fill c from the configuration (crm_config_get(): webhook_auth_header,
 * webhook_connect_timeout, webhook_timeout); the strings are borrowed
 * from the configuration.  c->url is left NULL: the URL belongs to each
 * campaign, not to the configuration.  A bad number of seconds is
 * CRM_EXIT_USAGE.
 */
struct crm_error *crm_webhook_conf_load(struct crm_webhook_conf *c);

struct crm_webhook;

/*
 * A session with the settings of c (c->url and c->auth_header checked
 * here, a bad one is CRM_EXIT_USAGE); it connects on the first post.  *w
 * is freed with crm_webhook_free().
 */
struct crm_error *crm_webhook_new(const struct crm_webhook_conf *c,
	    struct crm_webhook **w);

/*
 * POST json (the whole body, sent as is) to url, http:// or https://
 * only, or to the conf's url when url is NULL; a URL with a space or a
 * line break is CRM_EXIT_USAGE.  idempotency_key (no line breaks; NULL:
 * no header) is sent as Idempotency-Key.  The connection of the previous
 * post is reused when the server kept it.  A reply of 2xx returns NULL,
 * even when the connection broke in its body.
 */
struct crm_error *crm_webhook_post(struct crm_webhook *w, const char *url,
	    const char *json, const char *idempotency_key);

/* The HTTP status of the last post (200, 404 ...), 0 when no reply came. */
long	 crm_webhook_status(const struct crm_webhook *w);

/* The status line of the last post's reply ("HTTP/1.1 200 OK"), or "";
 * borrowed until the next post. */
const char *crm_webhook_reply(const struct crm_webhook *w);

/*
 * The seconds the server's Retry-After asked for in the last reply (as a
 * number of seconds or a date), capped at a day; 0 when it gave none.
 */
long	 crm_webhook_retry_after(const struct crm_webhook *w);

/*
 * Whether the last failed post is in doubt: the whole request went out
 * and no reply came (the connection was lost, or the timeout struck), so
 * the server may have acted on it.  A reply, or a failure before the
 * request was out (no connection, refused, DNS), is not in doubt.
 */
int	 crm_webhook_in_doubt(const struct crm_webhook *w);

/* Close the connection and free; NULL is fine. */
void	 crm_webhook_free(struct crm_webhook *w);

#endif
