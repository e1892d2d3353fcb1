/*
 * Mail out: composing RFC 5322 / MIME messages for SMTP (crm_smtp.h).
 * A message has Date, Message-ID, From, To, Subject, optionally
 * In-Reply-To, References and extra headers (List-Unsubscribe ...),
 * MIME-Version and a UTF-8 text/plain body, or a multipart/alternative
 * of text and HTML.  Lines end in CRLF.  Header values with non-ASCII
 * text become RFC 2047 encoded words; every header is folded at 78
 * columns.  A body that is ASCII with lines of at most 998 octets goes
 * as 7bit, any other as quoted-printable, so that no 8BITMIME is needed.
 * Dot-stuffing is left to the SMTP layer (libcurl does it).
 *
 * Header injection is refused: a CR or LF in any header value (a name,
 * a subject, an address, an extra header) is an error and no message is
 * made.  Addresses are checked with crm_email_normalize() and must be
 * ASCII (no SMTPUTF8).
 */
#ifndef CRM_MAIL_H
#define CRM_MAIL_H

#include <stddef.h>
#include <time.h>

#include "crm_error.h"
#include "crm_util.h"

/* An address: a display name (UTF-8, may be NULL) and an addr-spec. */
struct crm_mail_addr {
	const char	*name;
	const char	*email;
};

/* An extra header; the value is ASCII text or is encoded as Subject. */
struct crm_mail_header {
	const char	*name;
	const char	*value;
};

/* A message to compose; every pointer borrowed, NULL when not given. */
struct crm_mail {
	struct crm_mail_addr		 from;		/* required */
	const struct crm_mail_addr	*to;		/* required, nto >= 1 */
	size_t				 nto;
	const char			*subject;	/* required */
	const char			*text;		/* required, UTF-8 */
	const char			*html;		/* an alternative */
	const char			*in_reply_to;	/* a msg-id */
	const char *const		*references;	/* msg-ids, oldest
							   first */
	size_t				 nreferences;
	const struct crm_mail_header	*headers;	/* extra headers */
	size_t				 nheaders;
	const char			*domain;	/* the Message-ID's;
							   NULL: From's */
	time_t				 date;		/* 0: now */
	const char			*msgid_left;	/* the Message-ID's
							   left part; NULL:
							   time and random */
};

/*
 * Compose m.  *msg is the message (CRLF line ends, NUL-terminated) and
 * *msgid its Message-ID with the angle brackets ("<x@domain>"), both
 * the caller's to free(); both NULL on error.  An error is CRM_EXIT_FAIL
 * naming the field: `subject: CR or LF in a header value`.
 */
struct crm_error *crm_mail_compose(const struct crm_mail *m, char **msg,
	    char **msgid);

/*
 * Parse an address as people write it: "addr", "<addr>", "Name <addr>"
 * or "\"Name\" <addr>".  *name (NULL when none) and *email are the
 * caller's to free(); the email is normalised.
 */
struct crm_error *crm_mail_addr_parse(const char *s, char **name,
	    char **email);

/*
 * A msg-id as found in a database or a header, with or without angle
 * brackets and blanks around it, into out as "<left@right>".  Returns 0,
 * or -1 when it is not one (blanks, controls or brackets inside, no
 * "@", longer than outsz allows).
 */
int	 crm_mail_msgid(const char *s, char *out, size_t outsz);

/*
 * The pieces, for tests and for other composers: a header "Name: value"
 * with value encoded (RFC 2047, when needed) and folded, ending in CRLF;
 * quoted-printable of s[0..n); the RFC 5322 date of t in UTC.
 */
struct crm_error *crm_mail_header_add(struct crm_buf *b, const char *name,
	    const char *value);
void	 crm_mail_qp(struct crm_buf *b, const char *s, size_t n);
#define CRM_MAIL_DATE_LEN 40
void	 crm_mail_date(time_t t, char out[CRM_MAIL_DATE_LEN]);

#endif
