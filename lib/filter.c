/*
 * The filter language (crm-filter(7)): a recursive-descent parser builds a
 * small tree whose leaves are finished SQL conditions with their bound
 * values; the tree is then written out as one SQL condition.
 *
 * Hostile input is bounded three ways: the expression's length, its
 * nesting (parentheses and "not"s, so the parser's recursion is bounded),
 * and an estimate of what SQLite's parser and expression tree need for
 * the SQL we write (SQLite refuses more than 1000 levels of expression
 * and overflows its parser stack at about 100 open constructs).  Whatever
 * compiles therefore also prepares.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"

#define MAX_LEN		65536	/* bytes in an expression */
#define MAX_DEPTH	64	/* nested parentheses and "not"s */
#define MAX_PARAMS	10000	/* values bound by one filter */
#define MAX_STACK	72	/* SQLite parser stack the SQL may use */
#define MAX_HEIGHT	500	/* SQLite expression tree height */
#define SOFT_STACK	40	/* past this, the deepest operand first */
#define LEAF_STACK	16	/* a comparison, subquery included */
#define LEAF_HEIGHT	8
#define FLAT		16	/* operands in one flat AND or OR */
#define BLANKS		" \t\r\n"

enum ptype { P_INT, P_REAL, P_TEXT };

struct param {
	enum ptype	 type;
	sqlite3_int64	 i;
	double		 d;
	char		*s;
};

struct crm_filter {
	struct crm_buf	 sql;
	struct param	*params;
	int		 n;
	int		 alloc;
};

enum tkind { T_EOF, T_LP, T_RP, T_COMMA, T_OP, T_STR, T_WORD };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE, OP_NLIKE };

static const char *const opname[] = {
	"=", "!=", "<", "<=", ">", ">=", "~", "!~"
};
static const char *const opsql[] = {
	"=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE"
};

struct token {
	enum tkind	 kind;
	enum op		 op;
	size_t		 pos;	/* byte offset in the expression */
	size_t		 len;
	struct crm_buf	 val;	/* a word, or a string unquoted */
};

enum ntype { N_LEAF, N_AND, N_OR, N_NOT };

struct node {
	enum ntype	 type;
	size_t		 pos;
	struct node	**kid;	/* AND, OR: the operands; NOT: one */
	size_t		 nkid;
	size_t		 akid;
	struct crm_filter leaf;	/* N_LEAF: its SQL and values */
	int		 primary; /* SQL needs no parentheses around it */
	int		 stack;	/* estimated SQLite parser stack */
	int		 height; /* estimated SQLite expression height */
};

struct parser {
	const char		*src;
	size_t			 pos;	/* after the current token */
	const struct crm_fieldset *fs;
	struct token		 tok;
	int			 depth;
	int			 nparams;
	struct crm_error	*err;
};

/* A field as resolved against the fieldset. */
struct cmp {
	char		*name;	/* as written */
	const char	*sql;	/* the column, or the SET template */
	const char	*json;	/* custom fields: the JSON column */
	char		*path;	/* custom fields: $."NAME" */
	enum crm_ftype	 type;
	size_t		 pos;
};

/* A value as written, and as it will be bound. */
struct rawval {
	char	*s;
	size_t	 pos;
	int	 quoted;
};

struct val {
	struct param	 p;
	int		 numeric; /* a custom field compared as a number */
	int		 day;	/* p.s starts a day, next the next */
	char		 next[CRM_TIME_LEN];
};

static int __attribute__((format(printf, 3, 4)))
failat(struct crm_error **err, size_t pos, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT;
	va_list ap;

	if (*err != NULL)
		return -1;
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	*err = crm_error_new(CRM_EXIT_USAGE, "column %zu: %s", pos + 1,
	    crm_buf_str(&b));
	crm_buf_release(&b);
	return -1;
}

#define fail(p, pos, ...) failat(&(p)->err, (pos), __VA_ARGS__)

/* s[0..n) for a message: at most 40 bytes, not cut inside a character. */
static const char *
shorten(const char *s, size_t n, char buf[48])
{
	size_t k = n;

	if (k > 40) {
		k = 40;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	memcpy(buf, s, k);
	strcpy(buf + k, k < n ? "..." : "");
	return buf;
}

/* The length of the UTF-8 character at s, or 0 if it is not one. */
static size_t
utf8len(const unsigned char *s)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Refuse what no expression contains: huge, control bytes, bad UTF-8. */
static struct crm_error *
validate(const char *s, const char *what)
{
	struct crm_error *err = NULL;
	size_t i, n;
	unsigned char c;

	if (strnlen(s, MAX_LEN + 1) > MAX_LEN)
		return crm_error_new(CRM_EXIT_USAGE, "%s too long", what);
	for (i = 0; s[i] != '\0'; i += n) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f) {
			failat(&err, i, "control character 0x%02x", c);
			break;
		}
		if ((n = utf8len((const unsigned char *)s + i)) == 0) {
			failat(&err, i, "invalid UTF-8");
			break;
		}
	}
	return err;
}

