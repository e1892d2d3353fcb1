/*
 * Internal to lib/pipeline.c and lib/stage.c.
 */
#ifndef CRM_PIPELINE_INT_H
#define CRM_PIPELINE_INT_H

#include <sqlite3.h>

#include "crm_db.h"
#include "crm_error.h"

/*
 * Run sql with the values of fmt bound in order: 'i' an sqlite3_int64,
 * 'd' an int, 's' a string (NULL binds null).
 */
struct crm_error *pipeline_run(struct crm_db *db, const char *sql,
	    const char *fmt, ...);
/* A CRM_EXIT_USAGE error when name is no valid pipeline or stage name. */
struct crm_error *pipeline_check_name(const char *what, const char *name);
/* An event whose changes are {"pipeline": P, key: {"old", "new"}}. */
struct crm_error *pipeline_event(struct crm_db *db, const char *entity,
	    sqlite3_int64 id, const char *action, const char *pipeline,
	    const char *key, const char *old, const char *new);

#endif
