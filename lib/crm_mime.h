/*
 * Incoming mail (crm-ticket ingest): a strict, bounded RFC 5322 / MIME
 * parser.  It reads one message held in memory (at most CRM_MIME_MAX
 * bytes; the caller truncates) in a single forward pass and never fails:
 * what it cannot make sense of becomes a problem in the result, so that
 * the caller can keep the message whole instead of dropping it.
 *
 * Headers are unfolded and RFC 2047 encoded words decoded (B and Q;
 * white space between adjacent encoded words dropped).  Multipart bodies
 * nest up to CRM_MIME_DEPTH levels and CRM_MIME_PARTS parts; transfer
 * encodings quoted-printable and base64 are decoded; text in UTF-8,
 * US-ASCII, ISO-8859-1 and Windows-1252 (lib/charset.c), or any charset
 * iconv(3) knows, comes out as UTF-8.  The body is the first text/plain
 * part that is not an attachment, else the first text/html one converted
 * to text.  A delivery report (multipart/report, or mail from
 * MAILER-DAEMON) is marked as a bounce, with the Message-ID of the
 * message it returns.  Attachments are recorded by name (RFC 2231 filename* and
 * RFC 2047 words decoded), type and decoded size, never kept.
 *
 * mime.c holds the structure (headers, parts), mime_text.c the decoders.
 */
#ifndef CRM_MIME_H
#define CRM_MIME_H

#include <stddef.h>

#include "crm_util.h"

#define CRM_MIME_MAX	(20 * 1024 * 1024)	/* bytes of a message */
#define CRM_MIME_DEPTH	16			/* multipart nesting */
#define CRM_MIME_PARTS	500			/* parts of a message */
#define CRM_MIME_HEADERS 500			/* headers of a part */
#define CRM_MIME_REFS	100			/* References kept */

struct crm_mime_attachment {
	char	*name;		/* UTF-8, or NULL when it has none */
	char	*type;		/* "application/pdf", lowercase */
	size_t	 size;		/* decoded bytes */
};

/* A parsed message; every string is UTF-8 and owned by it. */
struct crm_mime_msg {
	char		*subject;	/* NULL: no Subject */
	char		*from_name;	/* display name, NULL: none */
	char		*from_addr;	/* addr-spec, NULL: no usable From */
	char		*message_id;	/* "<id@host>", NULL: none */
	char		*in_reply_to;	/* the first msg-id, or NULL */
	struct crm_strv	 references;	/* msg-ids, oldest first */
	char		*date;		/* as written, or NULL */
	char		*content_type;	/* top level, "text/plain" */
	char		*body_type;	/* the chosen part's, or NULL */
	char		*body;		/* its decoded text, or NULL */
	char		*text;		/* body as plain text, or NULL */
	struct crm_mime_attachment *att;
	size_t		 natt;
	int		 bounce;	/* a delivery failure report */
	char		*enclosed_id;	/* Message-ID of the first message
					   (or its headers) it encloses */
	struct crm_strv	 problems;	/* what was wrong, for notes */
	int		 severe;	/* a problem that makes the parse
					   untrustworthy: keep it whole */
};

/*
 * Parse msg[0..len).  Always fills *m (release it with
 * crm_mime_msg_release()); problems go to m->problems.  No From, a
 * malformed top-level header or an unknown charset in the chosen part
 * set m->severe.
 */
void	 crm_mime_parse(const char *msg, size_t len, struct crm_mime_msg *m);
void	 crm_mime_msg_release(struct crm_mime_msg *m);

/* The decoders (mime_text.c); each appends to out. */

/* Quoted-printable (soft line breaks, =XX; a stray "=" kept as is). */
void	 crm_mime_qp_decode(const char *s, size_t n, struct crm_buf *out);
/* Base64, skipping anything outside the alphabet; stops at "=". */
void	 crm_mime_b64_decode(const char *s, size_t n, struct crm_buf *out);

/*
 * s[0..n) in charset (NULL: US-ASCII) as UTF-8.  Returns 0, or -1 when
 * the charset is unknown (then bytes over 0x7F become U+FFFD).  Bytes
 * invalid in the charset become U+FFFD.
 */
int	 crm_mime_to_utf8(const char *charset, const char *s, size_t n,
	    struct crm_buf *out);

/*
 * A header value with RFC 2047 encoded words decoded, as UTF-8 (raw
 * 8-bit text taken as UTF-8, else Windows-1252).  Returns -1 when an
 * encoded word names an unknown charset (its bytes then become U+FFFD).
 */
int	 crm_mime_words(const char *s, size_t n, struct crm_buf *out);

/* The end of the line at p (its '\n' or end), its length sans CR in *len. */
const char *crm_mime_line_end(const char *p, const char *end, size_t *len);
/* Is the line s[0..n) the delimiter "--" b[0..bl) (*close: "--" after)? */
int	 crm_mime_delimiter(const char *s, size_t n, const char *b, size_t bl,
	    int *close);

/*
 * Parameter name of a structured header value ("text/plain;
 * charset=utf-8"): RFC 2231 continuations and name*=charset''%XX text
 * included, RFC 2047 words decoded.  Returns 1 and appends the UTF-8
 * value to out when present, else 0.
 */
int	 crm_mime_param(const char *value, const char *name,
	    struct crm_buf *out);

/*
 * The first mailbox of an address list: the display name (may stay
 * empty) and the addr-spec.  Returns 0, or -1 when there is none.
 */
int	 crm_mime_address(const char *value, struct crm_buf *name,
	    struct crm_buf *addr);

/* HTML as plain text: tags dropped, blocks on their own lines, script
 * and style skipped, common entities decoded, blockquote lines marked
 * "> " as mail quotes them. */
void	 crm_mime_html_text(const char *s, size_t n, struct crm_buf *out);

/*
 * The new text of a reply: quoted lines ("> ..."), an attribution
 * ("On ... wrote:") before them, and everything from an Outlook
 * "-----Original Message-----" or "From: ... / Sent: ..." block on
 * removed, trailing blank lines dropped.  A malloc'd string for free();
 * NULL when nothing would be left (keep the text as it was).
 */
char	*crm_mime_strip_quotes(const char *text);

#endif