/* Parameters */

static void
push(struct crm_filter *f, const struct param *v)
{
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 8;
		f->params = crm_xrealloc(f->params,
		    (size_t)f->alloc * sizeof(*f->params));
	}
	f->params[f->n] = *v;
	if (v->type == P_TEXT)
		f->params[f->n].s = crm_xstrdup(v->s);
	f->n++;
}

static void
push_text(struct crm_filter *f, const char *s)
{
	struct param v = { P_TEXT, 0, 0, (char *)s };

	push(f, &v);
}

static void
filter_release(struct crm_filter *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		free(f->params[i].s);
	free(f->params);
	crm_buf_release(&f->sql);
}

/* An integer or a decimal number, as written: "40", "-3.5". */
static int
number(const char *s, struct param *v)
{
	const char *p = s + (*s == '-' || *s == '+');
	char *end;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.' && p[1] >= '0' && p[1] <= '9')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p != '\0')
		return -1;
	errno = 0;
	v->i = strtoll(s, &end, 10);
	v->type = P_INT;
	if (*end != '\0' || errno == ERANGE) {
		v->d = strtod(s, NULL);
		v->type = P_REAL;
	}
	return 0;
}

static int
boolean(const char *s, struct param *v)
{
	static const char *const t[] = { "true", "yes", "1" };
	static const char *const f[] = { "false", "no", "0" };
	size_t i;

	v->type = P_INT;
	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, t[i]) == 0)
			return v->i = 1, 0;
		if (strcasecmp(s, f[i]) == 0)
			return v->i = 0, 0;
	}
	return -1;
}

/* Lexer */

static int
isword(int c)
{
	return c != '\0' && strchr(" \t\r\n(),\"'=!<>~", c) == NULL;
}

static int
lex_string(struct parser *p, size_t i)
{
	struct token *t = &p->tok;
	const char *s = p->src;
	char q = s[i];

	for (i++; s[i] != q; i++) {
		if (s[i] == '\0')
			return fail(p, t->pos, "unterminated string");
		if (q == '"' && s[i] == '\\' && (s[i + 1] == '"' ||
		    s[i + 1] == '\\'))
			i++;
		crm_buf_addch(&t->val, s[i]);
	}
	t->kind = T_STR;
	p->pos = i + 1;
	t->len = p->pos - t->pos;
	return 0;
}

static int
lex_op(struct parser *p, size_t i)
{
	static const struct {
		const char	*s;
		enum op		 op;
	} ops[] = {
		{ "!=", OP_NE }, { "!~", OP_NLIKE }, { "<=", OP_LE },
		{ ">=", OP_GE }, { "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT },
		{ "~", OP_LIKE }
	};
	size_t k, n;

	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		n = strlen(ops[k].s);
		if (strncmp(p->src + i, ops[k].s, n) == 0) {
			p->tok.kind = T_OP;
			p->tok.op = ops[k].op;
			p->tok.len = n;
			p->pos = i + n;
			return 0;
		}
	}
	return fail(p, i, "unexpected \"%c\"", p->src[i]);
}

/* Read the next token into p->tok. */
static int
lex(struct parser *p)
{
	struct token *t = &p->tok;
	const char *s = p->src;
	size_t i = p->pos;

	i += strspn(s + i, BLANKS);
	t->pos = i;
	crm_buf_reset(&t->val);
	switch (s[i]) {
	case '\0':
		t->kind = T_EOF;
		break;
	case '(':
	case ')':
	case ',':
		t->kind = s[i] == '(' ? T_LP : s[i] == ')' ? T_RP : T_COMMA;
		i++;
		break;
	case '"':
	case '\'':
		return lex_string(p, i);
	case '=': case '!': case '<': case '>': case '~':
		return lex_op(p, i);
	default:
		while (isword((unsigned char)s[i]))
			i++;
		t->kind = T_WORD;
		crm_buf_add(&t->val, s + t->pos, i - t->pos);
	}
	t->len = i - t->pos;
	p->pos = i;
	return 0;
}

/* Is the current token the keyword kw (any case)? */
static int
iskw(const struct parser *p, const char *kw)
{
	return p->tok.kind == T_WORD && p->tok.len == strlen(kw) &&
	    strncasecmp(p->src + p->tok.pos, kw, p->tok.len) == 0;
}

static const char *
toktext(const struct parser *p, char buf[48])
{
	return shorten(p->src + p->tok.pos, p->tok.len, buf);
}

/* Fields */

static int
isfieldchar(int c, int custom)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' ||
	    (custom ? c == '-' : c == '.');
}

