/*
 * The stages of a pipeline: add, move, rename, change the probability,
 * delete (moving the deals first).  Lookups are in pipeline.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_db.h"
#include "crm_deal.h"
#include "crm_pipeline.h"
#include "crm_util.h"
#include "pipeline_int.h"

/* The pipeline and, when name is not NULL, its stage called name. */
static struct crm_error *
locate(struct crm_db *db, const char *pipeline, const char *name,
    sqlite3_int64 *pid, struct crm_stage *s)
{
	struct crm_error *err;

	if ((err = crm_pipeline_find(db, pipeline, pid, NULL)) != NULL ||
	    name == NULL)
		return err;
	return crm_stage_find(db, *pid, name, s);
}

/* An open stage to place another before or after. */
static struct crm_error *
anchor(struct crm_db *db, sqlite3_int64 pid, const char *name,
    struct crm_stage *s)
{
	struct crm_error *err = crm_stage_find(db, pid, name, s);

	if (err == NULL && s->kind != CRM_STAGE_OPEN)
		err = crm_error_new(CRM_EXIT_USAGE, "stage \"%s\" is closed: "
		    "open stages come before won and lost", name);
	return err;
}

/*
 * Put the open stages of pid in order, with stage id (already among them
 * or not) placed before or after the stage anchor (0: at the end).
 */
static struct crm_error *
reorder(struct crm_db *db, sqlite3_int64 pid, sqlite3_int64 id,
    sqlite3_int64 anchor_id, int after)
{
	struct crm_stage *v = NULL;
	struct crm_error *err;
	sqlite3_int64 *order;
	size_t i, n, k = 0;

	if ((err = crm_stage_all(db, pid, &v, &n)) != NULL) {
		free(v);
		return err;
	}
	order = crm_xcalloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++) {
		if (v[i].kind != CRM_STAGE_OPEN || v[i].id == id)
			continue;
		if (v[i].id == anchor_id && !after)
			order[k++] = id;
		order[k++] = v[i].id;
		if (v[i].id == anchor_id && after)
			order[k++] = id;
	}
	if (anchor_id == 0)
		order[k++] = id;
	for (i = 0; i < k && err == NULL; i++)
		err = pipeline_run(db, "UPDATE stages SET position = ?"
		    " WHERE id = ?", "di", (int)i + 1, order[i]);
	free(order);
	free(v);
	return err;
}

static struct crm_error *
stage_event(struct crm_db *db, sqlite3_int64 id, const char *action,
    const char *pipeline, const char *name, const char *key, int old,
    int new)
{
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject(), *o;

	cJSON_AddStringToObject(c, "pipeline", pipeline);
	cJSON_AddStringToObject(c, "name", name);
	o = cJSON_AddObjectToObject(c, key);
	cJSON_AddItemToObject(o, "old", old < 0 ? cJSON_CreateNull() :
	    cJSON_CreateNumber(old));
	cJSON_AddItemToObject(o, "new", new < 0 ? cJSON_CreateNull() :
	    cJSON_CreateNumber(new));
	err = crm_db_event(db, "stage", id, action, c);
	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_stage_add(struct crm_db *db, const char *pipeline, const char *name,
    int probability, const char *before, const char *after)
{
	struct crm_stage s, a = { 0 };
	struct crm_error *err;
	sqlite3_int64 pid, id;

	if ((err = locate(db, pipeline, NULL, &pid, NULL)) != NULL ||
	    (err = pipeline_check_name("stage", name)) != NULL)
		return err;
	if ((err = crm_stage_find(db, pid, name, &s)) == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\" already "
		    "exists in pipeline \"%s\"", name, s.pipeline);
	crm_error_free(err);
	if ((before != NULL || after != NULL) && (err = anchor(db, pid,
	    before != NULL ? before : after, &a)) != NULL)
		return err;
	if ((err = pipeline_run(db, "INSERT INTO stages (pipeline_id, name,"
	    " kind, probability) VALUES (?, ?, 'open', ?)", "isd", pid, name,
	    probability)) != NULL)
		return err;
	id = sqlite3_last_insert_rowid(db->sql);
	if ((err = reorder(db, pid, id, a.id, after != NULL)) != NULL ||
	    (err = crm_stage_get(db, id, &s)) != NULL)
		return err;
	return stage_event(db, id, "add", s.pipeline, name, "probability",
	    -1, probability);
}

static struct crm_error *
open_stage(const struct crm_stage *s, const char *what)
{
	if (s->kind == CRM_STAGE_OPEN)
		return NULL;
	return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\" is the %s outcome "
	    "of pipeline \"%s\": it cannot be %s", s->name,
	    crm_stage_kind_name(s->kind), s->pipeline, what);
}

