/*
 * Business calendars of SLA policies: working hours, a zone, holidays.
 * A calendar is checked by parsing it (crm_sla_cal_new) before it is
 * stored, so that what is stored always parses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_sla.h"
#include "crm_ticket.h"
#include "crm_util.h"

#define CAL_SQL "SELECT id, name, tz, hours, updated_at FROM sla_calendars"

/* The record of the calendar row st is on, with its holidays. */
static struct crm_error *
cal_record(struct crm_db *db, sqlite3_stmt *st, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_stmt *h;
	cJSON *arr;
	int i, rc;

	*rec = cJSON_CreateObject();
	for (i = 0; i < 3; i++)
		cJSON_AddItemToObject(*rec, crm_sla_calendar_columns[i],
		    crm_db_column_json(st, i + 1));
	arr = cJSON_AddArrayToObject(*rec, "holidays");
	cJSON_AddItemToObject(*rec, "updated_at", crm_db_column_json(st, 4));
	if ((err = crm_db_prepare(db, "SELECT day FROM sla_holidays WHERE"
	    " calendar_id = ? ORDER BY day", &h)) != NULL)
		return err;
	sqlite3_bind_int64(h, 1, sqlite3_column_int64(st, 0));
	while ((rc = sqlite3_step(h)) == SQLITE_ROW)
		cJSON_AddItemToArray(arr, crm_db_column_json(h, 0));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(h);
	return err;
}

/* Calendar name's record into *rec (NULL when there is none), *id. */
static struct crm_error *
find(struct crm_db *db, const char *name, cJSON **rec, sqlite3_int64 *id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*rec = NULL;
	*id = 0;
	if ((err = crm_db_prepare(db, CAL_SQL " WHERE name = ?", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, name);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		err = cal_record(db, st, rec);
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_sla_calendar_get(struct crm_db *db, const char *name, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = find(db, name, rec, &id)) == NULL && *rec == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "no calendar \"%s\"", name);
	return err;
}

/* Record action on calendar id, then refresh the open tickets. */
static struct crm_error *
changed(struct crm_db *db, const char *name, sqlite3_int64 id,
    const char *action)
{
	struct crm_error *err;
	cJSON *rec = NULL;
	long n = 0;

	if ((err = crm_ticket_sla_refresh_open(db, &n)) != NULL ||
	    (err = crm_sla_calendar_get(db, name, &rec)) != NULL)
		return err;
	cJSON_AddNumberToObject(rec, "tickets_recomputed", (double)n);
	err = crm_db_event(db, "calendar", id, action, rec);
	cJSON_Delete(rec);
	return err;
}

static const char *
field(const cJSON *rec, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(rec, name));
}