static int
unknown(const struct crm_fieldset *fs, const char *name, size_t pos,
    struct crm_error **err)
{
	const char **names = crm_fieldset_names(fs);
	const char *s = crm_suggest(name, names, fs->n);
	char buf[48];

	if (s != NULL)
		failat(err, pos, "unknown field \"%s\" (did you mean \"%s\"?)",
		    shorten(name, strlen(name), buf), s);
	else
		failat(err, pos, "unknown field \"%s\"",
		    shorten(name, strlen(name), buf));
	free(names);
	return -1;
}

/* "fields.NAME": a custom field when the entity has them. */
static int
resolve_custom(const struct crm_fieldset *fs, struct cmp *c,
    struct crm_error **err)
{
	const char *s = c->name + 7;
	char buf[48];
	size_t n;

	if (fs->json == NULL)
		return unknown(fs, c->name, c->pos, err);
	for (; *s != '\0'; s++)
		if (!isfieldchar((unsigned char)*s, 1))
			break;
	if (*s != '\0' || c->name[7] == '\0')
		return failat(err, c->pos, "invalid custom field name \"%s\"",
		    shorten(c->name, strlen(c->name), buf));
	c->json = fs->json;
	c->type = CRM_FT_TEXT;
	n = strlen(c->name) + 4;
	c->path = crm_xmalloc(n);
	snprintf(c->path, n, "$.\"%s\"", c->name + 7);
	return 0;
}

/* Look up w[0..len) in fs; on failure *err names column pos + 1. */
static int
resolve(const struct crm_fieldset *fs, const char *w, size_t len,
    size_t pos, struct cmp *c, struct crm_error **err)
{
	char buf[48];
	size_t i;

	memset(c, 0, sizeof(*c));
	c->name = crm_xstrndup(w, len);
	c->pos = pos;
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->fields[i].name, c->name) == 0) {
			c->sql = fs->fields[i].sql;
			c->type = fs->fields[i].type;
			return 0;
		}
	if (strncmp(c->name, "fields.", 7) == 0)
		return resolve_custom(fs, c, err);
	for (i = 0; i < len; i++)
		if (!isfieldchar((unsigned char)w[i], 0))
			break;
	if (i < len || (w[0] >= '0' && w[0] <= '9') || w[0] == '.')
		return failat(err, pos, "expected a field name, got \"%s\"",
		    shorten(w, len, buf));
	return unknown(fs, c->name, pos, err);
}

static void
cmp_release(struct cmp *c)
{
	free(c->name);
	free(c->path);
}

/* Tree */

static struct node *
node_new(enum ntype type, size_t pos)
{
	struct node *n = crm_xcalloc(1, sizeof(*n));

	n->type = type;
	n->pos = pos;
	n->primary = type == N_AND || type == N_OR;
	return n;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	filter_release(&n->leaf);
	free(n);
}

/* Add k to n; an operand of the same kind gives its operands instead. */
static void
add_kid(struct node *n, struct node *k)
{
	size_t i;

	if (k->type == n->type && n->type != N_NOT) {
		for (i = 0; i < k->nkid; i++)
			add_kid(n, k->kid[i]);
		k->nkid = 0;
		node_free(k);
		return;
	}
	if (n->nkid == n->akid) {
		n->akid = n->akid ? n->akid * 2 : 4;
		n->kid = crm_xrealloc(n->kid, n->akid * sizeof(*n->kid));
	}
	n->kid[n->nkid++] = k;
}

static void emit_node(const struct node *, struct crm_filter *);

static void
adds(struct crm_filter *f, const char *s)
{
	if (f != NULL)
		crm_buf_adds(&f->sql, s);
}

static int
max(int a, int b)
{
	return a > b ? a : b;
}

/*
 * Write operands [lo, hi) of n as one operand into f, or with f NULL only
 * estimate what SQLite needs for it: at most FLAT operands flat, halves
 * beyond.  An operand after the first costs an open "x OR" on the stack.
 */
static void
emit_range(const struct node *n, size_t lo, size_t hi, struct crm_filter *f,
    int *stack, int *height)
{
	const char *op = n->type == N_OR ? " OR " : " AND ";
	size_t i, mid = lo + (hi - lo) / 2;
	int s1, h1, s2, h2;

	if (hi - lo == 1) {
		if (f != NULL)
			emit_node(n->kid[lo], f);
		*stack = n->kid[lo]->stack;
		*height = n->kid[lo]->height;
		return;
	}
	adds(f, "(");
	if (hi - lo <= FLAT) {
		*stack = *height = 0;
		for (i = lo; i < hi; i++) {
			if (i > lo)
				adds(f, op);
			if (f != NULL)
				emit_node(n->kid[i], f);
			*stack = max(*stack, (i == lo ? 1 : 3) +
			    n->kid[i]->stack);
			*height = max(*height, n->kid[i]->height +
			    (int)(hi - lo));
		}
	} else {
		emit_range(n, lo, mid, f, &s1, &h1);
		adds(f, op);
		emit_range(n, mid, hi, f, &s2, &h2);
		*stack = max(1 + s1, 3 + s2);
		*height = max(h1, h2) + 1;
	}
	adds(f, ")");
}

