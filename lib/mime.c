/*
 * Incoming mail, the structure (crm_mime.h): the header block of each
 * part, multipart bodies split on their boundaries, leaves decoded into
 * the body or recorded as attachments.  One forward pass over memory the
 * caller holds; nesting, parts and headers are bounded; nothing here
 * fails: problems are recorded and the caller decides.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_mime.h"
#include "crm_util.h"

struct hdr {
	char	*name;
	char	*value;		/* unfolded, raw bytes */
	size_t	 len;		/* of value */
	size_t	 alloc;		/* bytes allocated for value */
};

struct hdrs {
	struct hdr	*v;
	size_t		 n;
};

/* The walk over the parts of one message. */
struct walk {
	struct crm_mime_msg *m;
	size_t		 nparts;
	int		 limited;	/* the part limit was hit */
	struct crm_buf	 plain, html;
	int		 have_plain, have_html;
	int		 bad_plain, bad_html;	/* unknown charset */
};

static void
problem(struct crm_mime_msg *m, int severe, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct crm_mime_msg *m, int severe, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT, u = CRM_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	/* "%.40s" may have cut a character in two. */
	crm_mime_to_utf8("utf-8", crm_buf_str(&b), b.len, &u);
	if (!crm_strv_has(&m->problems, crm_buf_str(&u)) &&
	    m->problems.n < 20)
		crm_strv_push(&m->problems, crm_buf_str(&u));
	crm_buf_release(&b);
	crm_buf_release(&u);
	m->severe |= severe;
}

static void
hdrs_free(struct hdrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

static const char *
hdr_get(const struct hdrs *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
			return 0;
	return n > 0;
}

/* Header text as UTF-8: raw 8-bit bytes that are not are Windows-1252. */
static char *
header_text(const char *s, size_t n, size_t *len)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_buf_grow(&b, n + 1);
	crm_mime_to_utf8("us-ascii", s, n, &b);
	*len = b.len;
	return crm_buf_detach(&b);
}

/* Add header line s[0..n) ("Name: value"); -1 when it is not one. */
static int
add_header(struct hdrs *h, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t nl, v;

	if (colon == NULL)
		return -1;
	/* Obsolete syntax allows blanks before the colon. */
	for (nl = (size_t)(colon - s); nl > 0 && (s[nl - 1] == ' ' ||
	    s[nl - 1] == '\t'); nl--)
		;
	if (!name_ok(s, nl))
		return -1;
	for (v = (size_t)(colon - s) + 1; v < n && (s[v] == ' ' ||
	    s[v] == '\t'); v++)
		;
	h->v = crm_xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	h->v[h->n].name = crm_xstrndup(s, nl);
	h->v[h->n].value = header_text(s + v, n - v, &h->v[h->n].len);
	h->v[h->n].alloc = h->v[h->n].len + 1;
	h->n++;
	return 0;
}

/* Append a continuation line to the last header (unfolding). */
static void
continue_header(struct hdrs *h, const char *s, size_t n)
{
	struct hdr *last = &h->v[h->n - 1];
	size_t old = last->len;
	char *text = header_text(s, n, &n);

	/* Grow by doubling: a header may fold over millions of lines. */
	if (old + n + 1 > last->alloc) {
		last->alloc = (old + n + 1) * 2;
		last->value = crm_xrealloc(last->value, last->alloc);
	}
	memcpy(last->value + old, text, n);
	last->value[old + n] = '\0';
	last->len = old + n;
	free(text);
}

/*
 * The header block at p into h; returns where the body starts.  A line
 * that is neither a header nor a continuation starts the body.
 */
static const char *
parse_headers(struct crm_mime_msg *m, const char *p, const char *end,
    struct hdrs *h, int top)
{
	const char *e;
	size_t len, lineno = 0;

	while (p < end) {
		e = crm_mime_line_end(p, end, &len);
		lineno++;
		if (len == 0)
			return e < end ? e + 1 : end;
		if (top && lineno == 1 && len > 5 && strncmp(p, "From ", 5) ==
		    0) {
			/* An mbox "From " line, as some deliveries add. */
		} else if ((*p == ' ' || *p == '\t') && h->n > 0)
			continue_header(h, p, len);
		else if (h->n >= CRM_MIME_HEADERS)
			problem(m, 0, "more than %d headers", CRM_MIME_HEADERS);
		else if (add_header(h, p, len) != 0) {
			problem(m, top, "line %zu: malformed header", lineno);
			return p;
		}
		p = e < end ? e + 1 : end;
	}
	if (top)
		problem(m, 0, "no body");
	return end;
}

