/*
 * Internal to lib/filter*.c.  filter_parse.c reads an expression into a
 * tree (struct node) whose leaves are finished SQL conditions with their
 * values, built by filter_sql.c, which also writes the tree out as one
 * condition; filter.c has what both share and the public interface.
 */
#ifndef CRM_FILTER_INT_H
#define CRM_FILTER_INT_H

#include <stddef.h>

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
	int		 stack;	/* estimated SQLite parser stack */
	int		 height; /* estimated SQLite expression height */
};

enum tkind { T_EOF, T_LP, T_RP, T_COMMA, T_OP, T_STR, T_WORD };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE, OP_NLIKE };

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
	const struct crm_filter_scope *scope;
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

/* Set *err (if not yet set) to "column pos + 1: ..."; returns -1. */
int	 filter_fail(struct crm_error **err, size_t pos, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
#define fail(p, pos, ...) filter_fail(&(p)->err, (pos), __VA_ARGS__)
/* s[0..n) for a message, in buf: at most 40 bytes and "...". */
const char *filter_shorten(const char *s, size_t n, char buf[48]);
/* NULL, or an error (the caller frees it) for what no text contains. */
struct crm_error *filter_validate(const char *s, const char *what);

/* Append v to f's values (copying a text); release f's SQL and values. */
void	 filter_push(struct crm_filter *f, const struct param *v);
void	 filter_push_text(struct crm_filter *f, const char *s);
void	 filter_release(struct crm_filter *f);

/* Resolve w[0..len) into *c; release c with filter_cmp_release. */
int	 filter_resolve(const struct crm_fieldset *fs, const char *w,
	    size_t len, size_t pos, struct cmp *c, struct crm_error **err);
void	 filter_cmp_release(struct cmp *c);

/* The tree: nodes own their kids; filter_node_free frees NULL too. */
struct node *filter_node_new(enum ntype type, size_t pos);
void	 filter_node_free(struct node *n);
void	 filter_add_kid(struct node *n, struct node *k);
void	 filter_emit(const struct node *n, struct crm_filter *f);
/* These take n (or k) and return it, or free it and return NULL. */
struct node *filter_finish_chain(struct parser *p, struct node *n);
struct node *filter_negate(struct parser *p, struct node *k, size_t pos);
struct node *filter_leaf_done(struct parser *p, struct node *n,
	    int primary);
/* A leaf holding a whole other filter, sub, in parentheses. */
struct node *filter_leaf_sub(struct parser *p, size_t pos,
	    const struct crm_filter *sub);

/* A comparison's SQL into f; they return whether it is primary. */
int	 filter_leaf_op(struct crm_filter *f, const struct cmp *c, enum op op,
	    const struct val *v);
int	 filter_leaf_in(struct crm_filter *f, const struct cmp *c, int neg,
	    const struct val *v, size_t n);
int	 filter_leaf_is(struct crm_filter *f, const struct cmp *c, int set);

#endif