static void
emit_node(const struct node *n, struct crm_filter *f)
{
	const struct node *k;
	int i, s, h;

	switch (n->type) {
	case N_LEAF:
		crm_buf_adds(&f->sql, crm_buf_str(&n->leaf.sql));
		for (i = 0; i < n->leaf.n; i++)
			push(f, &n->leaf.params[i]);
		break;
	case N_NOT:
		k = n->kid[0];
		adds(f, k->primary ? "" : "(");
		emit_node(k, f);
		adds(f, k->primary ? " IS NOT TRUE" : ") IS NOT TRUE");
		break;
	default:
		emit_range(n, 0, n->nkid, f, &s, &h);
	}
}

static struct node *
check_size(struct parser *p, struct node *n)
{
	if (n->stack <= MAX_STACK && n->height <= MAX_HEIGHT)
		return n;
	fail(p, n->pos, "expression nested too deeply");
	node_free(n);
	return NULL;
}

/* Measure a finished AND or OR, the deepest operand first if need be. */
static struct node *
finish_chain(struct parser *p, struct node *n)
{
	size_t i, best = 0;
	struct node *k;

	emit_range(n, 0, n->nkid, NULL, &n->stack, &n->height);
	if (n->stack > SOFT_STACK) {
		for (i = 1; i < n->nkid; i++)
			if (n->kid[i]->stack > n->kid[best]->stack)
				best = i;
		k = n->kid[best];
		memmove(n->kid + 1, n->kid, best * sizeof(*n->kid));
		n->kid[0] = k;
		emit_range(n, 0, n->nkid, NULL, &n->stack, &n->height);
	}
	return check_size(p, n);
}

/*
 * "not X": NULL counts as false, so "not" is "(X) IS NOT TRUE", and two
 * of them cancel out.
 */
static struct node *
negate(struct parser *p, struct node *k, size_t pos)
{
	struct node *n;

	if (k->type == N_NOT) {
		n = k->kid[0];
		k->nkid = 0;
		node_free(k);
		return n;
	}
	n = node_new(N_NOT, pos);
	add_kid(n, k);
	n->stack = k->stack + !k->primary;
	n->height = k->height + 1;
	return check_size(p, n);
}

static struct node *
leaf_done(struct parser *p, struct node *n, int primary)
{
	n->primary = primary;
	n->stack = LEAF_STACK;
	n->height = LEAF_HEIGHT;
	p->nparams += n->leaf.n;
	if (p->nparams <= MAX_PARAMS)
		return n;
	fail(p, n->pos, "too many values in expression");
	node_free(n);
	return NULL;
}

/* Leaves: SQL for one comparison */

/* The field's SQL; a custom field binds its JSON path. */
static void
add_field(struct crm_filter *f, const struct cmp *c, int numeric)
{
	if (c->path == NULL) {
		crm_buf_adds(&f->sql, c->sql);
		return;
	}
	crm_buf_addf(&f->sql, "%sjson_extract(%s, ?)%s",
	    numeric ? "CAST(" : "", c->json, numeric ? " AS NUMERIC)" : "");
	push_text(f, c->path);
}

/* The SET template with cond in place of its "%s", negated if neg. */
static void
add_set(struct crm_filter *f, const struct cmp *c, int neg, const char *cond)
{
	const char *s = strstr(c->sql, "%s");

	if (neg)
		crm_buf_adds(&f->sql, "NOT ");
	if (s == NULL) {
		crm_buf_addf(&f->sql, "%s %s", c->sql, cond);
		return;
	}
	crm_buf_add(&f->sql, c->sql, (size_t)(s - c->sql));
	crm_buf_adds(&f->sql, cond);
	crm_buf_adds(&f->sql, s + 2);
}

/* "%s%" with LIKE's % _ and \ escaped. */
static void
push_like(struct crm_filter *f, const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_buf_addch(&b, '%');
	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			crm_buf_addch(&b, '\\');
		crm_buf_addch(&b, *s);
	}
	crm_buf_addch(&b, '%');
	push_text(f, b.buf);
	crm_buf_release(&b);
}

