/*
 * Campaign templates (crm_template.h): compiled once into a flat list of
 * nodes, where a section knows the index of its end, then rendered per
 * recipient without recursion.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_template.h"
#include "crm_util.h"

#define TAG_BLANKS " \t\r\n"

enum kind {
	N_TEXT,		/* src[off..off+len) */
	N_VAR,		/* {{name}}, {{name|default}}, {{{name}}} */
	N_SECTION,	/* {{#name}} */
	N_INVERTED,	/* {{^name}} */
	N_END		/* {{/name}} */
};

struct node {
	enum kind	 kind;
	size_t		 off, len;	/* text, default, else tag */
	int		 has_def;
	int		 raw;		/* {{{name}}} */
	char		*name;		/* not for text */
	struct crm_strv	 path;		/* name split on "." */
	size_t		 id;		/* the name's index in names */
	size_t		 end;		/* a section's N_END node */
};

struct crm_template {
	char		*src;
	struct node	*node;
	size_t		 n, alloc;
	const char	**names;	/* sorted, unique; the nodes' */
	size_t		 nnames;
};

struct parser {
	const char		*s;
	size_t			 n;
	const char		*what;
	struct crm_template	*t;
	/* The open sections' nodes, innermost last. */
	size_t			 open[CRM_TEMPLATE_DEPTH];
	size_t			 depth;
	struct crm_error	*err;
};

/* Line and column, from 1, of byte off in valid UTF-8 s. */
static void
linecol(const char *s, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, size_t off, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT;
	size_t line, col;
	va_list ap;

	linecol(p->s, off, &line, &col);
	if (p->what != NULL)
		crm_buf_addf(&b, "%s: ", p->what);
	crm_buf_addf(&b, "line %zu, column %zu: ", line, col);
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	p->err = crm_error_new(CRM_EXIT_USAGE, "%s", crm_buf_str(&b));
	crm_buf_release(&b);
	return -1;
}

/* Room for a shortened text: 40 bytes, each perhaps escaped, "...". */
#define SHORT	(40 * 4 + 4)

/*
 * s[0..n) for a message, on one line: at most 40 bytes, not cut inside a
 * character, control bytes escaped.  Returns buf.
 */
static const char *
shorten(const char *s, size_t n, char buf[SHORT])
{
	size_t i, k = n, o = 0;
	unsigned char c;

	if (k > 40) {
		k = 40;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	for (i = 0; i < k; i++) {
		c = s[i];
		if (c == '\n' || c == '\t' || c == '\r')
			o += sprintf(buf + o, "\\%c", c == '\n' ? 'n' :
			    c == '\t' ? 't' : 'r');
		else if (c < 0x20 || c == 0x7f)
			o += sprintf(buf + o, "\\x%02x", c);
		else
			buf[o++] = c;
	}
	strcpy(buf + o, k < n ? "..." : "");
	return buf;
}

/* A name: segments of [A-Za-z0-9_] joined by ".". */
static int
valid_name(const char *s, size_t n)
{
	size_t i, seg = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
			seg++;
		else
			return 0;
	}
	return seg > 0;
}

/* Trim blanks off s[*a..*b). */
static void
trim(const char *s, size_t *a, size_t *b)
{
	while (*a < *b && strchr(TAG_BLANKS, s[*a]) != NULL)
		(*a)++;
	while (*b > *a && strchr(TAG_BLANKS, s[*b - 1]) != NULL)
		(*b)--;
}

static struct node *
add_node(struct crm_template *t, enum kind kind)
{
	struct node *nd;

	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->node = crm_xrealloc(t->node, t->alloc * sizeof(*t->node));
	}
	nd = &t->node[t->n++];
	memset(nd, 0, sizeof(*nd));
	nd->kind = kind;
	return nd;
}

static void
add_text(struct crm_template *t, size_t a, size_t b)
{
	struct node *nd;

	if (a >= b)
		return;
	nd = add_node(t, N_TEXT);
	nd->off = a;
	nd->len = b - a;
}

/*
 * Check the name s[a..b) of the tag at s[tag..end) and add a node for it;
 * the node's index in *k.
 */
static int
add_named(struct parser *p, enum kind kind, size_t a, size_t b,
    size_t tag, size_t end, size_t *k)
{
	char buf[SHORT];
	struct node *nd;

	if (a == b)
		return fail(p, tag, "empty name in \"%s\"",
		    shorten(p->s + tag, end - tag, buf));
	if (!valid_name(p->s + a, b - a))
		return fail(p, a, "invalid name \"%s\": use letters, digits, "
		    "\"_\" and \".\"", shorten(p->s + a, b - a, buf));
	*k = p->t->n;
	nd = add_node(p->t, kind);
	nd->off = tag;
	nd->len = end - tag;
	nd->name = crm_xstrndup(p->s + a, b - a);
	crm_strv_split(&nd->path, nd->name, '.');
	return 0;
}

