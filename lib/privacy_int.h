/*
 * Between the privacy modules: privacy.c (the tables that hold a
 * contact's data, the schema as it is, the contact's other ids and
 * addresses, consent), privacy_export.c and privacy_forget.c.
 */
#ifndef PRIVACY_INT_H
#define PRIVACY_INT_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"
#include "crm_util.h"

/*
 * A table that holds rows about a contact: exported under key, its
 * events (entity) exported and erased with them.
 */
struct privacy_held {
	const char	*key;
	const char	*table;
	const char	*column;	/* the contact's id */
	const char	*entity;	/* events.entity of its rows; NULL */
};
extern const struct privacy_held privacy_held[];
extern const size_t privacy_nheld;

/* The columns that exist, as "table.column". */
struct privacy_schema {
	struct crm_strv	 cols;
	struct crm_strv	 notnull;	/* those NOT NULL */
};

struct crm_error *privacy_schema_load(struct crm_db *db,
	    struct privacy_schema *s);
void	 privacy_schema_release(struct privacy_schema *s);
/* Does table.column exist (or is it NOT NULL, given s->notnull)? */
int	 privacy_has(const struct crm_strv *cols, const char *table,
	    const char *column);
/*
 * The contacts that were contact id (it, and those merged into it at any
 * depth): appends to terms an OR of conditions on events, and the ids
 * merged to merged (may be NULL).
 */
struct crm_error *privacy_aliases(struct crm_db *db, sqlite3_int64 id,
	    struct crm_buf *terms, cJSON *merged);
/* The addresses of contact record rec as a JSON array (cJSON_free). */
char	*privacy_emails_json(const cJSON *rec);
/* Append the condition on events about the contact (terms: aliases). */
void	 privacy_events_where(struct crm_buf *sql,
	    const struct privacy_schema *s, const char *terms);
/* Prepare, or run, sql with ?1 the contact's id and ?2 text (or NULL). */
struct crm_error *privacy_prepare(struct crm_db *db, const char *sql,
	    sqlite3_int64 id, const char *text, sqlite3_stmt **st);
struct crm_error *privacy_exec(struct crm_db *db, const char *sql,
	    sqlite3_int64 id, const char *text);

#endif