/* A whole day d: "= d" is [d, d+1), "> d" is from d+1, and so on. */
static int
leaf_day(struct crm_filter *f, const struct cmp *c, enum op op,
    const struct val *v)
{
	const char *e = c->sql;
	const char *start = v->p.s, *next = v->next;

	switch (op) {
	case OP_EQ:
		crm_buf_addf(&f->sql, "(%s >= ? AND %s < ?)", e, e);
		push_text(f, start);
		push_text(f, next);
		return 1;
	case OP_NE:
		crm_buf_addf(&f->sql, "(%s IS NULL OR %s < ? OR %s >= ?)",
		    e, e, e);
		push_text(f, start);
		push_text(f, next);
		return 1;
	default:
		crm_buf_addf(&f->sql, "%s %s ?", e,
		    op == OP_GT || op == OP_GE ? ">=" : "<");
		push_text(f, op == OP_GT || op == OP_LE ? next : start);
		return 0;
	}
}

/* "field op value" into f; returns whether the SQL is primary. */
static int
leaf_op(struct crm_filter *f, const struct cmp *c, enum op op,
    const struct val *v)
{
	int like = op == OP_LIKE || op == OP_NLIKE;
	int neg = op == OP_NE || op == OP_NLIKE;

	if (c->type == CRM_FT_SET) {
		add_set(f, c, neg, like ? "LIKE ? ESCAPE '\\'" : "= ?");
	} else if (v->day) {
		return leaf_day(f, c, op, v);
	} else {
		if (neg) {
			crm_buf_addch(&f->sql, '(');
			add_field(f, c, v->numeric);
			crm_buf_adds(&f->sql, " IS NULL OR ");
		}
		add_field(f, c, v->numeric);
		crm_buf_addf(&f->sql, " %s ?%s", opsql[op],
		    like ? " ESCAPE '\\'" : "");
	}
	if (like)
		push_like(f, v->p.s);
	else
		push(f, &v->p);
	if (neg && c->type != CRM_FT_SET)
		crm_buf_addch(&f->sql, ')');
	return c->type == CRM_FT_SET ? !neg : neg;
}

/* "field [not] in (v, ...)" into f; returns whether it is primary. */
static int
leaf_in(struct crm_filter *f, const struct cmp *c, int neg,
    const struct val *v, size_t n)
{
	struct crm_buf cond = CRM_BUF_INIT;
	size_t i;

	crm_buf_adds(&cond, "IN (");
	for (i = 0; i < n; i++)
		crm_buf_adds(&cond, i > 0 ? ", ?" : "?");
	crm_buf_addch(&cond, ')');
	if (c->type == CRM_FT_SET)
		add_set(f, c, neg, cond.buf);
	else {
		if (neg) {
			crm_buf_addch(&f->sql, '(');
			add_field(f, c, v[0].numeric);
			crm_buf_adds(&f->sql, " IS NULL OR ");
		}
		add_field(f, c, v[0].numeric);
		crm_buf_addf(&f->sql, " %s%s", neg ? "NOT " : "", cond.buf);
		if (neg)
			crm_buf_addch(&f->sql, ')');
	}
	crm_buf_release(&cond);
	for (i = 0; i < n; i++)
		push(f, &v[i].p);
	return c->type == CRM_FT_SET ? !neg : neg;
}

/* "field is set" (set) or "is empty"; returns whether it is primary. */
static int
leaf_is(struct crm_filter *f, const struct cmp *c, int set)
{
	const char *none = c->type == CRM_FT_BOOL ? "0" : "''";

	if (c->type == CRM_FT_SET) {
		add_set(f, c, !set, "IS NOT NULL");
		return set;
	}
	crm_buf_addch(&f->sql, '(');
	add_field(f, c, 0);
	crm_buf_adds(&f->sql, set ? " IS NOT NULL AND " : " IS NULL OR ");
	add_field(f, c, 0);
	crm_buf_addf(&f->sql, " %s %s)", set ? "!=" : "=", none);
	return 1;
}

/* Parser */

static int
check_op(struct parser *p, const struct cmp *c, enum op op, size_t pos)
{
	int like = op == OP_LIKE || op == OP_NLIKE;
	int order = op != OP_EQ && op != OP_NE && !like;
	int bad;

	switch (c->type) {
	case CRM_FT_TEXT:
		bad = 0;
		break;
	case CRM_FT_SET:
		bad = order;
		break;
	case CRM_FT_BOOL:
		bad = order || like;
		break;
	default:
		bad = like;
	}
	if (bad)
		return fail(p, pos, "cannot use \"%s\" on \"%s\"", opname[op],
		    c->name);
	return 0;
}

/* A value, the current token; after names what it follows. */
static int
get_value(struct parser *p, struct rawval *r, const char *after)
{
	if (p->tok.kind == T_STR || (p->tok.kind == T_WORD &&
	    !iskw(p, "and") && !iskw(p, "or"))) {
		r->s = crm_xstrdup(crm_buf_str(&p->tok.val));
		r->pos = p->tok.pos;
		r->quoted = p->tok.kind == T_STR;
		if (lex(p) == 0)
			return 0;
		free(r->s);
		r->s = NULL;
		return -1;
	}
	return fail(p, p->tok.pos, "expected a value after \"%s\"", after);
}

