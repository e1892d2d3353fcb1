/*
 * Delivery status notifications (crm_dsn.h): the multipart/report is
 * found by walking the MIME structure, its delivery-status body read as
 * blocks of header-like fields, one block per recipient.  The decoders
 * and parameter parsing are lib/mime_text.c's; the walk is a small one
 * of its own, since crm_mime_parse() keeps no parts.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_dsn.h"
#include "crm_email.h"
#include "crm_error.h"
#include "crm_mime.h"
#include "crm_stream.h"
#include "crm_util.h"

#define FIELDS_MAX	CRM_MIME_HEADERS	/* fields of one block */
#define VALUE_MAX	65536			/* bytes of one field */

struct field {
	char		*name;
	struct crm_buf	 value;		/* unfolded, raw bytes */
};

struct fields {
	struct field	*v;
	size_t		 n;
};

/* The walk over one message. */
struct walk {
	struct crm_dsn	*d;
	size_t		 nparts;
	int		 found;		/* a report was read */
};

static const char *const actions[] = {
	"failed", "delayed", "delivered", "relayed", "expanded"
};

static void
fields_free(struct fields *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].name);
		crm_buf_release(&f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static const char *
field_get(const struct fields *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcasecmp(f->v[i].name, name) == 0)
			return crm_buf_str(&f->v[i].value);
	return NULL;
}

