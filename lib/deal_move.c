/*
 * Deals: add, update, delete and the moves (move, win, lose, reopen),
 * each with its event and, when the stage changes, its history row.
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
#include "deal_int.h"

struct crm_error *
deal_insert(struct deal_cx *cx, const struct deal_changes *ch,
    sqlite3_int64 *id)
{
	struct crm_error *err;
	struct deal_row r;
	cJSON *rec = NULL;

	if ((err = deal_row_new(cx, &r)) != NULL ||
	    (err = deal_apply(cx, ch, D_ADD | D_STATUS, &r)) != NULL ||
	    (err = deal_write(cx, &r, 1)) != NULL)
		goto done;
	*id = r.id;
	/* An import records its add events in bulk. */
	if (!cx->compact && (err = crm_deal_get(cx->db, r.id, NULL,
	    &rec)) == NULL)
		err = crm_db_event(cx->db, "deal", r.id, "add", rec);
done:
	cJSON_Delete(rec);
	deal_row_release(&r);
	return err;
}

static void
bind_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL && *s != '\0')
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* The history row of a change of stage from old to r. */
static struct crm_error *
history(struct deal_cx *cx, const struct deal_row *old,
    const struct deal_row *r)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	if ((err = deal_stmt(cx, S_HISTORY, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, cx->now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, cx->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, old->stage.pipeline, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, old->stage.id);
	sqlite3_bind_text(st, 6, old->stage.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, crm_stage_kind_name(old->stage.kind), -1,
	    SQLITE_STATIC);
	bind_or_null(st, 8, old->closed_at);
	bind_or_null(st, 9, old->reason);
	sqlite3_bind_text(st, 10, r->stage.pipeline, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r->stage.id);
	sqlite3_bind_text(st, 12, r->stage.name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, crm_stage_kind_name(r->stage.kind), -1,
	    SQLITE_STATIC);
	bind_or_null(st, 14, r->reason);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? NULL : crm_db_error(cx->db, rc);
}

/*
 * The fields that differ between two records of a deal, as {"field":
 * {"old", "new"}}; a change of contact or company is "contact" or
 * "company" with the ids.  Then "contact_id" and "company_id" as they
 * are after, for timelines.
 */
static cJSON *
diff(const cJSON *a, const cJSON *b)
{
	cJSON *changes = cJSON_CreateObject(), *c;
	const cJSON *x, *y;
	const char *name, *key;
	size_t i;

	for (i = 0; (name = crm_deal_columns[i]) != NULL; i++) {
		if (strcmp(name, "updated_at") == 0 ||
		    strcmp(name, "contact") == 0 ||
		    strcmp(name, "company") == 0)
			continue;
		x = cJSON_GetObjectItemCaseSensitive(a, name);
		y = cJSON_GetObjectItemCaseSensitive(b, name);
		if (cJSON_Compare(x, y, 1))
			continue;
		key = strcmp(name, "contact_id") == 0 ? "contact" :
		    strcmp(name, "company_id") == 0 ? "company" : name;
		c = cJSON_AddObjectToObject(changes, key);
		cJSON_AddItemToObject(c, "old", cJSON_Duplicate(x, 1));
		cJSON_AddItemToObject(c, "new", cJSON_Duplicate(y, 1));
	}
	return changes;
}

static struct crm_error *
touch(struct deal_cx *cx, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	err = crm_db_prepare(cx->db, "UPDATE deals SET updated_at = ?"
	    " WHERE id = ?", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_text(st, 1, cx->now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return crm_db_step_done(cx->db, st);
}

static struct crm_error *
record_change(struct deal_cx *cx, sqlite3_int64 id, const cJSON *before,
    const char *action, int *changed)
{
	struct crm_error *err;
	cJSON *after, *changes = NULL;

	if ((err = crm_deal_get(cx->db, id, NULL, &after)) != NULL)
		return err;
	changes = diff(before, after);
	if (cJSON_GetArraySize(changes) > 0) {
		cJSON_AddItemToObject(changes, "contact_id", cJSON_Duplicate(
		    cJSON_GetObjectItem(after, "contact_id"), 1));
		cJSON_AddItemToObject(changes, "company_id", cJSON_Duplicate(
		    cJSON_GetObjectItem(after, "company_id"), 1));
		if ((err = touch(cx, id)) == NULL)
			err = crm_db_event(cx->db, "deal", id, action, changes);
		*changed = err == NULL;
	}
	cJSON_Delete(after);
	cJSON_Delete(changes);
	return err;
}

struct crm_error *
deal_modify(struct deal_cx *cx, sqlite3_int64 id,
    const struct deal_changes *ch, int flags, const char *action,
    int *changed)
{
	struct deal_row old, r;
	struct crm_error *err;
	cJSON *before = NULL;
	int dummy;

	if (changed == NULL)
		changed = &dummy;
	*changed = 0;
	memset(&r, 0, sizeof(r));
	if ((err = deal_row_load(cx, id, &old)) != NULL)
		goto done;
	deal_row_copy(&r, &old);
	if ((err = deal_apply(cx, ch, flags, &r)) != NULL ||
	    (err = crm_deal_get(cx->db, id, NULL, &before)) != NULL ||
	    (err = deal_write(cx, &r, 0)) != NULL)
		goto done;
	if (r.stage.id != old.stage.id && (err = history(cx, &old, &r)))
		goto done;
	err = record_change(cx, id, before, action, changed);
done:
	cJSON_Delete(before);
	deal_row_release(&old);
	deal_row_release(&r);
	return err;
}

struct crm_error *
crm_deal_add(struct crm_db *db, const cJSON *values, sqlite3_int64 *id)
{
	struct deal_changes ch;
	struct deal_cx cx;
	struct crm_error *err;

	deal_cx_init(&cx, db);
	if ((err = deal_changes_parse(values, D_STATUS, &ch)) == NULL)
		err = deal_insert(&cx, &ch, id);
	deal_changes_release(&ch);
	deal_cx_release(&cx);
	return err;
}

/* Change id by ch with flags; the event is action. */
static struct crm_error *
modify(struct crm_db *db, sqlite3_int64 id, struct deal_changes *ch,
    int flags, const char *action, int *changed)
{
	struct crm_error *err;
	struct deal_cx cx;

	deal_cx_init(&cx, db);
	err = deal_modify(&cx, id, ch, flags, action, changed);
	deal_cx_release(&cx);
	deal_changes_release(ch);
	return err;
}

struct crm_error *
crm_deal_update(struct crm_db *db, sqlite3_int64 id, const cJSON *values,
    int *changed)
{
	struct deal_changes ch;
	struct crm_error *err;

	if ((err = deal_changes_parse(values, 0, &ch)) != NULL) {
		deal_changes_release(&ch);
		return err;
	}
	return modify(db, id, &ch, 0, "update", changed);
}

static void
set(struct deal_changes *ch, int f, const char *v)
{
	ch->set[f] = 1;
	ch->val[f] = v != NULL ? crm_xstrdup(v) : NULL;
}

struct crm_error *
crm_deal_move(struct crm_db *db, sqlite3_int64 id, const char *stage,
    int *changed)
{
	struct deal_changes ch;

	memset(&ch, 0, sizeof(ch));
	set(&ch, F_STAGE, stage);
	return modify(db, id, &ch, 0, "move", changed);
}

struct crm_error *
crm_deal_win(struct crm_db *db, sqlite3_int64 id, int *changed)
{
	struct deal_changes ch;

	memset(&ch, 0, sizeof(ch));
	set(&ch, F_STATUS, "won");
	return modify(db, id, &ch, D_STATUS | D_CLOSE, "win", changed);
}

struct crm_error *
crm_deal_lose(struct crm_db *db, sqlite3_int64 id, const char *reason,
    int *changed)
{
	struct deal_changes ch;

	memset(&ch, 0, sizeof(ch));
	set(&ch, F_STATUS, "lost");
	set(&ch, F_REASON, reason);
	return modify(db, id, &ch, D_STATUS | D_CLOSE, "lose", changed);
}

/* The open stage a closed deal goes back to: the one it was closed
 * from, when it still is an open stage of its pipeline, else the first. */
static struct crm_error *
back_stage(struct deal_cx *cx, const struct deal_row *r, struct crm_stage *s)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	sqlite3_int64 sid = 0;
	int rc;

	err = crm_db_prepare(cx->db, "SELECT from_stage_id FROM deal_history"
	    " WHERE deal_id = ? AND to_status != 'open' ORDER BY id DESC"
	    " LIMIT 1", &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, r->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		sid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sid != 0 && (err = crm_stage_get(cx->db, sid, s)) == NULL &&
	    s->kind == CRM_STAGE_OPEN && s->pipeline_id == r->stage.pipeline_id)
		return NULL;
	crm_error_free(err);
	return deal_stage_of_kind(cx, r->stage.pipeline_id, CRM_STAGE_OPEN, s);
}

struct crm_error *
crm_deal_reopen(struct crm_db *db, sqlite3_int64 id, const char *stage,
    int *changed)
{
	struct deal_changes ch;
	struct deal_row r;
	struct crm_stage s;
	struct crm_error *err;
	struct deal_cx cx;
	int dummy;

	if (changed == NULL)
		changed = &dummy;
	*changed = 0;
	memset(&ch, 0, sizeof(ch));
	deal_cx_init(&cx, db);
	if ((err = deal_row_load(&cx, id, &r)) != NULL ||
	    r.stage.kind == CRM_STAGE_OPEN)
		goto done;
	if (stage != NULL)
		set(&ch, F_STAGE, stage);
	else if ((err = back_stage(&cx, &r, &s)) == NULL)
		set(&ch, F_STAGE, s.name);
	if (err == NULL)
		err = deal_modify(&cx, id, &ch, D_REOPEN, "reopen", changed);
done:
	deal_row_release(&r);
	deal_changes_release(&ch);
	deal_cx_release(&cx);
	return err;
}

struct crm_error *
crm_deal_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *old;

	if ((err = crm_deal_get(db, id, NULL, &old)) != NULL)
		return err;
	err = crm_db_prepare(db, "DELETE FROM deals WHERE id = ?", &st);
	if (err == NULL) {
		sqlite3_bind_int64(st, 1, id);
		err = crm_db_step_done(db, st);
	}
	if (err == NULL)
		err = crm_db_event(db, "deal", id, "delete", old);
	cJSON_Delete(old);
	return err;
}

struct crm_error *
crm_deal_restage(struct crm_db *db, const struct crm_stage *from,
    const struct crm_stage *to, long *moved)
{
	struct deal_changes ch;
	struct crm_error *err;
	struct deal_cx cx;
	sqlite3_int64 *ids = NULL;
	sqlite3_stmt *st;
	size_t n = 0, alloc = 0, i;
	int rc, changed;

	*moved = 0;
	if ((err = crm_db_prepare(db, "SELECT id FROM deals WHERE stage_id = ?"
	    " ORDER BY id", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, from->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			ids = crm_xrealloc(ids, alloc * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	memset(&ch, 0, sizeof(ch));
	set(&ch, F_STAGE, to->name);
	deal_cx_init(&cx, db);
	for (i = 0; i < n && err == NULL; i++) {
		err = deal_modify(&cx, ids[i], &ch, 0, "move", &changed);
		*moved += changed;
	}
	deal_cx_release(&cx);
	deal_changes_release(&ch);
	free(ids);
	return err;
}
