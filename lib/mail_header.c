/*
 * Mail headers: unstructured text and display names as RFC 2047 encoded
 * words where needed, folded at 78 columns; addresses checked; msg-ids.
 * See crm_mail.h; the composer is mail.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_email.h"
#include "crm_mail.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "mail_int.h"

#define COLS		78	/* fold header lines at this width */
#define WORD_MAX	60	/* a longer plain word is encoded, to fold */
#define EW_MAX		75	/* RFC 2047: an encoded word's length */
#define EW_OVERHEAD	12	/* "=?UTF-8?Q?" and "?=" */

/* Header lines being written, with the column of the current one. */
struct fold {
	struct crm_buf	*b;
	size_t		 col;
};

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* Add one token after a space, or after a fold when it would not fit. */
static void
fold_token(struct fold *f, const char *s, size_t n)
{
	if (f->col + 1 + n > COLS && f->col > 0) {
		crm_buf_adds(f->b, "\r\n");
		f->col = 0;
	}
	crm_buf_addch(f->b, ' ');
	crm_buf_add(f->b, s, n);
	f->col += 1 + n;
}

/* The Q encoding of byte c (RFC 2047 5(3), safe in a phrase too). */
static size_t
q_byte(unsigned char c, char out[4])
{
	if (isalnum(c) || (c != '\0' && strchr("!*+-/", c) != NULL)) {
		out[0] = (char)c;
		return 1;
	}
	if (c == ' ') {
		out[0] = '_';
		return 1;
	}
	snprintf(out, 4, "=%02X", c);
	return 3;
}

/* The length of the UTF-8 character that starts with byte c. */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return c >= 0xc0 ? 2 : 1;
}

/*
 * s[0..n) as encoded words, each filling what is left of the line (and
 * at most EW_MAX), never splitting a character.
 */
static void
fold_encoded(struct fold *f, const char *s, size_t n)
{
	struct crm_buf ew = CRM_BUF_INIT;
	char enc[16];
	size_t i = 0, avail, k, len, clen;

	while (i < n) {
		avail = COLS - f->col - 1;
		if (f->col >= COLS - 1 || avail < EW_OVERHEAD + 12) {
			crm_buf_adds(f->b, "\r\n");
			f->col = 0;
			avail = COLS - 1;
		}
		if (avail > EW_MAX)
			avail = EW_MAX;
		crm_buf_reset(&ew);
		crm_buf_adds(&ew, "=?UTF-8?Q?");
		while (i < n) {
			clen = utf8_len((unsigned char)s[i]);
			if (clen > n - i)
				clen = n - i;
			for (k = len = 0; k < clen; k++)
				len += q_byte((unsigned char)s[i + k],
				    enc + len);
			if (ew.len + len + 2 > avail && ew.len > 10)
				break;
			crm_buf_add(&ew, enc, len);
			i += clen;
		}
		crm_buf_adds(&ew, "?=");
		fold_token(f, ew.buf, ew.len);
	}
	crm_buf_release(&ew);
}

/* A word that cannot go as it is: non-ASCII, a control, "=?", long. */
static int
needs_encoding(const char *w, size_t n)
{
	size_t i;

	if (n > WORD_MAX)
		return 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)w[i] >= 0x7f || (unsigned char)w[i] < 0x20 ||
		    (w[i] == '=' && i + 1 < n && w[i + 1] == '?'))
			return 1;
	return 0;
}

/*
 * Unstructured text: plain words as they are, each run of words that
 * need encoding (with the blanks between them, which encoded words
 * would lose) as encoded words.  Blanks between plain words become one
 * space.
 */
static void
fold_text(struct fold *f, const char *s)
{
	const char *p = s, *w, *run = NULL, *run_end = NULL;

	for (;;) {
		while (blank(*p))
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && !blank(*p); p++)
			;
		if (needs_encoding(w, (size_t)(p - w))) {
			if (run == NULL)
				run = w;
			run_end = p;
			continue;
		}
		if (run != NULL)
			fold_encoded(f, run, (size_t)(run_end - run));
		run = NULL;
		fold_token(f, w, (size_t)(p - w));
	}
	if (run != NULL)
		fold_encoded(f, run, (size_t)(run_end - run));
}

/* A header value must be UTF-8 without CR or LF: no header injection. */
/* A header's name as messages say it: "subject". */
static const char *
lower(const char *field, char what[64])
{
	size_t i;

	for (i = 0; field[i] != '\0' && i + 1 < 64; i++)
		what[i] = (char)tolower((unsigned char)field[i]);
	what[i] = '\0';
	return what;
}