/* Add the field line s[0..n) ("Name: value"); -1 when it is not one. */
static int
add_field(struct fields *f, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i, nl, v;

	if (colon == NULL)
		return -1;
	for (nl = (size_t)(colon - s); nl > 0 && (s[nl - 1] == ' ' ||
	    s[nl - 1] == '\t'); nl--)
		;
	if (nl == 0)
		return -1;
	for (i = 0; i < nl; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
			return -1;
	if (f->n >= FIELDS_MAX)
		return 0;
	for (v = (size_t)(colon - s) + 1; v < n && (s[v] == ' ' ||
	    s[v] == '\t'); v++)
		;
	f->v = crm_xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	f->v[f->n].name = crm_xstrndup(s, nl);
	crm_buf_init(&f->v[f->n].value);
	crm_buf_add(&f->v[f->n].value, s + v, n - v);
	f->n++;
	return 0;
}

/*
 * One block of fields at p (a header block, or a group of a
 * delivery-status body) into f; returns where the block ends, after its
 * blank line.  A line that is not a field ends the block there.
 */
static const char *
parse_fields(const char *p, const char *end, struct fields *f, int top)
{
	const char *e;
	struct crm_buf *last;
	size_t len;
	int first = 1;

	for (; p < end; p = e < end ? e + 1 : end, first = 0) {
		e = crm_mime_line_end(p, end, &len);
		if (len == 0)
			return e < end ? e + 1 : end;
		if (top && first && len > 5 && strncmp(p, "From ", 5) == 0)
			continue;	/* an mbox "From " line */
		if (*p == ' ' || *p == '\t') {
			if (f->n == 0)
				continue;
			last = &f->v[f->n - 1].value;
			if (last->len + len <= VALUE_MAX)
				crm_buf_add(last, p, len);
			continue;
		}
		if (add_field(f, p, len) != 0)
			return p;
	}
	return end;
}

/* The media type of a Content-Type value, lowercase, or deftype. */
static char *
media_type(const char *v, const char *deftype)
{
	size_t i, n;
	char *t;

	if (v == NULL)
		return crm_xstrdup(deftype);
	while (isspace((unsigned char)*v))
		v++;
	for (n = 0; v[n] != '\0' && v[n] != ';' &&
	    !isspace((unsigned char)v[n]); n++)
		;
	if (n == 0 || memchr(v, '/', n) == NULL)
		return crm_xstrdup(deftype);
	t = crm_xstrndup(v, n);
	for (i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	return t;
}

/* The body p..end, transfer-decoded, into out. */
static void
decode(const char *cte, const char *p, const char *end,
    struct crm_buf *out)
{
	size_t n = (size_t)(end - p);

	while (cte != NULL && isspace((unsigned char)*cte))
		cte++;
	if (cte != NULL && strncasecmp(cte, "base64", 6) == 0)
		crm_mime_b64_decode(p, n, out);
	else if (cte != NULL && strncasecmp(cte, "quoted-printable", 16) ==
	    0)
		crm_mime_qp_decode(p, n, out);
	else
		crm_buf_add(out, p, n);
}

/* s as valid UTF-8 text (8-bit bytes that are not: Windows-1252),
 * control characters (C0, DEL, C1) dropped, white space squeezed. */
static void
clean_text(const char *s, size_t n, struct crm_buf *out)
{
	struct crm_buf u = CRM_BUF_INIT;
	unsigned char c;
	size_t i;
	int blank = 0;

	crm_mime_to_utf8("us-ascii", s, n, &u);
	for (i = 0; i < u.len; i++) {
		c = (unsigned char)u.buf[i];
		if (c == 0xc2 && i + 1 < u.len &&
		    (unsigned char)u.buf[i + 1] < 0xa0) {
			i++;	/* U+0080..U+009F */
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			blank = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (blank && out->len > 0)
			crm_buf_addch(out, ' ');
		blank = 0;
		crm_buf_addch(out, (char)c);
	}
	crm_buf_release(&u);
}

/* A msg-id without its brackets, valid UTF-8 and no blanks, or NULL. */
static char *
msg_id(const char *v, int last)
{
	const char *p, *q, *a = NULL, *b = NULL;
	size_t i, n;

	for (p = v; (p = strchr(p, '<')) != NULL; p = q + 1) {
		if ((q = strchr(p + 1, '>')) == NULL)
			break;
		if (q - p > 1 && q - p <= 996) {
			a = p + 1;
			b = q;
			if (!last)
				break;
		}
	}
	if (a == NULL) {
		/* Some MTAs drop the brackets. */
		while (isspace((unsigned char)*v))
			v++;
		for (n = 0; v[n] != '\0' && !isspace((unsigned char)v[n]);
		    n++)
			;
		if (n == 0 || n > 995 || memchr(v, '@', n) == NULL)
			return NULL;
		a = v;
		b = v + n;
	}
	n = (size_t)(b - a);
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= 32 || a[i] == 0x7f || a[i] == '<')
			return NULL;
	if (!crm_utf8_check(a, n, NULL))
		return NULL;
	return crm_xstrndup(a, n);
}

/* The address of a recipient field ("rfc822; Bob@Example.com"),
 * normalised and lowercase, or NULL. */
static char *
address(const char *v)
{
	char buf[CRM_EMAIL_MAX], *s, *p, *out = NULL;
	const char *semi;
	size_t n;

	if (v == NULL)
		return NULL;
	if ((semi = strchr(v, ';')) != NULL) {
		n = (size_t)(semi - v);
		while (n > 0 && isspace((unsigned char)v[n - 1]))
			n--;
		while (n > 0 && isspace((unsigned char)*v))
			v++, n--;
		/* RFC 6533's utf-8 type holds the same addr-spec. */
		if (!(n == 6 && strncasecmp(v, "rfc822", 6) == 0) &&
		    !(n == 5 && strncasecmp(v, "utf-8", 5) == 0))
			return NULL;
		v = semi + 1;
	}
	s = crm_trim(crm_xstrdup(v));
	p = s;
	if (*p == '<' && (n = strlen(p)) > 1 && p[n - 1] == '>') {
		p[n - 1] = '\0';
		p++;
	}
	if (crm_utf8_check(p, strlen(p), NULL) &&
	    crm_email_normalize(p, buf, sizeof(buf), NULL) == 0) {
		for (p = buf; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		out = crm_xstrdup(buf);
	}
	free(s);
	return out;
}

/* Status "d.d.d" (class 2, 4 or 5; then 1 to 3 digits twice) into st. */
static void
status(const char *v, char st[CRM_DSN_STATUS])
{
	size_t i = 0, k, n;
	int part;

	st[0] = '\0';
	if (v == NULL)
		return;
	while (isspace((unsigned char)*v))
		v++;
	if (v[0] != '2' && v[0] != '4' && v[0] != '5')
		return;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (v[i++] != '.')
			return;
		for (k = i; isdigit((unsigned char)v[k]) && k - i < 4; k++)
			;
		if (k == i || k - i > 3)
			return;
		i = k;
	}
	if (v[i] != '\0' && !isspace((unsigned char)v[i]) && v[i] != '(' &&
	    v[i] != ';')
		return;
	n = i < CRM_DSN_STATUS ? i : CRM_DSN_STATUS - 1;
	memcpy(st, v, n);
	st[n] = '\0';
}

static const char *
action(const char *v)
{
	size_t i, n;

	if (v == NULL)
		return NULL;
	while (isspace((unsigned char)*v))
		v++;
	for (n = 0; isalpha((unsigned char)v[n]); n++)
		;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (n == strlen(actions[i]) && strncasecmp(v, actions[i], n) ==
		    0)
			return actions[i];
	return NULL;
}

/* The text of a Diagnostic-Code without its type, or NULL. */
static char *
diagnostic(const char *v)
{
	struct crm_buf b = CRM_BUF_INIT;
	const char *semi;
	size_t n;

	if (v == NULL)
		return NULL;
	if ((semi = strchr(v, ';')) != NULL) {
		for (n = 0; isalnum((unsigned char)v[n]) || v[n] == '-'; n++)
			;
		while (isspace((unsigned char)v[n]))
			n++;
		if (v + n == semi)
			v = semi + 1;
	}
	clean_text(v, strlen(v), &b);
	if (b.len > CRM_DSN_DIAG) {
		/* Not in the middle of a character. */
		n = CRM_DSN_DIAG;
		while (n > 0 && ((unsigned char)b.buf[n] & 0xc0) == 0x80)
			n--;
		b.buf[n] = '\0';
		b.len = n;
	}
	if (b.len == 0) {
		crm_buf_release(&b);
		return NULL;
	}
	return crm_buf_detach(&b);
}

static void
recipient(struct walk *w, const struct fields *f)
{
	struct crm_dsn *d = w->d;
	struct crm_dsn_rcpt *r;
	const char *fr = field_get(f, "final-recipient"),
	    *orig = field_get(f, "original-recipient");

	if (d->n >= CRM_DSN_RCPTS) {
		d->truncated = 1;
		return;
	}
	d->rcpt = crm_xrealloc(d->rcpt, (d->n + 1) * sizeof(*d->rcpt));
	r = &d->rcpt[d->n++];
	memset(r, 0, sizeof(*r));
	r->original = address(orig);
	r->email = address(fr);
	if (r->email == NULL && r->original != NULL)
		r->email = crm_xstrdup(r->original);
	r->action = action(field_get(f, "action"));
	status(field_get(f, "status"), r->status);
	r->diagnostic = diagnostic(field_get(f, "diagnostic-code"));
	r->hard = r->action != NULL && strcmp(r->action, "failed") == 0 &&
	    r->status[0] == '5';
}

/* A delivery-status body: the per-message block, then one per
 * recipient; any block naming a recipient or an action is one. */
static void
delivery_status(struct walk *w, const char *p, const char *end)
{
	struct fields f = { NULL, 0 };
	const char *next, *e;
	size_t len;

	while (p < end) {
		next = parse_fields(p, end, &f, 0);
		if (field_get(&f, "final-recipient") != NULL ||
		    field_get(&f, "original-recipient") != NULL ||
		    field_get(&f, "action") != NULL)
			recipient(w, &f);
		fields_free(&f);
		if (next == p) {
			/* Not a field: skip the line. */
			e = crm_mime_line_end(p, end, &len);
			next = e < end ? e + 1 : end;
		}
		p = next;
	}
}

/* The Message-ID of an enclosed message or its headers. */
static void
enclosed(struct walk *w, const char *p, const char *end)
{
	struct fields f = { NULL, 0 };
	const char *v;

	parse_fields(p, end, &f, 0);
	if ((v = field_get(&f, "message-id")) != NULL)
		w->d->message_id = msg_id(v, 0);
	fields_free(&f);
}

static void part(struct walk *w, const char *p, const char *end,
	    int depth, int report, const struct fields *top);

/* The parts of a multipart body p..end with boundary b. */
static void
multipart(struct walk *w, const char *p, const char *end, int depth,
    const char *b, int report)
{
	const char *start = NULL, *e, *stop;
	size_t len, bl = strlen(b);
	int close = 0;

	while (p < end && !close && !w->found) {
		e = crm_mime_line_end(p, end, &len);
		if (crm_mime_delimiter(p, len, b, bl, &close)) {
			if (start != NULL) {
				/* The line end before a delimiter is its. */
				stop = p > start && p[-1] == '\n' ? p - 1 : p;
				if (stop > start && stop[-1] == '\r')
					stop--;
				part(w, start, stop, depth + 1, report, NULL);
			}
			start = e < end ? e + 1 : end;
		}
		p = e < end ? e + 1 : end;
	}
	if (close || start == NULL || w->found)
		return;
	/* No closing delimiter: cut short. */
	if (report)
		w->d->truncated = 1;
	if (start < end)
		part(w, start, end, depth + 1, report, NULL);
}

/*
 * A part p..end (its headers top when already read).  report: it is a
 * child of the delivery report, where the status and the enclosed
 * message are.
 */
static void
part(struct walk *w, const char *p, const char *end, int depth,
    int report, const struct fields *top)
{
	struct fields own = { NULL, 0 };
	const struct fields *h = top != NULL ? top : &own;
	struct crm_buf b = CRM_BUF_INIT, rt = CRM_BUF_INIT;
	const char *body = p, *ct;
	char *type;
	int is_report;

	if (++w->nparts > CRM_MIME_PARTS)
		return;
	if (top == NULL)
		body = parse_fields(p, end, &own, 0);
	ct = field_get(h, "content-type");
	type = media_type(ct, "text/plain");
	is_report = strcmp(type, "multipart/report") == 0 &&
	    (!crm_mime_param(ct, "report-type", &rt) ||
	    strcasecmp(crm_buf_str(&rt), "delivery-status") == 0);
	if (strncmp(type, "multipart/", 10) == 0) {
		if (depth < CRM_MIME_DEPTH && !report &&
		    crm_mime_param(ct, "boundary", &b) && b.len > 0 &&
		    b.len <= 200) {
			multipart(w, body, end, depth, b.buf, is_report);
			if (is_report && w->d->is_dsn)
				w->found = 1;
			else if (is_report) {
				/* Not this report's: another may follow. */
				free(w->d->message_id);
				w->d->message_id = NULL;
			}
		}
	} else if (report && (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) &&
	    !w->d->is_dsn) {
		w->d->is_dsn = 1;
		decode(field_get(h, "content-transfer-encoding"), body, end,
		    &b);
		delivery_status(w, crm_buf_str(&b), crm_buf_str(&b) + b.len);
	} else if (report && w->d->message_id == NULL &&
	    (strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "message/global-headers") == 0)) {
		decode(field_get(h, "content-transfer-encoding"), body, end,
		    &b);
		enclosed(w, crm_buf_str(&b), crm_buf_str(&b) + b.len);
	}
	free(type);
	crm_buf_release(&b);
	crm_buf_release(&rt);
	fields_free(&own);
}

struct crm_error *
crm_dsn_parse(const char *msg, size_t len, struct crm_dsn *out)
{
	struct fields h = { NULL, 0 };
	struct walk w;
	const char *end = msg + len, *body, *v;

	memset(out, 0, sizeof(*out));
	if (len > CRM_MIME_MAX)
		return crm_error_new(CRM_EXIT_FAIL, "message of %zu bytes: "
		    "more than %d", len, CRM_MIME_MAX);
	memset(&w, 0, sizeof(w));
	w.d = out;
	body = parse_fields(msg, end, &h, 1);
	part(&w, body, end, 0, 0, &h);
	if (!out->is_dsn) {
		crm_dsn_free(out);
		fields_free(&h);
		return NULL;
	}
	if (out->message_id == NULL && (v = field_get(&h, "in-reply-to")) !=
	    NULL)
		out->message_id = msg_id(v, 0);
	if (out->message_id == NULL && (v = field_get(&h, "references")) !=
	    NULL)
		out->message_id = msg_id(v, 1);
	fields_free(&h);
	if (out->n == 0)
		return crm_error_new(CRM_EXIT_FAIL, "delivery report without "
		    "a recipient");
	return NULL;
}

void
crm_dsn_free(struct crm_dsn *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->rcpt[i].email);
		free(d->rcpt[i].original);
		free(d->rcpt[i].diagnostic);
	}
	free(d->rcpt);
	free(d->message_id);
	memset(d, 0, sizeof(*d));
}