/*
 * The value to bind for field c; numop says whether a custom field
 * compares as a number when the value is a bare number.
 */
static int
convert(struct parser *p, const struct cmp *c, int numop,
    const struct rawval *r, struct val *v)
{
	char t[CRM_TIME_LEN], buf[48];
	const char *s = shorten(r->s, strlen(r->s), buf);

	memset(v, 0, sizeof(*v));
	v->p.type = P_TEXT;
	switch (c->type) {
	case CRM_FT_INT:
		if (number(r->s, &v->p) != 0)
			return fail(p, r->pos, "expected a number for \"%s\", "
			    "got \"%s\"", c->name, s);
		return 0;
	case CRM_FT_BOOL:
		if (boolean(r->s, &v->p) != 0)
			return fail(p, r->pos, "expected true or false for "
			    "\"%s\", got \"%s\"", c->name, s);
		return 0;
	case CRM_FT_TIME:
		if (crm_time_parse(r->s, t, &v->day) != 0)
			return fail(p, r->pos, "expected a time for \"%s\", "
			    "got \"%s\"", c->name, s);
		if (v->day)
			crm_time_add_days(t, 1, v->next);
		v->p.s = crm_xstrdup(t);
		return 0;
	default:
		if (c->path != NULL && numop && !r->quoted &&
		    number(r->s, &v->p) == 0)
			return v->numeric = 1, 0;
		v->p.s = crm_xstrdup(r->s);
		return 0;
	}
}

static struct node *
cmp_op(struct parser *p, const struct cmp *c)
{
	enum op op = p->tok.op;
	struct rawval r = { NULL, 0, 0 };
	struct node *n = NULL;
	struct val v;

	if (check_op(p, c, op, p->tok.pos) != 0 || lex(p) != 0 ||
	    get_value(p, &r, opname[op]) != 0)
		goto done;
	if (convert(p, c, op != OP_LIKE && op != OP_NLIKE, &r, &v) != 0)
		goto done;
	n = node_new(N_LEAF, c->pos);
	n = leaf_done(p, n, leaf_op(&n->leaf, c, op, &v));
	free(v.p.s);
done:
	free(r.s);
	return n;
}

/* "(v, ...)" after "in" into r[*nr]; the caller frees the values. */
static int
parse_list(struct parser *p, struct rawval **r, size_t *nr)
{
	const char *after = "(";
	size_t open = p->tok.pos, alloc = 0;
	char buf[48];

	if (p->tok.kind != T_LP)
		return fail(p, p->tok.pos, "expected \"(\" after \"in\"");
	if (lex(p) != 0)
		return -1;
	if (p->tok.kind == T_RP)
		return fail(p, p->tok.pos, "empty list after \"in\"");
	for (;;) {
		if (*nr == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			*r = crm_xrealloc(*r, alloc * sizeof(**r));
		}
		if (get_value(p, &(*r)[*nr], after) != 0)
			return -1;
		(*nr)++;
		if (p->tok.kind == T_RP)
			return lex(p);
		if (p->tok.kind == T_EOF)
			return fail(p, open, "\"(\" is never closed");
		if (p->tok.kind != T_COMMA)
			return fail(p, p->tok.pos, "expected \",\" or \")\", "
			    "got \"%s\"", toktext(p, buf));
		after = ",";
		if (lex(p) != 0)
			return -1;
	}
}

/* A time list: one "=" per value (days are ranges), or-ed. */
static struct node *
time_in(struct parser *p, const struct cmp *c, const struct val *v,
    size_t n, int neg)
{
	struct node *any = node_new(N_OR, c->pos), *k;
	size_t i;

	for (i = 0; i < n; i++) {
		k = node_new(N_LEAF, c->pos);
		if ((k = leaf_done(p, k, leaf_op(&k->leaf, c, OP_EQ,
		    &v[i]))) == NULL) {
			node_free(any);
			return NULL;
		}
		add_kid(any, k);
	}
	if (any->nkid == 1) {
		k = any->kid[0];
		any->nkid = 0;
		node_free(any);
	} else if ((k = finish_chain(p, any)) == NULL)
		return NULL;
	return neg ? negate(p, k, c->pos) : k;
}

/* Values of a list, converted; numbers only if all are bare numbers. */
static struct node *
list_node(struct parser *p, const struct cmp *c, struct rawval *r,
    size_t nr, int neg)
{
	struct val *v = crm_xcalloc(nr, sizeof(*v));
	struct node *n = NULL;
	size_t i, nv = 0;
	int allnum = 1;
	struct param tmp;

	for (i = 0; i < nr; i++)
		if (r[i].quoted || number(r[i].s, &tmp) != 0)
			allnum = 0;
	for (nv = 0; nv < nr; nv++)
		if (convert(p, c, allnum, &r[nv], &v[nv]) != 0)
			goto done;
	if (c->type == CRM_FT_TIME)
		n = time_in(p, c, v, nv, neg);
	else {
		n = node_new(N_LEAF, c->pos);
		n = leaf_done(p, n, leaf_in(&n->leaf, c, neg, v, nv));
	}
done:
	for (i = 0; i < nv; i++)
		free(v[i].p.s);
	free(v);
	return n;
}