/* The media type of a Content-Type value, lowercase, or NULL. */
static char *
media_type(const char *v)
{
	size_t i, n;
	char *t;

	if (v == NULL)
		return NULL;
	while (isspace((unsigned char)*v))
		v++;
	for (n = 0; v[n] != '\0' && v[n] != ';' &&
	    !isspace((unsigned char)v[n]); n++)
		;
	t = crm_xstrndup(v, n);
	for (i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	if (strchr(t, '/') == NULL || t[0] == '/' || t[n - 1] == '/') {
		free(t);
		return NULL;
	}
	return t;
}

static void part(struct walk *w, const char *p, const char *end, int depth,
	    const char *deftype, struct hdrs *top);

/* The parts of a multipart body p..end with boundary b. */
static void
multipart(struct walk *w, const char *p, const char *end, int depth,
    const char *b, const char *deftype)
{
	const char *start = NULL, *e, *stop;
	size_t len, bl = strlen(b);
	int close = 0, found = 0;

	while (p < end && !close) {
		e = crm_mime_line_end(p, end, &len);
		if (!crm_mime_delimiter(p, len, b, bl, &close)) {
			p = e < end ? e + 1 : end;
			continue;
		}
		found = 1;
		if (start != NULL) {
			/* The line end before a delimiter belongs to it. */
			stop = p > start && p[-1] == '\n' ? p - 1 : p;
			if (stop > start && stop[-1] == '\r')
				stop--;
			part(w, start, stop < start ? start : stop,
			    depth + 1, deftype, NULL);
		}
		p = e < end ? e + 1 : end;
		start = p;
	}
	if (!found) {
		problem(w->m, 0, "multipart boundary \"%s\" not found", b);
		part(w, p, end, depth + 1, "text/plain", NULL);
	} else if (!close) {
		problem(w->m, 0, "multipart: no closing boundary (truncated?)");
		if (start != NULL && start < end)
			part(w, start, end, depth + 1, deftype, NULL);
	}
}

/* The body of a leaf, transfer-decoded. */
static void
decode(struct walk *w, const char *cte, const char *p, const char *end,
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
	else {
		if (cte != NULL && *cte != '\0' && strncasecmp(cte, "7bit",
		    4) != 0 && strncasecmp(cte, "8bit", 4) != 0 &&
		    strncasecmp(cte, "binary", 6) != 0)
			problem(w->m, 0, "unknown transfer encoding \"%.40s\"",
			    cte);
		crm_buf_add(out, p, n);
	}
}

static void
attach(struct walk *w, const char *name, const char *type, size_t size)
{
	struct crm_mime_attachment *a;

	w->m->att = crm_xrealloc(w->m->att, (w->m->natt + 1) *
	    sizeof(*w->m->att));
	a = &w->m->att[w->m->natt++];
	a->name = name != NULL && *name != '\0' ? crm_xstrdup(name) : NULL;
	a->type = crm_xstrdup(type);
	a->size = size;
}

static char *first_id(const char *);

/* The Message-ID of an enclosed message or its headers, once. */
static void
enclosed(struct walk *w, const char *type, const char *p, const char *end)
{
	struct crm_mime_msg scratch;
	struct hdrs h = { NULL, 0 };
	const char *v;

	if (w->m->enclosed_id != NULL || (strcmp(type, "message/rfc822") !=
	    0 && strcmp(type, "text/rfc822-headers") != 0))
		return;
	memset(&scratch, 0, sizeof(scratch));
	parse_headers(&scratch, p, end, &h, 0);
	if ((v = hdr_get(&h, "message-id")) != NULL)
		w->m->enclosed_id = first_id(v);
	hdrs_free(&h);
	crm_strv_clear(&scratch.problems);
}

/* A leaf: a text candidate for the body, or an attachment. */
static void
leaf(struct walk *w, const struct hdrs *h, const char *type, const char
    *p, const char *end)
{
	struct crm_buf raw = CRM_BUF_INIT, name = CRM_BUF_INIT,
	    cs = CRM_BUF_INIT;
	const char *ct = hdr_get(h, "content-type"),
	    *cd = hdr_get(h, "content-disposition");
	int att, plain = strcmp(type, "text/plain") == 0,
	    html = strcmp(type, "text/html") == 0;

	if (!(cd != NULL && crm_mime_param(cd, "filename", &name)))
		if (ct != NULL)
			crm_mime_param(ct, "name", &name);
	/* An inline text part with a file name is still the text. */
	att = (cd != NULL && strncasecmp(cd, "attachment", 10) == 0) ||
	    (name.len > 0 && (cd == NULL || strncasecmp(cd, "inline", 6) !=
	    0)) || !(plain || html) ||
	    (plain && w->have_plain) || (html && w->have_html);
	decode(w, hdr_get(h, "content-transfer-encoding"), p, end, &raw);
	enclosed(w, type, crm_buf_str(&raw), crm_buf_str(&raw) + raw.len);
	if (att) {
		attach(w, crm_buf_str(&name), type, raw.len);
		goto done;
	}
	if (ct != NULL)
		crm_mime_param(ct, "charset", &cs);
	if (crm_mime_to_utf8(crm_buf_str(&cs), crm_buf_str(&raw), raw.len,
	    plain ? &w->plain : &w->html) != 0) {
		problem(w->m, 0, "unknown charset \"%.40s\"", crm_buf_str(&cs));
		*(plain ? &w->bad_plain : &w->bad_html) = 1;
	}
	*(plain ? &w->have_plain : &w->have_html) = 1;
done:
	crm_buf_release(&raw);
	crm_buf_release(&name);
	crm_buf_release(&cs);
}

static void
part(struct walk *w, const char *p, const char *end, int depth,
    const char *deftype, struct hdrs *top)
{
	struct hdrs own = { NULL, 0 }, *h = top ? top : &own;
	struct crm_buf b = CRM_BUF_INIT;
	const char *body = p, *ct;
	char *type;

	if (++w->nparts > CRM_MIME_PARTS) {
		if (!w->limited)
			problem(w->m, 0, "more than %d parts: the rest ignored",
			    CRM_MIME_PARTS);
		w->limited = 1;
		return;
	}
	if (top == NULL)
		body = parse_headers(w->m, p, end, h, 0);
	else
		body = p;
	ct = hdr_get(h, "content-type");
	if ((type = media_type(ct)) == NULL) {
		if (ct != NULL && *ct != '\0')
			problem(w->m, 0, "invalid content type \"%.40s\"", ct);
		type = crm_xstrdup(deftype);
	}
	if (depth == 0)
		w->m->content_type = crm_xstrdup(type);
	if (depth == 0 && strcmp(type, "multipart/report") == 0)
		w->m->bounce = 1;
	if (strncmp(type, "multipart/", 10) == 0 && depth < CRM_MIME_DEPTH &&
	    crm_mime_param(ct, "boundary", &b) && b.len > 0 && b.len <= 200)
		multipart(w, body, end, depth, b.buf,
		    strcmp(type, "multipart/digest") == 0 ? "message/rfc822" :
		    "text/plain");
	else if (strncmp(type, "multipart/", 10) == 0) {
		problem(w->m, 0, depth < CRM_MIME_DEPTH ? "multipart without "
		    "a boundary" : "multipart nested too deep");
		leaf(w, h, "text/plain", body, end);
	} else
		leaf(w, h, type, body, end);
	free(type);
	crm_buf_release(&b);
	hdrs_free(&own);
}

/* The msg-ids ("<a@b>") in v into out; at most max, the root and the
 * most recent kept when there are more. */
static void
msg_ids(const char *v, struct crm_strv *out, size_t max)
{
	const char *p, *q;

	for (p = v; p != NULL && (p = strchr(p, '<')) != NULL; p = q + 1) {
		if ((q = strchr(p, '>')) == NULL || q - p > 995)
			break;
		if (q - p < 2)
			continue;
		if (out->n < max) {
			crm_strv_push(out, "");
			free(out->v[out->n - 1]);
			out->v[out->n - 1] = crm_xstrndup(p, (size_t)(q - p) +
			    1);
			continue;
		}
		if (max < 2)
			break;
		free(out->v[1]);
		memmove(out->v + 1, out->v + 2, (out->n - 2) *
		    sizeof(*out->v));
		out->v[out->n - 1] = crm_xstrndup(p, (size_t)(q - p) + 1);
	}
}

static char *
first_id(const char *v)
{
	struct crm_strv ids = CRM_STRV_INIT;
	char *id = NULL;

	msg_ids(v, &ids, 1);
	if (ids.n > 0)
		id = crm_xstrdup(ids.v[0]);
	crm_strv_clear(&ids);
	return id;
}

static char *
words(const char *v)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_mime_words(v, strlen(v), &b);
	return crm_buf_detach(&b);
}

