/*
 * Segments: named audiences of contacts.  A dynamic segment is a filter
 * (crm-filter(7)) evaluated whenever it is used; a static one is a list
 * of members.  Either is named in any contact filter as
 * "segment = NAME", so segments compose; a segment that names itself,
 * however indirectly, is refused.
 */
#ifndef CRM_SEGMENT_H
#define CRM_SEGMENT_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"

/* The fields of a segment record, in output order; NULL-terminated. */
extern const char *const crm_segment_columns[];
extern const char *const crm_segment_table_columns[];

/* The segment named ref (its name or id) into *id; none is a usage error. */
struct crm_error *crm_segment_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/*
 * Create segment name: dynamic with the filter where, or static (where
 * NULL); description may be NULL.  A bad name, a name in use or a filter
 * that does not compile (or names an unknown segment, or this one) is a
 * usage error.  In the caller's transaction.
 */
struct crm_error *crm_segment_create(struct crm_db *db, const char *name,
	    const char *where, const char *description, sqlite3_int64 *id);
/* Change a segment's filter (dynamic only) or description; NULL: keep. */
struct crm_error *crm_segment_update(struct crm_db *db, sqlite3_int64 id,
	    const char *where, const char *description);
/* Rename; refused while another segment names this one. */
struct crm_error *crm_segment_rename(struct crm_db *db, sqlite3_int64 id,
	    const char *name);
/*
 * Delete; refused while another segment names this one, and while a
 * scheduled campaign sends to it unless force.
 */
struct crm_error *crm_segment_delete(struct crm_db *db, sqlite3_int64 id,
	    int force);

/* A segment's record, with its live member count. */
struct crm_error *crm_segment_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);
/* Every segment's record by name, handed to fn until it returns non-zero. */
struct crm_error *crm_segment_list(struct crm_db *db,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/* NULL when segment id is static, else a usage error. */
struct crm_error *crm_segment_check_static(struct crm_db *db,
	    sqlite3_int64 id);
/*
 * Static members: add or remove contact to segment id (a dynamic one is
 * a usage error); *changed (may be NULL) is 1 when membership changed.
 */
struct crm_error *crm_segment_add_member(struct crm_db *db,
	    sqlite3_int64 id, sqlite3_int64 contact, int *changed);
struct crm_error *crm_segment_remove_member(struct crm_db *db,
	    sqlite3_int64 id, sqlite3_int64 contact, int *changed);

/* How several segments combine into one audience. */
enum crm_segment_op {
	CRM_SEG_UNION,		/* in any */
	CRM_SEG_INTERSECT,	/* in all */
	CRM_SEG_EXCEPT		/* in the first and none of the others */
};

/*
 * The contact filter for the members of segments refs[0..n) combined by
 * op, into *expr (the caller frees it); unknown segments are usage errors.
 */
struct crm_error *crm_segment_expr(struct crm_db *db,
	    const char *const *refs, size_t n, enum crm_segment_op op,
	    char **expr);
/* How many contacts a contact filter matches. */
struct crm_error *crm_segment_count(struct crm_db *db, const char *where,
	    sqlite3_int64 *n);

/* The contact fieldset's expand hook: "segment = NAME". */
struct crm_error *crm_segment_expand(const struct crm_filter_scope *scope,
	    const char *name, struct crm_filter **sub);

/* The segment names, for completion: fn gets each. */
struct crm_error *crm_segment_names(struct crm_db *db,
	    void (*fn)(const char *name, void *arg), void *arg);

#endif