/* A variable, s[a..b) the inside of the tag s[tag..end). */
static int
variable(struct parser *p, size_t a, size_t b, size_t tag, size_t end,
    int raw)
{
	const char *bar = memchr(p->s + a, '|', b - a);
	size_t e = bar != NULL ? (size_t)(bar - p->s) : b, da, db, k;
	struct node *nd;

	trim(p->s, &a, &e);
	if (add_named(p, N_VAR, a, e, tag, end, &k) != 0)
		return -1;
	nd = &p->t->node[k];
	nd->raw = raw;
	if (bar != NULL) {
		da = bar - p->s + 1;
		db = b;
		trim(p->s, &da, &db);
		nd->has_def = 1;
		nd->off = da;
		nd->len = db - da;
	}
	return 0;
}

/* {{#name}}, {{^name}} or {{/name}}; s[a..b) the name. */
static int
section(struct parser *p, int sigil, size_t a, size_t b, size_t tag,
    size_t end)
{
	char buf[SHORT], buf2[SHORT];
	struct node *open, *close;
	size_t k;

	if (sigil != '/') {
		if (p->depth == CRM_TEMPLATE_DEPTH)
			return fail(p, tag, "sections nested deeper than %d",
			    CRM_TEMPLATE_DEPTH);
		if (add_named(p, sigil == '#' ? N_SECTION : N_INVERTED, a, b,
		    tag, end, &k) != 0)
			return -1;
		p->open[p->depth++] = k;
		return 0;
	}
	if (add_named(p, N_END, a, b, tag, end, &k) != 0)
		return -1;
	close = &p->t->node[k];
	if (p->depth == 0)
		return fail(p, tag, "\"%s\" closes no section",
		    shorten(p->s + tag, end - tag, buf));
	open = &p->t->node[p->open[p->depth - 1]];
	if (strcmp(open->name, close->name) != 0)
		return fail(p, tag, "\"%s\" does not close \"%s\"",
		    shorten(p->s + tag, end - tag, buf),
		    shorten(p->s + open->off, open->len, buf2));
	open->end = k;
	p->depth--;
	return 0;
}

/*
 * When the section tag s[tag..end) stands alone on its line, widen it to
 * the whole line: *ls the line's start (not before from), *le past its
 * newline.
 */
static void
standalone(const char *s, size_t n, size_t from, size_t tag, size_t end,
    size_t *ls, size_t *le)
{
	size_t a = tag, e = end;

	while (a > from && (s[a - 1] == ' ' || s[a - 1] == '\t'))
		a--;
	if (a > 0 && s[a - 1] != '\n')
		return;
	while (e < n && (s[e] == ' ' || s[e] == '\t'))
		e++;
	if (e < n && s[e] == '\r' && e + 1 < n && s[e + 1] == '\n')
		e += 2;
	else if (e < n && s[e] == '\n')
		e++;
	else if (e < n)
		return;
	*ls = a;
	*le = e;
}

/* The tag at s[tag..]; *next is past it (and past its line, if alone). */
static int
tag(struct parser *p, size_t from, size_t at, size_t *next)
{
	const char *s = p->s, *close;
	int raw = at + 2 < p->n && s[at + 2] == '{';
	size_t a = at + 2 + raw, b, end, ls = at, le;
	int sigil;

	close = raw ? strstr(s + a, "}}}") : strstr(s + a, "}}");
	if (close == NULL)
		return fail(p, at, "\"%s\" has no matching \"%s\"",
		    raw ? "{{{" : "{{", raw ? "}}}" : "}}");
	b = close - s;
	end = le = b + 2 + raw;
	trim(s, &a, &b);
	sigil = a < b && !raw ? s[a] : 0;
	if (sigil != '#' && sigil != '^' && sigil != '/') {
		add_text(p->t, from, at);
		*next = end;
		return variable(p, a, b, at, end, raw);
	}
	standalone(s, p->n, from, at, end, &ls, &le);
	add_text(p->t, from, ls);
	*next = le;
	a++;
	trim(s, &a, &b);
	return section(p, sigil, a, b, at, end);
}

