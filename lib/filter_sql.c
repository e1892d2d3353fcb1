/*
 * The filter's tree and its SQL: the leaves (one comparison each, with
 * its values), and how AND, OR and NOT write them out, with an estimate
 * of the SQLite parser stack and expression height that SQL needs.
 */
#include <stdlib.h>
#include <string.h>

#include "crm_filter.h"
#include "crm_util.h"
#include "filter_int.h"

static const char *const opsql[] = {
	"=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE"
};

/* Tree */

struct node *
filter_node_new(enum ntype type, size_t pos)
{
	struct node *n = crm_xcalloc(1, sizeof(*n));

	n->type = type;
	n->pos = pos;
	n->primary = type == N_AND || type == N_OR;
	return n;
}

void
filter_node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		filter_node_free(n->kid[i]);
	free(n->kid);
	filter_release(&n->leaf);
	free(n);
}

/* Add k to n; an operand of the same kind gives its operands instead. */
void
filter_add_kid(struct node *n, struct node *k)
{
	size_t i;

	if (k->type == n->type && n->type != N_NOT) {
		for (i = 0; i < k->nkid; i++)
			filter_add_kid(n, k->kid[i]);
		k->nkid = 0;
		filter_node_free(k);
		return;
	}
	if (n->nkid == n->akid) {
		n->akid = n->akid ? n->akid * 2 : 4;
		n->kid = crm_xrealloc(n->kid, n->akid * sizeof(*n->kid));
	}
	n->kid[n->nkid++] = k;
}

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
			filter_emit(n->kid[lo], f);
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
				filter_emit(n->kid[i], f);
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

void
filter_emit(const struct node *n, struct crm_filter *f)
{
	const struct node *k;
	int i, s, h;

	switch (n->type) {
	case N_LEAF:
		crm_buf_adds(&f->sql, crm_buf_str(&n->leaf.sql));
		for (i = 0; i < n->leaf.n; i++)
			filter_push(f, &n->leaf.params[i]);
		break;
	case N_NOT:
		k = n->kid[0];
		adds(f, k->primary ? "" : "(");
		filter_emit(k, f);
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
	filter_node_free(n);
	return NULL;
}

/* Measure a finished AND or OR, the deepest operand first if need be. */
struct node *
filter_finish_chain(struct parser *p, struct node *n)
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
struct node *
filter_negate(struct parser *p, struct node *k, size_t pos)
{
	struct node *n;

	if (k->type == N_NOT) {
		n = k->kid[0];
		k->nkid = 0;
		filter_node_free(k);
		return n;
	}
	n = filter_node_new(N_NOT, pos);
	filter_add_kid(n, k);
	n->stack = k->stack + !k->primary;
	n->height = k->height + 1;
	return check_size(p, n);
}

struct node *
filter_leaf_done(struct parser *p, struct node *n, int primary)
{
	n->primary = primary;
	n->stack = LEAF_STACK;
	n->height = LEAF_HEIGHT;
	p->nparams += n->leaf.n;
	if (p->nparams <= MAX_PARAMS)
		return n;
	fail(p, n->pos, "too many values in expression");
	filter_node_free(n);
	return NULL;
}

struct node *
filter_leaf_sub(struct parser *p, size_t pos, const struct crm_filter *sub)
{
	struct node *n = filter_node_new(N_LEAF, pos);
	int i;

	crm_buf_addf(&n->leaf.sql, "(%s)", crm_buf_str(&sub->sql));
	for (i = 0; i < sub->n; i++)
		filter_push(&n->leaf, &sub->params[i]);
	if ((n = filter_leaf_done(p, n, 1)) == NULL)
		return NULL;
	n->stack = max(LEAF_STACK, sub->stack + 1);
	n->height = max(LEAF_HEIGHT, sub->height + 1);
	return check_size(p, n);
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
	filter_push_text(f, c->path);
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
	filter_push_text(f, b.buf);
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
		filter_push_text(f, start);
		filter_push_text(f, next);
		return 1;
	case OP_NE:
		crm_buf_addf(&f->sql, "(%s IS NULL OR %s < ? OR %s >= ?)",
		    e, e, e);
		filter_push_text(f, start);
		filter_push_text(f, next);
		return 1;
	default:
		crm_buf_addf(&f->sql, "%s %s ?", e,
		    op == OP_GT || op == OP_GE ? ">=" : "<");
		filter_push_text(f, op == OP_GT || op == OP_LE ? next : start);
		return 0;
	}
}

/* "field op value" into f; returns whether the SQL is primary. */
int
filter_leaf_op(struct crm_filter *f, const struct cmp *c, enum op op,
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
		filter_push(f, &v->p);
	if (neg && c->type != CRM_FT_SET)
		crm_buf_addch(&f->sql, ')');
	return c->type == CRM_FT_SET ? !neg : neg;
}

/* "field [not] in (v, ...)" into f; returns whether it is primary. */
int
filter_leaf_in(struct crm_filter *f, const struct cmp *c, int neg,
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
		filter_push(f, &v[i].p);
	return c->type == CRM_FT_SET ? !neg : neg;
}

/* "field is set" (set) or "is empty"; returns whether it is primary. */
int
filter_leaf_is(struct crm_filter *f, const struct cmp *c, int set)
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
