/*
 * The stage history of a deal, as records: its creation, then every row
 * of deal_history (written by deal_move.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_deal.h"
#include "crm_util.h"

const char *const crm_deal_history_columns[] = {
	"deal_id", "at", "from_pipeline", "from", "pipeline", "to", "status",
	"reason", "actor", NULL
};

/* A history record. */
static cJSON *
history_record(sqlite3_int64 id, const char *at, const char *from_pipeline,
    const char *from, const char *pipeline, const char *to,
    const char *status, const char *reason, const char *actor)
{
	const char *v[] = { at, from_pipeline, from, pipeline, to, status,
	    reason, actor };
	cJSON *rec = cJSON_CreateObject();
	size_t i;

	cJSON_AddNumberToObject(rec, "deal_id", (double)id);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cJSON_AddItemToObject(rec, crm_deal_history_columns[i + 1],
		    v[i] ? cJSON_CreateString(v[i]) : cJSON_CreateNull());
	return rec;
}

#define TEXT(st, i) ((const char *)sqlite3_column_text((st), (i)))

struct crm_error *
crm_deal_history(struct crm_db *db, sqlite3_int64 id,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *deal, *rec;
	int rc, stop = 0, first = 1;

	if ((err = crm_deal_get(db, id, NULL, &deal)) != NULL)
		return err;
	err = crm_db_prepare(db, "SELECT at, from_pipeline, from_stage,"
	    " from_status, from_reason, to_pipeline, to_stage, to_status,"
	    " to_reason, actor FROM deal_history WHERE deal_id = ?"
	    " ORDER BY id", &st);
	if (err != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (first) {
			rec = history_record(id, cJSON_GetStringValue(
			    cJSON_GetObjectItem(deal, "created_at")), NULL,
			    NULL, TEXT(st, 1), TEXT(st, 2), TEXT(st, 3),
			    TEXT(st, 4), NULL);
			stop = fn(rec, arg);
			cJSON_Delete(rec);
			first = 0;
			if (stop)
				break;
		}
		rec = history_record(id, TEXT(st, 0), TEXT(st, 1), TEXT(st, 2),
		    TEXT(st, 5), TEXT(st, 6), TEXT(st, 7), TEXT(st, 8),
		    TEXT(st, 9));
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (!stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err == NULL && first && !stop) {
		/* Never moved: it is where it was created. */
		rec = history_record(id, cJSON_GetStringValue(
		    cJSON_GetObjectItem(deal, "created_at")), NULL, NULL,
		    cJSON_GetStringValue(cJSON_GetObjectItem(deal, "pipeline")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(deal, "stage")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(deal, "status")),
		    cJSON_GetStringValue(cJSON_GetObjectItem(deal,
		    "lost_reason")), NULL);
		fn(rec, arg);
		cJSON_Delete(rec);
	}
done:
	cJSON_Delete(deal);
	return err;
}

