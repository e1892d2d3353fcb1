/*
 * Drips: sequences of campaigns sent to each contact of a segment, each
 * step a number of days after the contact entered the sequence.  tick
 * enrols the segment's new contacts and queues every step that has come
 * due in the step campaign's own send log (at most one row a contact, so
 * a step is never queued twice), then sends them as a campaign send does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_segment.h"
#include "crm_util.h"
#include "campaign_int.h"

#define MAX_STEPS	100
#define MAX_DAYS	3650

struct crm_error *
crm_sequence_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	return crm_db_resolve_name(db, "sequences", "sequence", ref, id);
}

/* "day N: CAMPAIGN" into *day and the campaign's id. */
static struct crm_error *
parse_step(struct crm_db *db, const char *spec, long *day,
    sqlite3_int64 *campaign)
{
	const char *p = spec, *colon;
	char *end, *name;
	struct crm_error *err;

	p += strspn(p, " \t");
	if (strncmp(p, "day", 3) != 0)
		goto bad;
	*day = strtol(p + 3, &end, 10);
	if (end == p + 3 || *day < 0 || *day > MAX_DAYS)
		goto bad;
	end += strspn(end, " \t");
	if (*end != ':')
		goto bad;
	colon = end + 1;
	colon += strspn(colon, " \t");
	name = crm_trim(crm_xstrdup(colon));
	err = *name == '\0' ? crm_error_new(CRM_EXIT_USAGE, "--step: no "
	    "campaign in \"%s\"", spec) : crm_campaign_resolve(db, name,
	    campaign);
	free(name);
	return err != NULL ? crm_error_prefix(err, "--step") : NULL;
bad:
	return crm_error_new(CRM_EXIT_USAGE, "--step: expected \"day N: "
	    "CAMPAIGN\" with N from 0 to %d, got \"%s\"", MAX_DAYS, spec);
}

struct crm_error *
crm_sequence_create(struct crm_db *db, const char *name, const char *segment,
    const char *const *steps, size_t n, sqlite3_int64 *id)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_int64 seg, campaign;
	sqlite3_stmt *st;
	long day = 0, last = 0;
	size_t i;
	cJSON *c;

	*id = 0;
	if ((err = crm_db_name_free(db, "sequences", "sequence", name, 0)) !=
	    NULL)
		return err;
	if (n == 0 || n > MAX_STEPS)
		return crm_error_new(CRM_EXIT_USAGE, "a sequence needs 1 to %d "
		    "steps (--step 'day 0: CAMPAIGN')", MAX_STEPS);
	if ((err = crm_segment_resolve(db, segment, &seg)) != NULL)
		return err;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO sequences (name,"
	    " segment_id, created_at, updated_at) VALUES (?, ?, ?, ?)", &st)) !=
	    NULL)
		return err;
	crm_db_bind_text(st, 1, name);
	sqlite3_bind_int64(st, 2, seg);
	crm_db_bind_text(st, 3, now);
	crm_db_bind_text(st, 4, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*id = sqlite3_last_insert_rowid(db->sql);
	for (i = 0; i < n; i++) {
		if ((err = parse_step(db, steps[i], &day, &campaign)) != NULL ||
		    (err = campaign_complete(db, campaign)) != NULL)
			return err;
		if (day < last)
			return crm_error_new(CRM_EXIT_USAGE, "--step: day %ld "
			    "after day %ld: steps go in the order of their days",
			    day, last);
		last = day;
		if ((err = crm_db_prepare(db, "INSERT INTO sequence_steps"
		    " (sequence_id, step, day, campaign_id) VALUES (?, ?, ?, ?)",
		    &st)) != NULL)
			return err;
		sqlite3_bind_int64(st, 1, *id);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_int64(st, 3, day);
		sqlite3_bind_int64(st, 4, campaign);
		if ((err = crm_db_step_done(db, st)) != NULL)
			return err;
	}
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "sequence", name);
	cJSON_AddNumberToObject(c, "steps", (double)n);
	err = crm_db_event(db, "campaign", 0, "sequence add", c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_sequence_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, "DELETE FROM sequences WHERE id = ?",
	    &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	if (sqlite3_changes(db->sql) == 0)
		return crm_error_new(CRM_EXIT_USAGE, "no sequence %lld",
		    (long long)id);
	return crm_db_event(db, "campaign", 0, "sequence delete", NULL);
}

/* A sequence's record: its steps, and how many wait at each. */
static struct crm_error *
record(struct crm_db *db, sqlite3_stmt *row, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 id = sqlite3_column_int64(row, 0);
	cJSON *steps, *s;
	int rc;

	*rec = cJSON_CreateObject();
	cJSON_AddNumberToObject(*rec, "id", (double)id);
	cJSON_AddItemToObject(*rec, "name", crm_db_column_json(row, 1));
	cJSON_AddItemToObject(*rec, "segment", crm_db_column_json(row, 2));
	cJSON_AddItemToObject(*rec, "enrolled", crm_db_column_json(row, 3));
	steps = cJSON_AddArrayToObject(*rec, "steps");
	cJSON_AddItemToObject(*rec, "created_at", crm_db_column_json(row, 4));
	if ((err = crm_db_prepare(db, "SELECT s.step, s.day, k.name,"
	    " (SELECT count(*) FROM sequence_enrollments e"
	    " WHERE e.sequence_id = s.sequence_id AND e.next_step > s.step)"
	    " FROM sequence_steps s JOIN campaigns k ON k.id = s.campaign_id"
	    " WHERE s.sequence_id = ? ORDER BY s.step", &st)) != NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "day", sqlite3_column_int(st, 1));
		cJSON_AddItemToObject(s, "campaign", crm_db_column_json(st, 2));
		cJSON_AddNumberToObject(s, "queued_for",
		    (double)sqlite3_column_int64(st, 3));
		cJSON_AddItemToArray(steps, s);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	if (err == NULL)
		return NULL;
fail:
	cJSON_Delete(*rec);
	*rec = NULL;
	return err;
}

