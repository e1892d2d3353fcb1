/*
 * The knowledge base (crm-ticket(1), kb and suggest): articles with a
 * title, a body, tags and a slug, searched with an SQLite FTS5 index,
 * kb_fts, over their titles, bodies and tags (unicode61 tokens, diacritics
 * removed), kept in step by triggers.  Owns the tables kb_articles and
 * kb_fts.
 *
 * An article is named by its id (all digits) or its slug: lowercase
 * letters, digits and "-" (UTF-8 letters kept as they are), never all
 * digits, made from the title when not given.  Every change goes into
 * the caller's transaction and records an event with entity "kb_article".
 */
#ifndef CRM_KB_H
#define CRM_KB_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"

/* The fields of an article record, in output order; NULL-terminated. */
extern const char *const crm_kb_columns[];
/* The columns a table shows by default (no body). */
extern const char *const crm_kb_table_columns[];

/* The fields --where and --sort know ("tag" a set). */
const struct crm_fieldset *crm_kb_fieldset(void);

/* An article's id from its id or slug; none: CRM_EXIT_FAIL. */
struct crm_error *crm_kb_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/* The record of article id; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_kb_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);

struct crm_kb_query {
	const char	*where;		/* a filter, or NULL */
	const char	*sort;		/* a --sort list, or NULL: by id */
	long		 limit;		/* 0: no limit */
};

/*
 * Call fn with each matching record (borrowed for the call) until it
 * returns non-zero.  A bad --where or --sort is a CRM_EXIT_USAGE error
 * prefixed "--where" or "--sort".
 */
struct crm_error *crm_kb_list(struct crm_db *db, const struct crm_kb_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* What add and edit take; everything borrowed, NULL when not given. */
struct crm_kb_article {
	const char		*title;
	const char		*body;
	const char		*slug;
	const struct crm_strv	*tags;		/* to add */
	const struct crm_strv	*untags;	/* edit: to remove */
};

/*
 * Add an article by the acting user: title and body required, the slug
 * made from the title unless given (a made one that is taken gets "-2",
 * "-3"...; a given one that is taken is an error).  The id goes to *id.
 */
struct crm_error *crm_kb_add(struct crm_db *db, const struct crm_kb_article *a,
	    sqlite3_int64 *id);

/* Change what a gives of article id; *changed (may be NULL) 1 if any. */
struct crm_error *crm_kb_edit(struct crm_db *db, sqlite3_int64 id,
	    const struct crm_kb_article *a, int *changed);

/* Delete article id. */
struct crm_error *crm_kb_delete(struct crm_db *db, sqlite3_int64 id);

/*
 * Call fn with the record of each article matching text (as
 * crm_search_expr() reads it: every word, the last also as a prefix),
 * best first (bm25: title, then tags, then body), ties by id, at most
 * limit (0: all), until fn returns non-zero.  Blank text or invalid
 * UTF-8 is a CRM_EXIT_USAGE error.
 */
struct crm_error *crm_kb_search(struct crm_db *db, const char *text,
	    long limit, int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * The FTS5 query that suggest runs for text, appended to out: the
 * distinct significant words of text (runs of letters and digits, at
 * least 3 bytes, not an English stop word, compared without ASCII case),
 * the first 64 of them, each quoted, joined with OR.  Returns the number
 * of words.
 */
int	 crm_kb_suggest_expr(const char *text, struct crm_buf *out);

/*
 * The articles for ticket id, best first: the query above over its
 * subject and the bodies of its comments, ranked as crm_kb_search()
 * ranks, at most limit (0: all).  A ticket without significant words
 * has none.
 */
struct crm_error *crm_kb_suggest(struct crm_db *db, sqlite3_int64 id,
	    long limit, int (*fn)(const cJSON *rec, void *arg), void *arg);

/* The slugs or the tags in use ("slug", "tag"), sorted, for completion. */
struct crm_error *crm_kb_values(struct crm_db *db, const char *field,
	    void (*fn)(const char *value, void *arg), void *arg);

#endif
