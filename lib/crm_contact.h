/*
 * Contacts: people and companies (crm-contact(1)).  Owns the tables
 * contacts and contact_tags.
 *
 * Values to set are given as a cJSON object of field name to string
 * (null to clear a field): { "name": "Ada", "fields.industry": "retail",
 * "title": null }.  Field names are those of crm_contact_writable; an
 * unknown one is a CRM_EXIT_USAGE error with a suggestion, an invalid
 * value a CRM_EXIT_FAIL error that quotes it.  The writes go into the
 * caller's transaction (crm_db_begin) and each records an event.
 */
#ifndef CRM_CONTACT_H
#define CRM_CONTACT_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_filter.h"
#include "crm_util.h"

/* The fields of a contact record, in output order; NULL-terminated. */
extern const char *const crm_contact_columns[];
/* The columns a table shows by default. */
extern const char *const crm_contact_table_columns[];
/* The fields that --set and --unset accept (besides fields.NAME). */
extern const char *const crm_contact_writable[];

/* The fields --where and --sort know. */
const struct crm_fieldset *crm_contact_fieldset(void);

/*
 * The contact a reference names: an id ("12"), an email, or
 * "ext:EXTERNAL_ID".  No match is a CRM_EXIT_FAIL error
 * `no contact "x"`.
 */
struct crm_error *crm_contact_resolve(struct crm_db *db, const char *ref,
	    sqlite3_int64 *id);

/*
 * Add a contact from values (borrowed); "tags" may be a string of tags
 * separated by ";" or ",".  A person needs a name or an email, a company a
 * name.  The new id goes to *id.
 */
struct crm_error *crm_contact_add(struct crm_db *db, const cJSON *values,
	    sqlite3_int64 *id);

/* Update contact id; *changed (may be NULL) is 1 when anything changed. */
struct crm_error *crm_contact_update(struct crm_db *db, sqlite3_int64 id,
	    const cJSON *values, int *changed);

/* Delete contact id; people linked to a deleted company are unlinked. */
struct crm_error *crm_contact_delete(struct crm_db *db, sqlite3_int64 id);

/*
 * Add and remove tags (borrowed lists; either may be NULL); *changed
 * (may be NULL) is 1 when the set changed.  A tag is 1 to 64 characters
 * without blanks, ";" or ",".
 */
struct crm_error *crm_contact_tag(struct crm_db *db, sqlite3_int64 id,
	    const struct crm_strv *add, const struct crm_strv *remove,
	    int *changed);

/* The record of contact id; *rec is the caller's to cJSON_Delete(). */
struct crm_error *crm_contact_get(struct crm_db *db, sqlite3_int64 id,
	    cJSON **rec);

struct crm_contact_query {
	const char	*where;		/* filter expression, or NULL */
	const char	*sort;		/* --sort list, or NULL: by id */
	long		 limit;		/* 0: no limit */
};

/*
 * Call fn with each matching record (borrowed for the call) until it
 * returns non-zero.  A bad --where or --sort is a CRM_EXIT_USAGE error
 * prefixed "--where" or "--sort".
 */
struct crm_error *crm_contact_list(struct crm_db *db,
	    const struct crm_contact_query *q,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

/*
 * The distinct values in use for field ("stage", "owner", "source",
 * "tag", "kind"), sorted, for completion; fn is called with each.
 */
struct crm_error *crm_contact_values(struct crm_db *db, const char *field,
	    void (*fn)(const char *value, void *arg), void *arg);

/*
 * The output columns for csv and tsv: crm_contact_columns with "fields"
 * replaced by a "fields.NAME" column for every custom field in use, sorted.
 * Appended to cols.
 */
struct crm_error *crm_contact_flat_columns(struct crm_db *db,
	    struct crm_strv *cols);

/* Validate a tag; NULL when fine, else a static reason. */
const char *crm_contact_tag_invalid(const char *tag);

/*
 * Check and normalise the text of one writable field as add and update
 * do (not "company", which names another contact, nor "tags": see
 * crm_contact_tag_invalid()): trimmed, the email normalised, opt_in as
 * "1" or "0", a time as ISO 8601 UTC.  The stored form goes to out (reset
 * first; the caller's buffer, reused across calls).  NULL when valid, else
 * a CRM_EXIT_FAIL error quoting the value: invalid email "bob@": no domain.
 */
struct crm_error *crm_contact_check_value(const char *field, const char *in,
	    struct crm_buf *out);

#endif