/* Refuse NUL and invalid UTF-8, whichever comes first. */
static int
validate(struct parser *p)
{
	const char *nul = memchr(p->s, '\0', p->n);
	size_t bad = p->n;

	if (crm_utf8_check(p->s, p->n, &bad))
		bad = p->n;
	if (nul != NULL && (size_t)(nul - p->s) < bad)
		return fail(p, nul - p->s, "NUL byte");
	if (bad < p->n)
		return fail(p, bad, "invalid UTF-8");
	return 0;
}

static int
parse(struct parser *p)
{
	const char *open;
	char buf[SHORT];
	size_t i = 0;
	struct node *nd;

	while (i < p->n && (open = strstr(p->s + i, "{{")) != NULL)
		if (tag(p, i, open - p->s, &i) != 0)
			return -1;
	add_text(p->t, i, p->n);
	if (p->depth > 0) {
		nd = &p->t->node[p->open[p->depth - 1]];
		return fail(p, nd->off, "\"%s\" is never closed",
		    shorten(p->s + nd->off, nd->len, buf));
	}
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	const struct node *x = *(struct node *const *)a;
	const struct node *y = *(struct node *const *)b;

	return strcmp(x->name, y->name);
}

/* Number the names, for the missing ones and for crm_template_vars(). */
static void
number_names(struct crm_template *t)
{
	struct node **v = crm_xcalloc(t->n + 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->node[i].kind != N_TEXT && t->node[i].kind != N_END)
			v[n++] = &t->node[i];
	qsort(v, n, sizeof(*v), by_name);
	t->names = crm_xcalloc(n + 1, sizeof(*t->names));
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i]->name, v[i - 1]->name) != 0)
			t->names[t->nnames++] = v[i]->name;
		v[i]->id = t->nnames - 1;
	}
	free(v);
}

struct crm_error *
crm_template_parsen(const char *text, size_t len, const char *what,
    struct crm_template **t)
{
	struct parser p;

	*t = NULL;
	if (len > CRM_TEMPLATE_MAX)
		return crm_error_new(CRM_EXIT_USAGE, "%s%stemplate larger "
		    "than 1 MiB", what != NULL ? what : "",
		    what != NULL ? ": " : "");
	memset(&p, 0, sizeof(p));
	p.t = crm_xcalloc(1, sizeof(*p.t));
	p.t->src = crm_xmalloc(len + 1);
	memcpy(p.t->src, text, len);
	p.t->src[len] = '\0';
	p.s = p.t->src;
	p.n = len;
	p.what = what;
	if (validate(&p) != 0 || parse(&p) != 0) {
		crm_template_free(p.t);
		return p.err;
	}
	number_names(p.t);
	*t = p.t;
	return NULL;
}

struct crm_error *
crm_template_parse(const char *text, const char *what,
    struct crm_template **t)
{
	return crm_template_parsen(text, strnlen(text, CRM_TEMPLATE_MAX + 1),
	    what, t);
}

void
crm_template_free(struct crm_template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->node[i].name);
		crm_strv_clear(&t->node[i].path);
	}
	free(t->node);
	free(t->names);
	free(t->src);
	free(t);
}

/* Rendering */

static const cJSON *
resolve(const cJSON *ctx, const struct crm_strv *path)
{
	size_t i;

	for (i = 0; i < path->n && ctx != NULL; i++) {
		if (!cJSON_IsObject(ctx))
			return NULL;
		ctx = cJSON_GetObjectItemCaseSensitive(ctx, path->v[i]);
	}
	return ctx;
}

/* Integers as integers, else the shortest of 15 or 17 digits. */
static void
number(struct crm_buf *b, double d)
{
	char s[40];

	if (isnan(d) || isinf(d))
		return;
	if (fabs(d) < 1e17 && d == (double)(long long)d)
		snprintf(s, sizeof(s), "%lld", (long long)d);
	else {
		snprintf(s, sizeof(s), "%.15g", d);
		if (strtod(s, NULL) != d)
			snprintf(s, sizeof(s), "%.17g", d);
	}
	crm_buf_adds(b, s);
}

/* The text of a scalar; nothing for null, objects and nested arrays. */
static void
scalar(struct crm_buf *b, const cJSON *v)
{
	if (cJSON_IsString(v))
		crm_buf_adds(b, v->valuestring);
	else if (cJSON_IsNumber(v))
		number(b, v->valuedouble);
	else if (cJSON_IsBool(v))
		crm_buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
}

static void
value(struct crm_buf *b, const cJSON *v)
{
	const cJSON *e;
	size_t len;

	if (!cJSON_IsArray(v)) {
		scalar(b, v);
		return;
	}
	cJSON_ArrayForEach(e, v) {
		len = b->len;
		if (len > 0)
			crm_buf_adds(b, ", ");
		scalar(b, e);
		if (b->len == len + 2 * (len > 0))
			b->len = len;	/* nothing to show: no separator */
	}
	if (b->buf != NULL)
		b->buf[b->len] = '\0';
}