static struct crm_error *
check_value(const char *field, const char *s)
{
	char what[64];

	lower(field, what);
	if (s == NULL || *s == '\0')
		return crm_error_new(CRM_EXIT_FAIL, "%s: empty", what);
	if (strpbrk(s, "\r\n") != NULL)
		return crm_error_new(CRM_EXIT_FAIL, "%s: CR or LF in a header "
		    "value", what);
	if (!crm_utf8_check(s, strlen(s), NULL))
		return crm_error_new(CRM_EXIT_FAIL, "%s: invalid UTF-8", what);
	return NULL;
}

struct crm_error *
crm_mail_header_add(struct crm_buf *b, const char *name, const char *value)
{
	struct fold f = { b, 0 };
	struct crm_error *err;

	if ((err = check_value(name, value)) != NULL)
		return err;
	crm_buf_addf(b, "%s:", name);
	f.col = strlen(name) + 1;
	fold_text(&f, value);
	crm_buf_adds(b, "\r\n");
	return NULL;
}

/* An ASCII value that must not be encoded (a URL list): folded only. */
static void
fold_raw(struct fold *f, const char *s)
{
	const char *p = s, *w;

	for (;;) {
		while (blank(*p))
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && !blank(*p); p++)
			;
		fold_token(f, w, (size_t)(p - w));
	}
}

static int
atext(unsigned char c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/* A display name: atoms, a quoted string, or encoded words. */
static void
fold_phrase(struct fold *f, const char *name)
{
	struct crm_buf q = CRM_BUF_INIT;
	const char *p;
	size_t n;
	int atoms = 1, ascii = 1;

	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x7f || (unsigned char)*p < 0x20)
			ascii = 0;
		else if (!atext((unsigned char)*p) && !blank(*p))
			atoms = 0;
	}
	n = strlen(name);
	if (ascii && atoms && strstr(name, "=?") == NULL) {
		fold_text(f, name);
	} else if (ascii && n <= WORD_MAX) {
		crm_buf_addch(&q, '"');
		for (p = name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				crm_buf_addch(&q, '\\');
			crm_buf_addch(&q, *p);
		}
		crm_buf_addch(&q, '"');
		fold_token(f, q.buf, q.len);
	} else {
		while (blank(*name))
			name++;
		for (n = strlen(name); n > 0 && blank(name[n - 1]); n--)
			;
		fold_encoded(f, name, n);
	}
	crm_buf_release(&q);
}

/* Check an address: normalised into out, ASCII only. */
struct crm_error *
mail_check_email(const char *field, const char *s, char out[CRM_EMAIL_MAX])
{
	struct crm_error *err;
	const char *why, *p;
	char what[64];

	lower(field, what);
	if ((err = check_value(what, s)) != NULL)
		return err;
	if (crm_email_normalize(s, out, CRM_EMAIL_MAX, &why) != 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: invalid email \"%s\": "
		    "%s", what, s, why);
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return crm_error_new(CRM_EXIT_FAIL, "%s: \"%s\": a "
			    "non-ASCII address needs SMTPUTF8, which crm does "
			    "not send", what, s);
	return NULL;
}

