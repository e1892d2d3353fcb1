/*
 * Delivery status notifications (RFC 3464, RFC 6522): the bounces that
 * campaign mail comes back as.  One whole RFC 5322 message in memory
 * (CRLF or LF line ends, an mbox "From " line allowed first) is searched
 * for a multipart/report whose report-type is delivery-status (or that
 * names none), at the top or nested in multipart parts; its
 * message/delivery-status (or RFC 6533 message/global-delivery-status)
 * part gives one entry per recipient, and its message/rfc822 or
 * text/rfc822-headers part the Message-ID of the bounced message.
 *
 * Like lib/mime.c this reads in one forward pass, never past len, with
 * nesting, parts, fields and recipients bounded; a truncated or broken
 * message gives what could be read.  Every string is valid UTF-8.
 *
 * An mbox of bounces is split by the caller; crm has no library splitter
 * yet (cmd/ticket_ingest.c has a static one, read_mbox()).
 */
#ifndef CRM_DSN_H
#define CRM_DSN_H

#include <stddef.h>

#include "crm_error.h"

#define CRM_DSN_RCPTS	1000	/* recipients kept from one report */
#define CRM_DSN_DIAG	500	/* bytes of a diagnostic, at most */
#define CRM_DSN_STATUS	12	/* "5.123.456" and the NUL */

struct crm_dsn_rcpt {
	char		*email;		/* Final-Recipient, else
					   Original-Recipient: addr-spec,
					   lowercase, no "rfc822;"; NULL
					   when neither is a valid address */
	char		*original;	/* Original-Recipient the same way,
					   or NULL */
	const char	*action;	/* "failed", "delayed", "delivered",
					   "relayed", "expanded" (static),
					   NULL: missing or another word */
	char		 status[CRM_DSN_STATUS];	/* "5.1.1"; "" when
					   missing or not d.d.d */
	char		*diagnostic;	/* Diagnostic-Code text without its
					   type ("smtp;"): one line, blanks
					   squeezed, control characters
					   removed, at most CRM_DSN_DIAG
					   bytes; NULL: none */
	int		 hard;		/* action failed, status 5.x.x */
};

/* What crm_dsn_parse() read; every string is owned by it. */
struct crm_dsn {
	int		 is_dsn;	/* a delivery-status part was found */
	struct crm_dsn_rcpt *rcpt;	/* in the order of the report */
	size_t		 n;
	char		*message_id;	/* of the bounced message, WITHOUT
					   angle brackets ("id@host"), or
					   NULL: from the enclosed message
					   or headers, else the report's
					   In-Reply-To, else the last of
					   its References */
	int		 truncated;	/* more than CRM_DSN_RCPTS recipients,
					   or the report's parts ended early:
					   the result is partial */
};

/*
 * Parse msg[0..len) into *out, which it fills in every case: free its
 * contents with crm_dsn_free().  A message that is not a delivery report
 * is no error: NULL, out->is_dsn = 0, out->n = 0.  Errors (out->is_dsn
 * says whether it was a report): a message of more than CRM_MIME_MAX
 * bytes (not read), a delivery-status part with no recipient in it
 * (CRM_EXIT_FAIL both).  The caller frees the error with
 * crm_error_free().
 */
struct crm_error *crm_dsn_parse(const char *msg, size_t len,
	    struct crm_dsn *out);

/* Free what d holds and leave it empty; NULL is fine.  d itself is the
 * caller's. */
void	 crm_dsn_free(struct crm_dsn *d);

#endif