static void
html(struct crm_buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		crm_buf_add(out, s + run, i - run);
		crm_buf_adds(out, ent);
		run = i + 1;
	}
	crm_buf_add(out, s + run, n - run);
}

/* Valid UTF-8 s[0..n) as JSON string content. */
static void
json_valid(struct crm_buf *out, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '"' || c == '\\')
			crm_buf_addf(out, "\\%c", c);
		else if (c == '\n')
			crm_buf_adds(out, "\\n");
		else if (c == '\r')
			crm_buf_adds(out, "\\r");
		else if (c == '\t')
			crm_buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			crm_buf_addf(out, "\\u%04x", c);
		else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] ==
		    0x80 && ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
			/* U+2028, U+2029: JSON, but not JavaScript. */
			crm_buf_addf(out, "\\u%04x",
			    0x2000 + (unsigned char)s[i + 2] - 0x80);
			i += 2;
		} else
			crm_buf_addch(out, c);
	}
}

static void
json(struct crm_buf *out, const char *s, size_t n)
{
	size_t bad;

	while (!crm_utf8_check(s, n, &bad)) {
		json_valid(out, s, bad);
		crm_buf_adds(out, "\\ufffd");
		s += bad + 1;
		n -= bad + 1;
	}
	json_valid(out, s, n);
}

/* What a render knows of the missing names. */
struct missing {
	struct crm_strv	*list;
	size_t		 had;		/* names in list before */
	unsigned char	*seen;		/* by id */
};

static void
missing_add(struct missing *m, const struct node *nd)
{
	size_t i;

	if (m->list == NULL || m->seen[nd->id])
		return;
	m->seen[nd->id] = 1;
	for (i = 0; i < m->had; i++)
		if (strcmp(m->list->v[i], nd->name) == 0)
			return;
	crm_strv_push(m->list, nd->name);
}

/* A section's condition: present, and neither false nor []. */
static int
present(const cJSON *v)
{
	if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return 0;
	if (cJSON_IsString(v))
		return v->valuestring[0] != '\0';
	if (cJSON_IsArray(v))
		return cJSON_GetArraySize(v) > 0;
	return 1;
}

static void
render_var(const struct crm_template *t, const struct node *nd,
    const cJSON *ctx, enum crm_tpl_mode mode, struct crm_buf *out,
    struct crm_buf *tmp, struct missing *missing)
{
	crm_buf_reset(tmp);
	value(tmp, resolve(ctx, &nd->path));
	if (tmp->len == 0) {
		if (nd->has_def)
			crm_buf_add(out, t->src + nd->off, nd->len);
		else
			missing_add(missing, nd);
	} else if (nd->raw || mode == CRM_TPL_TEXT)
		crm_buf_add(out, tmp->buf, tmp->len);
	else if (mode == CRM_TPL_HTML)
		html(out, tmp->buf, tmp->len);
	else
		json(out, tmp->buf, tmp->len);
}

void
crm_template_render(const struct crm_template *t, const cJSON *ctx,
    enum crm_tpl_mode mode, struct crm_buf *out, struct crm_strv *missing)
{
	struct missing m = { missing, 0, NULL };
	struct crm_buf tmp = CRM_BUF_INIT;
	const struct node *nd;
	size_t k;
	int on;

	if (missing != NULL) {
		m.had = missing->n;
		m.seen = crm_xcalloc(t->nnames + 1, 1);
	}

	for (k = 0; k < t->n; k++) {
		nd = &t->node[k];
		switch (nd->kind) {
		case N_TEXT:
			crm_buf_add(out, t->src + nd->off, nd->len);
			break;
		case N_VAR:
			render_var(t, nd, ctx, mode, out, &tmp, &m);
			break;
		case N_SECTION:
		case N_INVERTED:
			on = present(resolve(ctx, &nd->path));
			if (on != (nd->kind == N_SECTION))
				k = nd->end;
			break;
		case N_END:
			break;
		}
	}
	crm_buf_release(&tmp);
	free(m.seen);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
crm_template_vars(const struct crm_template *t, struct crm_strv *names)
{
	size_t i, k, had = names->n;

	for (i = 0; i < t->nnames; i++) {
		for (k = 0; k < had; k++)
			if (strcmp(names->v[k], t->names[i]) == 0)
				break;
		if (k == had)
			crm_strv_push(names, t->names[i]);
	}
	if (had > 0)
		qsort(names->v, names->n, sizeof(*names->v), cmp);
}
