/*
 * The filter's lexer and recursive-descent parser: an expression into the
 * tree of filter_sql.c, each comparison checked against its field's type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"
#include "filter_int.h"

static const char *const opname[] = {
	"=", "!=", "<", "<=", ">", ">=", "~", "!~"
};

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
	return filter_shorten(p->src + p->tok.pos, p->tok.len, buf);
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
	const char *s = filter_shorten(r->s, strlen(r->s), buf);

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
	n = filter_node_new(N_LEAF, c->pos);
	n = filter_leaf_done(p, n, filter_leaf_op(&n->leaf, c, op, &v));
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
	struct node *any = filter_node_new(N_OR, c->pos), *k;
	size_t i;

	for (i = 0; i < n; i++) {
		k = filter_node_new(N_LEAF, c->pos);
		k = filter_leaf_done(p, k, filter_leaf_op(&k->leaf, c, OP_EQ,
		    &v[i]));
		if (k == NULL) {
			filter_node_free(any);
			return NULL;
		}
		filter_add_kid(any, k);
	}
	if (any->nkid == 1) {
		k = any->kid[0];
		any->nkid = 0;
		filter_node_free(any);
	} else if ((k = filter_finish_chain(p, any)) == NULL)
		return NULL;
	return neg ? filter_negate(p, k, c->pos) : k;
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
		n = filter_node_new(N_LEAF, c->pos);
		n = filter_leaf_done(p, n,
		    filter_leaf_in(&n->leaf, c, neg, v, nv));
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
	n = filter_node_new(N_LEAF, c->pos);
	return filter_leaf_done(p, n, filter_leaf_is(&n->leaf, c, set != neg));
}

/* The condition named r (in "segment = r"), as a leaf. */
static struct node *
named_leaf(struct parser *p, const struct cmp *c, const struct rawval *r)
{
	struct crm_filter *sub = NULL;
	struct crm_error *err;
	struct node *n;

	if (p->scope == NULL || p->fs->expand == NULL)
		return fail(p, c->pos, "\"%s\" cannot be used here",
		    c->name), NULL;
	if ((err = p->fs->expand(p->scope, r->s, &sub)) != NULL) {
		fail(p, r->pos, "%s", err->msg);
		crm_error_free(err);
		return NULL;
	}
	n = filter_leaf_sub(p, c->pos, sub);
	crm_filter_free(sub);
	return n;
}

/* "= NAME", "!= NAME", "[not] in (NAME, ...)" after a named field. */
static struct node *
cmp_named(struct parser *p, const struct cmp *c)
{
	struct rawval *r = NULL, one = { NULL, 0, 0 };
	struct node *any = NULL, *k;
	size_t i, nr = 0;
	int neg = 0;

	if (p->tok.kind == T_OP && (p->tok.op == OP_EQ ||
	    p->tok.op == OP_NE)) {
		neg = p->tok.op == OP_NE;
		if (lex(p) != 0 || get_value(p, &one, neg ? "!=" : "=") != 0)
			goto done;
		any = named_leaf(p, c, &one);
	} else if (iskw(p, "in") || iskw(p, "not")) {
		if ((neg = iskw(p, "not")) && (lex(p) != 0 || !iskw(p, "in"))) {
			fail(p, p->tok.pos, "expected \"in\" after \"not\"");
			goto done;
		}
		if (lex(p) != 0 || parse_list(p, &r, &nr) != 0)
			goto done;
		any = filter_node_new(N_OR, c->pos);
		for (i = 0; i < nr; i++) {
			if ((k = named_leaf(p, c, &r[i])) == NULL) {
				filter_node_free(any);
				any = NULL;
				goto done;
			}
			filter_add_kid(any, k);
		}
		if (any->nkid == 1) {
			k = any->kid[0];
			any->nkid = 0;
			filter_node_free(any);
			any = k;
		} else
			any = filter_finish_chain(p, any);
	} else
		fail(p, p->tok.pos, "expected \"=\", \"!=\" or \"in\" "
		    "after \"%s\"", c->name);
done:
	if (any != NULL && neg)
		any = filter_negate(p, any, c->pos);
	free(one.s);
	for (i = 0; i < nr; i++)
		free(r[i].s);
	free(r);
	return any;
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
	if (filter_resolve(p->fs, p->src + p->tok.pos, p->tok.len,
	    p->tok.pos, &c, &p->err) != 0 || lex(p) != 0)
		goto done;
	if (c.type == CRM_FT_NAMED)
		n = cmp_named(p, &c);
	else if (p->tok.kind == T_OP)
		n = cmp_op(p, &c);
	else if (iskw(p, "in") || iskw(p, "not"))
		n = cmp_in(p, &c);
	else if (iskw(p, "is"))
		n = cmp_is(p, &c);
	else if (c.type == CRM_FT_BOOL) {
		memset(&v, 0, sizeof(v));
		v.p.i = 1;
		n = filter_node_new(N_LEAF, c.pos);
		n = filter_leaf_done(p, n,
		    filter_leaf_op(&n->leaf, &c, OP_EQ, &v));
	} else
		fail(p, p->tok.pos, "expected an operator after \"%s\"",
		    filter_shorten(c.name, strlen(c.name), buf));
done:
	filter_cmp_release(&c);
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
		filter_node_free(n);
		return NULL;
	}
	p->depth--;
	if (lex(p) != 0) {
		filter_node_free(n);
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
	return filter_negate(p, n, pos);
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
	n = filter_node_new(type, k->pos);
	filter_add_kid(n, k);
	while (iskw(p, kw)) {
		if (lex(p) != 0)
			k = NULL;
		else
			k = type == N_OR ? parse_chain(p, N_AND) : parse_not(p);
		if (k == NULL) {
			filter_node_free(n);
			return NULL;
		}
		filter_add_kid(n, k);
	}
	return filter_finish_chain(p, n);
}

/* Public interface */

struct crm_error *
crm_filter_compile(const char *expr, const struct crm_fieldset *fs,
    struct crm_filter **out)
{
	return crm_filter_compile_in(expr, fs, NULL, out);
}

struct crm_error *
crm_filter_compile_in(const char *expr, const struct crm_fieldset *fs,
    const struct crm_filter_scope *scope, struct crm_filter **out)
{
	struct parser p;
	struct node *root = NULL;
	struct crm_filter *f;
	char buf[48];

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.src = expr != NULL ? expr : "";
	p.fs = fs;
	p.scope = scope;
	if ((p.err = filter_validate(p.src, "expression")) != NULL ||
	    lex(&p) != 0)
		goto done;
	if (p.tok.kind != T_EOF && (root = parse_chain(&p, N_OR)) != NULL &&
	    p.tok.kind != T_EOF)
		fail(&p, p.tok.pos, "unexpected \"%s\"", toktext(&p, buf));
	if (p.err != NULL)
		goto done;
	f = crm_xcalloc(1, sizeof(*f));
	f->stack = f->height = 1;
	if (root == NULL)
		crm_buf_adds(&f->sql, "1");
	else {
		filter_emit(root, f);
		f->stack = root->stack;
		f->height = root->height;
	}
	*out = f;
done:
	filter_node_free(root);
	crm_buf_release(&p.tok.val);
	return p.err;
}
