/*
 * The filter language of --where and segments (crm-filter(7)), compiled
 * to a parameterised SQL condition.  No text from the user is ever pasted
 * into SQL: values are bound, and every field is looked up in the entity's
 * table of fields, whose SQL the domain module wrote.
 *
 *   stage = customer and tag = vip and created_at > -30d
 *   email ~ "@example.org" or (country in (DE, FR) and not opt_in)
 *   fields.industry = retail and score >= 40
 */
#ifndef CRM_FILTER_H
#define CRM_FILTER_H

#include <stddef.h>

#include <sqlite3.h>

#include "crm_error.h"

enum crm_ftype {
	CRM_FT_TEXT,	/* = != < <= > >= compare text; ~ !~ contain */
	CRM_FT_INT,	/* values must be numbers */
	CRM_FT_BOOL,	/* bare "opt_in", "not opt_in", = true|false */
	CRM_FT_TIME,	/* ISO text; values are times or relative dates */
	CRM_FT_SET,	/* many values (tags): sql is a template, below */
	CRM_FT_NAMED	/* a named filter ("segment = vip"): the fieldset's
			 * expand hook gives its condition; sql unused */
};

/*
 * One field of an entity.  For every type but CRM_FT_SET, sql is an SQL
 * expression for the value ("c.email").  For CRM_FT_SET it is an EXISTS
 * template with one "%s" where the condition on the value goes:
 * "EXISTS (SELECT 1 FROM contact_tags t WHERE t.contact_id = c.id
 * AND t.tag %s)"; "tag = vip" has a member equal to vip, "tag != vip" has
 * none, "tag is set" has any.
 */
struct crm_field {
	const char	*name;
	const char	*sql;
	enum crm_ftype	 type;
};

struct crm_db;
struct crm_filter;

/*
 * Where an expression is compiled, for the named filters in it: the
 * database they are read from, and the names being expanded around it
 * (outer, name), so that a filter naming itself, however indirectly, is
 * refused.  named (may be NULL) is told the id of each named filter the
 * expression names itself, not those named inside them.
 */
struct crm_filter_scope {
	struct crm_db			*db;
	const struct crm_filter_scope	*outer;	/* NULL at the top */
	const char			*name;	/* expanded here, or NULL */
	void	(*named)(void *arg, sqlite3_int64 id);
	void	*arg;
};

/*
 * An entity's fields: the table, and the SQL expression of the JSON
 * column holding custom fields ("c.fields"), or NULL when the entity has
 * none.  "fields.NAME" compiles to json_extract(<json>, ?) with the path
 * bound.  expand (NULL when the entity has no CRM_FT_NAMED field) turns
 * the name in "segment = NAME" into its condition, compiled in scope,
 * into *sub; its errors say what is wrong with that name.
 */
struct crm_fieldset {
	const struct crm_field	*fields;
	size_t			 n;
	const char		*json;
	struct crm_error	*(*expand)(const struct crm_filter_scope *scope,
				    const char *name, struct crm_filter **sub);
};

/*
 * Compile expr.  On success *out holds the condition (free with
 * crm_filter_free()).  A bad expression is a CRM_EXIT_USAGE error
 * "column N: ..." naming the token: unknown field "stag" (did you mean
 * "stage"?), expected a value after "=", unbalanced parenthesis, ...
 * An empty or blank expression matches everything ("1").
 */
struct crm_error *crm_filter_compile(const char *expr,
	    const struct crm_fieldset *fs, struct crm_filter **out);
/* The same in a scope (NULL: named filters cannot be used). */
struct crm_error *crm_filter_compile_in(const char *expr,
	    const struct crm_fieldset *fs, const struct crm_filter_scope *scope,
	    struct crm_filter **out);
/* A condition of ready SQL binding one integer, v. */
struct crm_filter *crm_filter_new_int(const char *sql, sqlite3_int64 v);
/* The SQL condition, to be put in parentheses after WHERE (borrowed). */
const char *crm_filter_sql(const struct crm_filter *f);
/* The number of parameters it binds. */
int	 crm_filter_nparams(const struct crm_filter *f);
/* Bind its values to st from parameter index first on; SQLite's rc. */
int	 crm_filter_bind(const struct crm_filter *f, sqlite3_stmt *st,
	    int first);
void	 crm_filter_free(struct crm_filter *f);

/*
 * A --sort list, "name,-created_at" ("-" for descending), checked
 * against the same fields (CRM_FT_SET fields cannot sort), into an ORDER BY
 * list in *sql (the caller frees it), the entity's tiebreak appended
 * (tiebreak, e.g. "c.id", may be NULL).  Errors as for filters, prefixed
 * with nothing; CRM_EXIT_USAGE.
 */
struct crm_error *crm_sort_compile(const char *spec,
	    const struct crm_fieldset *fs, const char *tiebreak, char **sql);

/*
 * The --where and --sort of a list: the filter (where against wfs, in
 * scope, which may be NULL) into *f, the ORDER BY list (sort against sfs,
 * tiebreak appended) into *order, each NULL or empty for all rows in
 * tiebreak's order.  Errors are prefixed "--where" or "--sort"; after
 * one, nothing is left to free.
 */
struct crm_error *crm_list_compile(const char *where, const char *sort,
	    const struct crm_fieldset *wfs, const struct crm_fieldset *sfs,
	    const struct crm_filter_scope *scope, const char *tiebreak,
	    struct crm_filter **f, char **order);

/* Names of the fields, NULL-terminated, for suggestions (caller frees
 * the array only). */
const char **crm_fieldset_names(const struct crm_fieldset *fs);

#endif
