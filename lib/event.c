/*
 * Reading the events table (written by crm_db_event() in db.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_event.h"

#define POLL_MS	200

const char *const crm_event_columns[] = {
	"id", "entity", "entity_id", "action", "actor", "at", "changes", NULL
};

/* The record of the current row; the caller cJSON_Delete()s it. */
static cJSON *
event_record(sqlite3_stmt *st)
{
	cJSON *ev = cJSON_CreateObject(), *changes;
	const char *text;
	int i;

	for (i = 0; i < 6; i++)
		cJSON_AddItemToObject(ev, crm_event_columns[i],
		    crm_db_column_json(st, i));
	text = (const char *)sqlite3_column_text(st, 6);
	if (text == NULL)
		changes = cJSON_CreateNull();
	else if ((changes = cJSON_Parse(text)) == NULL)
		changes = cJSON_CreateString(text);	/* not ours; keep it */
	cJSON_AddItemToObject(ev, "changes", changes);
	return ev;
}

/*
 * crm_event_list(), also counting the events handed over in *n and
 * setting *stopped when fn asked to stop.
 */
static struct crm_error *
list(struct crm_db *db, const struct crm_event_query *q,
    int (*fn)(const cJSON *, void *), void *arg, sqlite3_int64 *last,
    long *n, int *stopped)
{
	static const char sql[] = "SELECT id, entity, entity_id, action,"
	    " actor, at, changes FROM events"
	    " WHERE id > ?1 AND (?2 IS NULL OR entity = ?2)"
	    " ORDER BY id LIMIT ?3";
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *ev;
	int rc;

	*n = 0;
	*stopped = 0;
	*last = q->since;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, q->since);
	crm_db_bind_text(st, 2, q->entity);
	sqlite3_bind_int64(st, 3, q->limit > 0 ? q->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ev = event_record(st);
		*last = sqlite3_column_int64(st, 0);
		(*n)++;
		*stopped = fn(ev, arg) != 0;
		cJSON_Delete(ev);
		if (*stopped)
			break;
	}
	if (!*stopped && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_event_list(struct crm_db *db, const struct crm_event_query *q,
    int (*fn)(const cJSON *, void *), void *arg, sqlite3_int64 *last)
{
	sqlite3_int64 l;
	long n;
	int stopped;

	return list(db, q, fn, arg, last != NULL ? last : &l, &n, &stopped);
}

/* PRAGMA data_version: it changes when another connection commits. */
static struct crm_error *
data_version(struct crm_db *db, sqlite3_int64 *v)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "PRAGMA data_version", &st)) != NULL)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_event_follow(struct crm_db *db, const struct crm_event_query *q,
    int (*fn)(const cJSON *, void *), void *arg,
    volatile sig_atomic_t *stop)
{
	struct timespec ts = { 0, POLL_MS * 1000000L };
	struct crm_event_query next = *q;
	struct crm_error *err;
	sqlite3_int64 seen = -1, v = 0;
	long n;
	int stopped;

	for (;;) {
		/* Read the version first: a commit after it is not missed. */
		if ((err = data_version(db, &v)) != NULL)
			return err;
		if (v != seen) {
			seen = v;
			err = list(db, &next, fn, arg, &next.since, &n,
			    &stopped);
			if (err != NULL || stopped)
				return err;
			if (q->limit > 0 && (next.limit -= n) <= 0)
				return NULL;
		}
		if (*stop || fn(NULL, arg) != 0)
			return NULL;
		/* A signal cuts the sleep short (EINTR), which is the point. */
		nanosleep(&ts, NULL);
		if (*stop)
			return NULL;
	}
}