struct crm_error *
crm_stage_move(struct crm_db *db, const char *pipeline, const char *name,
    const char *before, const char *after)
{
	struct crm_stage s, a;
	struct crm_error *err;
	sqlite3_int64 pid;

	if ((err = locate(db, pipeline, name, &pid, &s)) != NULL ||
	    (err = open_stage(&s, "moved")) != NULL ||
	    (err = anchor(db, pid, before != NULL ? before : after,
	    &a)) != NULL)
		return err;
	if (a.id == s.id)
		return crm_error_new(CRM_EXIT_USAGE, "cannot move stage \"%s\" "
		    "%s itself", name, before != NULL ? "before" : "after");
	if ((err = reorder(db, pid, s.id, a.id, after != NULL)) != NULL)
		return err;
	return pipeline_event(db, "stage", s.id, "move", s.pipeline,
	    before != NULL ? "before" : "after", NULL, a.name);
}

struct crm_error *
crm_stage_rename(struct crm_db *db, const char *pipeline, const char *old,
    const char *new)
{
	struct crm_stage s, o;
	struct crm_error *err;
	sqlite3_int64 pid;

	if ((err = locate(db, pipeline, old, &pid, &s)) != NULL ||
	    (err = pipeline_check_name("stage", new)) != NULL ||
	    strcmp(old, new) == 0)
		return err;
	if ((err = crm_stage_find(db, pid, new, &o)) == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\" already "
		    "exists in pipeline \"%s\"", new, o.pipeline);
	crm_error_free(err);
	if ((err = pipeline_run(db, "UPDATE stages SET name = ? WHERE id = ?",
	    "si", new, s.id)) != NULL)
		return err;
	return pipeline_event(db, "stage", s.id, "rename", s.pipeline, "name",
	    old, new);
}

struct crm_error *
crm_stage_update(struct crm_db *db, const char *pipeline, const char *name,
    int probability)
{
	struct crm_stage s;
	struct crm_error *err;
	sqlite3_int64 pid;

	if ((err = locate(db, pipeline, name, &pid, &s)) != NULL ||
	    (err = open_stage(&s, "given another probability")) != NULL ||
	    s.probability == probability)
		return err;
	if ((err = pipeline_run(db, "UPDATE stages SET probability = ?"
	    " WHERE id = ?", "di", probability, s.id)) != NULL)
		return err;
	return stage_event(db, s.id, "update", s.pipeline, name,
	    "probability", s.probability, probability);
}

struct crm_error *
crm_stage_delete(struct crm_db *db, const char *pipeline, const char *name,
    const char *to)
{
	struct crm_stage s, t;
	struct crm_error *err;
	sqlite3_int64 pid;
	long n, moved = 0;

	if ((err = locate(db, pipeline, name, &pid, &s)) != NULL ||
	    (err = open_stage(&s, "deleted")) != NULL ||
	    (err = crm_deal_count(db, pid, s.id, &n)) != NULL)
		return err;
	if (to != NULL) {
		if ((err = crm_stage_find(db, pid, to, &t)) != NULL)
			return err;
		if (t.kind != CRM_STAGE_OPEN || t.id == s.id)
			return crm_error_new(CRM_EXIT_USAGE, "--to must name "
			    "another open stage of pipeline \"%s\"",
			    s.pipeline);
	} else if (n > 0)
		return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\" still holds "
		    "%ld deal%s: give --to STAGE to move them", name, n,
		    n == 1 ? "" : "s");
	if ((to != NULL && (err = crm_deal_restage(db, &s, &t,
	    &moved)) != NULL) ||
	    (err = pipeline_run(db, "DELETE FROM stages WHERE id = ?", "i",
	    s.id)) != NULL)
		return err;
	return pipeline_event(db, "stage", s.id, "delete", s.pipeline, "name",
	    name, NULL);
}