struct crm_error *
crm_sla_calendar_set(struct crm_db *db, const char *name, const char *hours,
    const char *tz, int *done)
{
	struct crm_error *err;
	struct crm_sla_cal *cal = NULL;
	sqlite3_stmt *st;
	sqlite3_int64 id;
	char now[CRM_TIME_LEN];
	cJSON *old = NULL;

	*done = 0;
	if (*name == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "the calendar name is "
		    "empty");
	if ((err = find(db, name, &old, &id)) != NULL)
		return err;
	if (old == NULL && (hours == NULL || tz == NULL)) {
		err = crm_error_new(CRM_EXIT_USAGE, "a new calendar needs "
		    "--hours and --tz");
		goto done;
	}
	hours = hours ? hours : field(old, "hours");
	tz = tz ? tz : field(old, "tz");
	if ((err = crm_sla_cal_new(tz, hours, &cal)) != NULL)
		goto done;
	if (old != NULL && strcmp(hours, field(old, "hours")) == 0 &&
	    strcmp(tz, field(old, "tz")) == 0)
		goto done;
	if ((err = crm_db_prepare(db, "INSERT INTO sla_calendars (name, tz,"
	    " hours, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO"
	    " UPDATE SET tz = excluded.tz, hours = excluded.hours,"
	    " updated_at = excluded.updated_at", &st)) != NULL)
		goto done;
	crm_time_now(now);
	crm_db_bind_text(st, 1, name);
	crm_db_bind_text(st, 2, tz);
	crm_db_bind_text(st, 3, hours);
	crm_db_bind_text(st, 4, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		goto done;
	if (id == 0)
		id = sqlite3_last_insert_rowid(db->sql);
	*done = 1;
	err = changed(db, name, id, "set");
done:
	crm_sla_cal_free(cal);
	cJSON_Delete(old);
	return err;
}

struct crm_error *
crm_sla_calendar_holiday(struct crm_db *db, const char *name,
    const char *day, int add, int *done)
{
	struct crm_error *err;
	struct crm_sla_cal *cal = NULL;
	sqlite3_stmt *st;
	sqlite3_int64 id;
	cJSON *rec = NULL;

	*done = 0;
	if ((err = crm_sla_cal_new("UTC", "Mon 00:00-24:00", &cal)) != NULL)
		return err;
	if (crm_sla_cal_holiday(cal, day) != 0)
		err = crm_error_new(CRM_EXIT_USAGE, "invalid date \"%s\" (use "
		    "YYYY-MM-DD)", day);
	crm_sla_cal_free(cal);
	if (err != NULL || (err = find(db, name, &rec, &id)) != NULL)
		goto done;
	if (rec == NULL) {
		err = crm_error_new(CRM_EXIT_FAIL, "no calendar \"%s\"", name);
		goto done;
	}
	if ((err = crm_db_prepare(db, add ? "INSERT OR IGNORE INTO"
	    " sla_holidays (calendar_id, day) VALUES (?, ?)" : "DELETE FROM"
	    " sla_holidays WHERE calendar_id = ? AND day = ?", &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	crm_db_bind_text(st, 2, day);
	if ((err = crm_db_step_done(db, st)) != NULL ||
	    sqlite3_changes(db->sql) == 0)
		goto done;
	*done = 1;
	err = changed(db, name, id, add ? "holiday_add" : "holiday_delete");
done:
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_sla_calendar_delete(struct crm_db *db, const char *name)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id, pid;
	cJSON *rec = NULL;
	char key[24];
	int n = 0;

	if ((err = crm_sla_calendar_get(db, name, &rec)) != NULL)
		return err;
	cJSON_Delete(rec);
	if ((err = find(db, name, &rec, &id)) != NULL)
		goto done;
	snprintf(key, sizeof(key), "%lld", (long long)id);
	if ((err = crm_db_lookup(db, "SELECT id FROM sla_policies WHERE"
	    " calendar_id = ?", key, &pid, &n)) != NULL)
		goto done;
	if (n > 0) {
		err = crm_error_new(CRM_EXIT_FAIL, "calendar \"%s\" is in use "
		    "by %d SLA polic%s", name, n, n == 1 ? "y" : "ies");
		goto done;
	}
	if ((err = crm_db_prepare(db, "DELETE FROM sla_calendars WHERE id = ?",
	    &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = crm_db_event(db, "calendar", id, "delete", rec);
done:
	cJSON_Delete(rec);
	return err;
}

struct crm_error *
crm_sla_calendar_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc = SQLITE_DONE, stop = 0;

	if ((err = crm_db_prepare(db, CAL_SQL " ORDER BY name", &st)) != NULL)
		return err;
	while (!stop && err == NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = cal_record(db, st, &rec)) == NULL)
			stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (err == NULL && !stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_sla_calendar_names(struct crm_db *db,
    void (*fn)(const char *, void *), void *arg)
{
	return crm_db_each_text(db, "SELECT name FROM sla_calendars"
	    " ORDER BY name", fn, arg);
}

struct crm_error *
crm_sla_holidays_load(struct crm_db *db, sqlite3_int64 id,
    struct crm_sla_cal *cal)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, "SELECT day FROM sla_holidays WHERE"
	    " calendar_id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_sla_cal_holiday(cal, (const char *)sqlite3_column_text(st,
		    0));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}