/* The fields of the top header block. */
static void
top_fields(struct crm_mime_msg *m, const struct hdrs *h)
{
	struct crm_buf name = CRM_BUF_INIT, addr = CRM_BUF_INIT;
	const char *v;

	if ((v = hdr_get(h, "subject")) != NULL)
		m->subject = words(v);
	if ((v = hdr_get(h, "from")) == NULL)
		problem(m, 1, "no From header");
	else if (crm_mime_address(v, &name, &addr) != 0)
		problem(m, 1, "From: no address in \"%.60s\"", v);
	else {
		m->from_addr = crm_buf_detach(&addr);
		if (name.len > 0 && *crm_trim(name.buf) != '\0')
			m->from_name = crm_xstrdup(name.buf);
	}
	if ((v = hdr_get(h, "message-id")) != NULL)
		m->message_id = first_id(v);
	if ((v = hdr_get(h, "in-reply-to")) != NULL)
		m->in_reply_to = first_id(v);
	if ((v = hdr_get(h, "references")) != NULL)
		msg_ids(v, &m->references, CRM_MIME_REFS);
	if ((v = hdr_get(h, "date")) != NULL)
		m->date = crm_xstrdup(v);
	if (m->from_addr != NULL && (strncasecmp(m->from_addr,
	    "mailer-daemon@", 14) == 0 || strncasecmp(m->from_addr,
	    "postmaster@", 11) == 0))
		m->bounce = 1;
	crm_buf_release(&name);
	crm_buf_release(&addr);
}

