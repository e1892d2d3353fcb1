/*
 * Mail out over SMTP, through libcurl: one session (one CURL easy
 * handle, so one connection) for as many messages as the caller sends.
 *
 * The server is smtp://HOST[:PORT] (STARTTLS when the server offers it,
 * or always with smtp_tls = require) or smtps://HOST[:PORT] (TLS from
 * the start).  The user and password are never part of an error, a
 * trace line or an event.
 *
 * Errors: a 4xx reply, no connection, a timeout or a dropped connection
 * is CRM_EXIT_TEMPFAIL (retry later); a 5xx reply or a refused login is
 * CRM_EXIT_FAIL; bad settings are CRM_EXIT_USAGE.  The message is one
 * line naming the server (without credentials) and its reply:
 * `smtp://mx.example.org:587: refused: 550 5.1.1 unknown user`.
 */
#ifndef CRM_SMTP_H
#define CRM_SMTP_H

#include <stddef.h>

#include "crm_error.h"

/* The settings; every string borrowed for crm_smtp_new(). */
struct crm_smtp_conf {
	const char	*url;		/* smtp:// or smtps://; required */
	const char	*user;		/* NULL: no AUTH */
	const char	*password;
	const char	*tls;		/* "try", "require" or "none"; NULL:
					   require with a password, else
					   try */
	const char	*ca_file;	/* CA certificates, NULL: system's */
	long		 connect_timeout;	/* seconds; 0: 10 */
	long		 timeout;	/* seconds per message; 0: 60 */
	/* The conversation, a line at a time ("> MAIL FROM:<...>",
	 * "< 250 ok"), AUTH hidden; NULL: none. */
	void		(*trace)(const char *line, void *arg);
	void		*trace_arg;
};

/*
 * Fill c from the configuration (crm_config_get(): CRM_SMTP_URL or
 * smtp_url, and smtp_user, smtp_password, smtp_tls, smtp_ca_file,
 * smtp_connect_timeout, smtp_timeout); the strings are borrowed from
 * the configuration.  No URL is CRM_EXIT_USAGE.
 */
struct crm_error *crm_smtp_conf_load(struct crm_smtp_conf *c);

struct crm_smtp;

/*
 * A session with the server of c; it connects on the first send.  *s is
 * freed with crm_smtp_free().
 */
struct crm_error *crm_smtp_new(const struct crm_smtp_conf *c,
	    struct crm_smtp **s);

/*
 * Send msg (a whole message, CRLF line ends; dot-stuffing is done here)
 * from the envelope sender from to the nrcpt addresses rcpt, reusing
 * the connection of the previous send when the server kept it (libcurl
 * closes it after a refusal, so the next send connects again).
 */
struct crm_error *crm_smtp_send(struct crm_smtp *s, const char *from,
	    const char *const *rcpt, size_t nrcpt, const char *msg);

/* The server's last reply line ("250 2.0.0 Ok: queued as 1A2B"), or "";
 * borrowed until the next send. */
const char *crm_smtp_reply(const struct crm_smtp *s);

/*
 * Whether the last failed send is in doubt: the whole message went out
 * and the connection was lost before the server's reply, so the server
 * may have taken it.  A refusal, or a failure before the message was
 * complete, is not in doubt: the message was not delivered.
 */
int	 crm_smtp_in_doubt(const struct crm_smtp *s);

/*
 * Whether the last failed send was refused by the server (4xx, 5xx) for
 * its message; a refused login or STARTTLS is the session's, not this.
 */
int	 crm_smtp_refused(const struct crm_smtp *s);

/* The server as errors name it, "smtp://host:port" (no credentials). */
const char *crm_smtp_server(const struct crm_smtp *s);

/* Close the connection (QUIT) and free; NULL is fine. */
void	 crm_smtp_free(struct crm_smtp *s);

#endif