static struct node *
cmp_in(struct parser *p, const struct cmp *c)
{
	int neg = iskw(p, "not");
	struct rawval *r = NULL;
	struct node *n = NULL;
	size_t i, nr = 0;

	if (lex(p) != 0)
		goto done;
	if (neg && !iskw(p, "in")) {
		fail(p, p->tok.pos, "expected \"in\" after \"not\"");
		goto done;
	}
	if ((neg && lex(p) != 0) || parse_list(p, &r, &nr) != 0)
		goto done;
	n = list_node(p, c, r, nr, neg);
done:
	for (i = 0; i < nr; i++)
		free(r[i].s);
	free(r);
	return n;
}

static struct node *
cmp_is(struct parser *p, const struct cmp *c)
{
	int neg, set;
	struct node *n;

	if (lex(p) != 0)
		return NULL;
	if ((neg = iskw(p, "not")) && lex(p) != 0)
		return NULL;
	if (!(set = iskw(p, "set")) && !iskw(p, "empty")) {
		fail(p, p->tok.pos, "expected \"set\" or \"empty\" after "
		    "\"%s\"", neg ? "is not" : "is");
		return NULL;
	}
	if (lex(p) != 0)
		return NULL;
	n = node_new(N_LEAF, c->pos);
	return leaf_done(p, n, leaf_is(&n->leaf, c, set != neg));
}

static struct node *
parse_cmp(struct parser *p)
{
	struct val v;
	struct cmp c;
	struct node *n = NULL;
	char buf[48];

	if (p->tok.kind == T_EOF)
		return fail(p, p->tok.pos, "expected a field name at end of "
		    "expression"), NULL;
	if (p->tok.kind != T_WORD || iskw(p, "and") || iskw(p, "or") ||
	    iskw(p, "in") || iskw(p, "is"))
		return fail(p, p->tok.pos, "expected a field name, got \"%s\"",
		    toktext(p, buf)), NULL;
	if (resolve(p->fs, p->src + p->tok.pos, p->tok.len, p->tok.pos, &c,
	    &p->err) != 0 || lex(p) != 0)
		goto done;
	if (p->tok.kind == T_OP)
		n = cmp_op(p, &c);
	else if (iskw(p, "in") || iskw(p, "not"))
		n = cmp_in(p, &c);
	else if (iskw(p, "is"))
		n = cmp_is(p, &c);
	else if (c.type == CRM_FT_BOOL) {
		memset(&v, 0, sizeof(v));
		v.p.i = 1;
		n = node_new(N_LEAF, c.pos);
		n = leaf_done(p, n, leaf_op(&n->leaf, &c, OP_EQ, &v));
	} else
		fail(p, p->tok.pos, "expected an operator after \"%s\"",
		    shorten(c.name, strlen(c.name), buf));
done:
	cmp_release(&c);
	return n;
}

static struct node *parse_chain(struct parser *, enum ntype);

static int
enter(struct parser *p)
{
	if (++p->depth > MAX_DEPTH)
		return fail(p, p->tok.pos, "expression nested too deeply");
	return lex(p);
}