/* Line ends as "\n", trailing blank lines gone. */
static char *
lf_text(const struct crm_buf *b)
{
	struct crm_buf out = CRM_BUF_INIT;
	size_t i;

	for (i = 0; i < b->len; i++)
		if (!(b->buf[i] == '\r' && i + 1 < b->len &&
		    b->buf[i + 1] == '\n'))
			crm_buf_addch(&out, b->buf[i]);
	while (out.len > 0 && isspace((unsigned char)out.buf[out.len - 1]))
		out.buf[--out.len] = '\0';
	return crm_buf_detach(&out);
}

static void
choose_body(struct walk *w)
{
	struct crm_mime_msg *m = w->m;
	struct crm_buf t = CRM_BUF_INIT;

	if (w->have_plain) {
		m->body_type = crm_xstrdup("text/plain");
		m->body = lf_text(&w->plain);
		m->text = crm_xstrdup(m->body);
		if (w->bad_plain)
			m->severe = 1;
	} else if (w->have_html) {
		m->body_type = crm_xstrdup("text/html");
		m->body = lf_text(&w->html);
		crm_mime_html_text(m->body, strlen(m->body), &t);
		m->text = crm_buf_detach(&t);
		if (w->bad_html)
			m->severe = 1;
	}
}

void
crm_mime_parse(const char *msg, size_t len, struct crm_mime_msg *m)
{
	struct walk w;
	struct hdrs h = { NULL, 0 };
	const char *end = msg + len, *body;

	memset(m, 0, sizeof(*m));
	memset(&w, 0, sizeof(w));
	w.m = m;
	body = parse_headers(m, msg, end, &h, 1);
	top_fields(m, &h);
	part(&w, body, end, 0, "text/plain", &h);
	choose_body(&w);
	hdrs_free(&h);
	crm_buf_release(&w.plain);
	crm_buf_release(&w.html);
}

void
crm_mime_msg_release(struct crm_mime_msg *m)
{
	size_t i;

	free(m->subject);
	free(m->from_name);
	free(m->from_addr);
	free(m->message_id);
	free(m->in_reply_to);
	crm_strv_clear(&m->references);
	free(m->date);
	free(m->content_type);
	free(m->enclosed_id);
	free(m->body_type);
	free(m->body);
	free(m->text);
	for (i = 0; i < m->natt; i++) {
		free(m->att[i].name);
		free(m->att[i].type);
	}
	free(m->att);
	crm_strv_clear(&m->problems);
	memset(m, 0, sizeof(*m));
}