struct crm_error *
mail_add_addrs(struct crm_buf *b, const char *name,
    const struct crm_mail_addr *a, size_t n)
{
	struct fold f = { b, 0 };
	struct crm_error *err = NULL;
	char email[CRM_EMAIL_MAX], tok[CRM_EMAIL_MAX + 4];
	size_t i;

	if (n == 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: no address", name);
	crm_buf_addf(b, "%s:", name);
	f.col = strlen(name) + 1;
	for (i = 0; i < n && err == NULL; i++) {
		if ((err = mail_check_email(name, a[i].email, email)) != NULL ||
		    (a[i].name != NULL && *a[i].name != '\0' &&
		    (err = check_value(name, a[i].name)) != NULL))
			break;
		if (a[i].name != NULL && *a[i].name != '\0')
			fold_phrase(&f, a[i].name);
		snprintf(tok, sizeof(tok), "<%s>%s", email,
		    i + 1 < n ? "," : "");
		fold_token(&f, tok, strlen(tok));
	}
	crm_buf_adds(b, "\r\n");
	return err;
}

int
crm_mail_msgid(const char *s, char *out, size_t outsz)
{
	const char *e, *at = NULL, *p;

	while (blank(*s))
		s++;
	for (e = s + strlen(s); e > s && blank(e[-1]); e--)
		;
	if (e - s >= 2 && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	for (p = s; p < e; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '<' || *p == '>')
			return -1;
		if (*p == '@')
			at = p;
	}
	if (at == NULL || at == s || at + 1 == e ||
	    (size_t)(e - s) + 3 > outsz)
		return -1;
	snprintf(out, outsz, "<%.*s>", (int)(e - s), s);
	return 0;
}

/* In-Reply-To and References: msg-ids, folded between them. */
struct crm_error *
mail_add_ids(struct crm_buf *b, const char *name, const char *const *ids,
    size_t n)
{
	struct fold f = { b, 0 };
	char id[1000];
	size_t i;

	if (n == 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (ids[i] == NULL || crm_mail_msgid(ids[i], id,
		    sizeof(id)) != 0)
			return crm_error_new(CRM_EXIT_FAIL, "%s: invalid "
			    "message id \"%s\"", name[0] == 'I' ?
			    "in-reply-to" : "references",
			    ids[i] ? ids[i] : "");
	crm_buf_addf(b, "%s:", name);
	f.col = strlen(name) + 1;
	for (i = 0; i < n; i++) {
		crm_mail_msgid(ids[i], id, sizeof(id));
		fold_token(&f, id, strlen(id));
	}
	crm_buf_adds(b, "\r\n");
	return NULL;
}

/* The composer's own headers, which extra headers may not repeat. */
static const char *const own[] = {
	"date", "from", "to", "subject", "message-id", "in-reply-to",
	"references", "mime-version", "content-type",
	"content-transfer-encoding", NULL
};

struct crm_error *
mail_add_extra(struct crm_buf *b, const struct crm_mail_header *h)
{
	struct fold f = { b, 0 };
	struct crm_error *err;
	const char *const *o;
	const char *p;

	for (p = h->name; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127 ||
		    *p == ':')
			break;
	if (h->name == NULL || *h->name == '\0' || *p != '\0' ||
	    p - h->name > 76)
		return crm_error_new(CRM_EXIT_FAIL, "invalid header name "
		    "\"%s\"", h->name ? h->name : "");
	for (o = own; *o != NULL; o++)
		if (strcasecmp(*o, h->name) == 0)
			return crm_error_new(CRM_EXIT_FAIL, "header \"%s\": "
			    "set by the composer", h->name);
	if ((err = check_value(h->name, h->value)) != NULL)
		return err;
	for (p = h->value; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x7f || (unsigned char)*p < 0x20)
			break;
	if (*p != '\0')
		return crm_mail_header_add(b, h->name, h->value);
	crm_buf_addf(b, "%s:", h->name);
	f.col = strlen(h->name) + 1;
	fold_raw(&f, h->value);
	crm_buf_adds(b, "\r\n");
	return NULL;
}

/* The display name of "Name <addr>": unquoted, trimmed; NULL if none. */
static char *
display_name(const char *s, size_t n)
{
	struct crm_buf b = CRM_BUF_INIT;
	size_t i;

	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
		for (i = 0; i < n; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			crm_buf_addch(&b, s[i]);
		}
	} else {
		crm_buf_add(&b, s, n);
	}
	if (b.len == 0) {
		crm_buf_release(&b);
		return NULL;
	}
	return crm_buf_detach(&b);
}

struct crm_error *
crm_mail_addr_parse(const char *s, char **name, char **email)
{
	char out[CRM_EMAIL_MAX], *addr;
	const char *lt, *gt;
	struct crm_error *err;

	*name = *email = NULL;
	if ((err = check_value("address", s)) != NULL)
		return err;
	if ((lt = strrchr(s, '<')) == NULL) {
		addr = crm_xstrdup(s);
	} else {
		if ((gt = strchr(lt, '>')) == NULL || gt[1 + strspn(gt + 1,
		    " \t")] != '\0')
			return crm_error_new(CRM_EXIT_FAIL, "address \"%s\": "
			    "expected \"Name <email>\"", s);
		addr = crm_xstrndup(lt + 1, (size_t)(gt - lt - 1));
		*name = display_name(s, (size_t)(lt - s));
	}
	err = mail_check_email("address", addr, out);
	free(addr);
	if (err != NULL) {
		free(*name);
		*name = NULL;
		return err;
	}
	*email = crm_xstrdup(out);
	return NULL;
}