const char *const crm_sequence_columns[] = {
	"id", "name", "segment", "enrolled", "steps", "created_at", NULL
};

struct crm_error *
crm_sequence_list(struct crm_db *db, sqlite3_int64 only,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc = SQLITE_DONE, stop = 0;

	if ((err = crm_db_prepare(db, "SELECT q.id, q.name, g.name,"
	    " (SELECT count(*) FROM sequence_enrollments e"
	    " WHERE e.sequence_id = q.id), q.created_at FROM sequences q"
	    " LEFT JOIN segments g ON g.id = q.segment_id"
	    " WHERE ?1 = 0 OR q.id = ?1 ORDER BY q.name", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, only);
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = record(db, st, &rec)) != NULL)
			break;
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (err == NULL && !stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* Enrol the contacts of sequence seq's segment it does not hold yet. */
static struct crm_error *
enrol(struct crm_db *db, sqlite3_int64 seq, const char *segment,
    const char *now, long *n)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_buf expr = CRM_BUF_INIT, sql = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st;

	crm_buf_addf(&expr, "segment = \"%s\"", segment);
	if ((err = crm_filter_compile_in(expr.buf, crm_contact_fieldset(),
	    &scope, &f)) != NULL)
		goto done;
	crm_buf_addf(&sql, "INSERT OR IGNORE INTO sequence_enrollments"
	    " (sequence_id, contact_id, enrolled_at) SELECT ?1, c.id, ?2"
	    " FROM contacts c LEFT JOIN contacts co ON co.id = c.company_id"
	    " WHERE (%s) ORDER BY c.id", crm_filter_sql(f));
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, seq);
	crm_db_bind_text(st, 2, now);
	crm_filter_bind(f, st, 3);
	if ((err = crm_db_step_done(db, st)) == NULL)
		*n += sqlite3_changes(db->sql);
done:
	crm_filter_free(f);
	crm_buf_release(&expr);
	crm_buf_release(&sql);
	return err;
}

/* One step of one sequence: queue it for whoever it came due for. */
static struct crm_error *
step_due(struct crm_db *db, sqlite3_int64 seq, int step, long day,
    sqlite3_int64 campaign, time_t now, long *queued)
{
	char bound[CRM_TIME_LEN];
	struct campaign k;
	struct crm_error *err;
	sqlite3_stmt *st;
	long n = 0;

	crm_time_format(now - (time_t)day * 86400, bound);
	if ((err = campaign_load(db, campaign, &k)) != NULL)
		return err;
	if ((err = campaign_enqueue(db, &k, seq, step, bound, &n)) == NULL &&
	    (err = crm_db_prepare(db, "UPDATE sequence_enrollments"
	    " SET next_step = ?2 + 1 WHERE sequence_id = ?1"
	    " AND next_step = ?2 AND enrolled_at <= ?3", &st)) == NULL) {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_int(st, 2, step);
		crm_db_bind_text(st, 3, bound);
		err = crm_db_step_done(db, st);
	}
	*queued += n;
	campaign_release(&k);
	return err;
}

struct crm_error *
crm_sequence_tick(struct crm_db *db, long *enrolled, long *queued,
    void (*fn)(sqlite3_int64 campaign, const char *name, void *arg),
    void *arg)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	time_t t = crm_time_now_t();
	int rc;

	*enrolled = *queued = 0;
	crm_time_format(t, now);
	if ((err = crm_db_begin(db)) != NULL)
		return err;
	/* Enrol first: a new contact's day-0 step is due at once. */
	if ((err = crm_db_prepare(db, "SELECT q.id, g.name FROM sequences q"
	    " JOIN segments g ON g.id = q.segment_id ORDER BY q.id", &st)) !=
	    NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = enrol(db, sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), now,
		    enrolled)) != NULL)
			break;
	if (err == NULL && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	st = NULL;
	if (err != NULL)
		goto fail;
	/* Steps in order: one overdue by days moves on through several. */
	if ((err = crm_db_prepare(db, "SELECT sequence_id, step, day,"
	    " campaign_id FROM sequence_steps ORDER BY sequence_id, step",
	    &st)) != NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = step_due(db, sqlite3_column_int64(st, 0),
		    sqlite3_column_int(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3), t, queued)) != NULL)
			break;
	if (err == NULL && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	st = NULL;
	if (err != NULL || (err = crm_db_commit(db)) != NULL)
		goto fail;
	/* The step campaigns with anyone queued, for the caller to send. */
	if ((err = crm_db_prepare(db, "SELECT DISTINCT k.id, k.name"
	    " FROM sequence_steps s JOIN campaigns k ON k.id = s.campaign_id"
	    " WHERE EXISTS (SELECT 1 FROM campaign_sends x"
	    " WHERE x.campaign_id = k.id AND x.status = 'queued')"
	    " ORDER BY k.id", &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1), arg);
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
fail:
	sqlite3_finalize(st);
	crm_db_rollback(db);
	return err;
}
