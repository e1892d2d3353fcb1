/*
 * A contact's timeline (crm-contact timeline): its activities and the
 * changes recorded in the events table, newest first, as records
 * {"at", "kind", "type", "summary", "id"}: kind "activity" (type call,
 * email, meeting, note or task; id the activity's) or "event" (type the
 * action: add, update, tag, done, ...; id the event's).
 *
 * Reads activities and events, which lib/activity.c and lib/db.c own;
 * each source of the timeline is one entry in timeline.c, so deals,
 * tickets and campaign sends join with one line each.
 */
#ifndef CRM_TIMELINE_H
#define CRM_TIMELINE_H

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The fields of a timeline record, in output order; NULL-terminated. */
extern const char *const crm_timeline_columns[];

/*
 * Call fn with each entry of contact_id's timeline (borrowed for the
 * call), newest first (ties: activities before events, then the higher
 * id first), at most limit of them (0: all), until fn returns non-zero.
 */
struct crm_error *crm_timeline_list(struct crm_db *db,
	    sqlite3_int64 contact_id, long limit,
	    int (*fn)(const cJSON *rec, void *arg), void *arg);

#endif