static struct node *
parse_primary(struct parser *p)
{
	size_t open = p->tok.pos;
	struct node *n;
	char buf[48];

	if (p->tok.kind != T_LP)
		return parse_cmp(p);
	if (enter(p) != 0 || (n = parse_chain(p, N_OR)) == NULL)
		return NULL;
	if (p->tok.kind != T_RP) {
		if (p->tok.kind == T_EOF)
			fail(p, open, "\"(\" is never closed");
		else
			fail(p, p->tok.pos, "unexpected \"%s\"",
			    toktext(p, buf));
		node_free(n);
		return NULL;
	}
	p->depth--;
	if (lex(p) != 0) {
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *
parse_not(struct parser *p)
{
	size_t pos = p->tok.pos;
	struct node *n;

	if (!iskw(p, "not"))
		return parse_primary(p);
	if (enter(p) != 0 || (n = parse_not(p)) == NULL)
		return NULL;
	p->depth--;
	return negate(p, n, pos);
}

/* or := and ("or" and)*; and := not ("and" not)* */
static struct node *
parse_chain(struct parser *p, enum ntype type)
{
	const char *kw = type == N_OR ? "or" : "and";
	struct node *n, *k;

	k = type == N_OR ? parse_chain(p, N_AND) : parse_not(p);
	if (k == NULL || !iskw(p, kw))
		return k;
	n = node_new(type, k->pos);
	add_kid(n, k);
	while (iskw(p, kw)) {
		if (lex(p) != 0)
			k = NULL;
		else
			k = type == N_OR ? parse_chain(p, N_AND) : parse_not(p);
		if (k == NULL) {
			node_free(n);
			return NULL;
		}
		add_kid(n, k);
	}
	return finish_chain(p, n);
}

/* Public interface */

struct crm_error *
crm_filter_compile(const char *expr, const struct crm_fieldset *fs,
    struct crm_filter **out)
{
	struct parser p;
	struct node *root = NULL;
	struct crm_filter *f;
	char buf[48];

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.src = expr != NULL ? expr : "";
	p.fs = fs;
	if ((p.err = validate(p.src, "expression")) != NULL || lex(&p) != 0)
		goto done;
	if (p.tok.kind != T_EOF && (root = parse_chain(&p, N_OR)) != NULL &&
	    p.tok.kind != T_EOF)
		fail(&p, p.tok.pos, "unexpected \"%s\"", toktext(&p, buf));
	if (p.err != NULL)
		goto done;
	f = crm_xcalloc(1, sizeof(*f));
	if (root == NULL)
		crm_buf_adds(&f->sql, "1");
	else
		emit_node(root, f);
	*out = f;
done:
	node_free(root);
	crm_buf_release(&p.tok.val);
	return p.err;
}

const char *
crm_filter_sql(const struct crm_filter *f)
{
	return crm_buf_str(&f->sql);
}

int
crm_filter_nparams(const struct crm_filter *f)
{
	return f->n;
}

int
crm_filter_bind(const struct crm_filter *f, sqlite3_stmt *st, int first)
{
	const struct param *v;
	int i, rc;

	for (i = 0; i < f->n; i++) {
		v = &f->params[i];
		if (v->type == P_INT)
			rc = sqlite3_bind_int64(st, first + i, v->i);
		else if (v->type == P_REAL)
			rc = sqlite3_bind_double(st, first + i, v->d);
		else
			rc = sqlite3_bind_text(st, first + i, v->s, -1,
			    SQLITE_TRANSIENT);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

void
crm_filter_free(struct crm_filter *f)
{
	if (f == NULL)
		return;
	filter_release(f);
	free(f);
}

/* One "-name" of a sort list at spec + *i into b. */
static int
sort_item(const char *spec, size_t *i, const struct crm_fieldset *fs,
    struct crm_buf *b, struct crm_error **err)
{
	size_t start;
	int desc = 0;
	struct cmp c;

	if (spec[*i] == '-' || spec[*i] == '+')
		desc = spec[(*i)++] == '-';
	start = *i;
	*i += strcspn(spec + *i, "," BLANKS);
	if (*i == start)
		return failat(err, start, "expected a field name");
	if (resolve(fs, spec + start, *i - start, start, &c, err) != 0)
		goto fail;
	if (c.type == CRM_FT_SET) {
		failat(err, start, "cannot sort by \"%s\"", c.name);
		goto fail;
	}
	if (c.path != NULL)
		crm_buf_addf(b, "json_extract(%s, '%s')", c.json, c.path);
	else
		crm_buf_adds(b, c.sql);
	crm_buf_adds(b, desc ? " DESC, " : " ASC, ");
	cmp_release(&c);
	return 0;
fail:
	cmp_release(&c);
	return -1;
}

struct crm_error *
crm_sort_compile(const char *spec, const struct crm_fieldset *fs,
    const char *tiebreak, char **sql)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	size_t i = 0;
	char buf[48];

	*sql = NULL;
	if (spec == NULL)
		spec = "";
	if ((err = validate(spec, "sort list")) != NULL)
		return err;
	i = strspn(spec, BLANKS);
	while (spec[i] != '\0') {
		if (sort_item(spec, &i, fs, &b, &err) != 0)
			goto fail;
		i += strspn(spec + i, BLANKS);
		if (spec[i] == '\0')
			break;
		if (spec[i] != ',') {
			failat(&err, i, "unexpected \"%s\"", shorten(spec + i,
			    strcspn(spec + i, "," BLANKS), buf));
			goto fail;
		}
		i++;
		i += strspn(spec + i, BLANKS);
		if (spec[i] == '\0') {
			failat(&err, i, "expected a field name");
			goto fail;
		}
	}
	if (tiebreak != NULL)
		crm_buf_adds(&b, tiebreak);
	else if (b.len >= 2)
		b.buf[b.len -= 2] = '\0';
	*sql = crm_buf_detach(&b);
	return NULL;
fail:
	crm_buf_release(&b);
	return err;
}

const char **
crm_fieldset_names(const struct crm_fieldset *fs)
{
	const char **v = crm_xcalloc(fs->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < fs->n; i++)
		v[i] = fs->fields[i].name;
	return v;
}
