/*
 * The event log read back: every change the domain modules record with
 * crm_db_event() (the audit trail and the change feed of
 * crm-db events).  Events have increasing ids, committed in id order (one
 * writer at a time), so "the events after id N" misses none.
 */
#ifndef CRM_EVENT_H
#define CRM_EVENT_H

#include <signal.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_error.h"

/* The fields of an event record, in output order; NULL-terminated. */
extern const char *const crm_event_columns[];

struct crm_event_query {
	sqlite3_int64	 since;		/* only events with a greater id */
	long		 limit;		/* at most this many; 0: no limit */
	const char	*entity;	/* only this entity, or NULL: all */
};

/*
 * Call fn with each event of q in id order, as a record {"id", "entity",
 * "entity_id", "action", "actor", "at", "changes"} ("changes" the JSON
 * of the changed fields, or null) borrowed for the call, until fn returns
 * non-zero.  *last (may be NULL) is the highest id handed to fn, or
 * q->since when none was.
 */
struct crm_error *crm_event_list(struct crm_db *db,
	    const struct crm_event_query *q,
	    int (*fn)(const cJSON *ev, void *arg), void *arg,
	    sqlite3_int64 *last);

/*
 * As crm_event_list(), then wait for new events and hand them to fn as
 * they are committed (polling every 200 ms), until fn returns non-zero,
 * q->limit events were handed over, or *stop turns true (set by a signal
 * handler: the wait is interrupted).  Neither of those is an error.
 * Before each wait fn is called with ev NULL, so that it can notice a
 * reader that went away while nothing happens, and stop.
 */
struct crm_error *crm_event_follow(struct crm_db *db,
	    const struct crm_event_query *q,
	    int (*fn)(const cJSON *ev, void *arg), void *arg,
	    volatile sig_atomic_t *stop);

#endif
