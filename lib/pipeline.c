/*
 * Pipelines and stages: the schema with the default pipeline, lookups
 * with suggestions, and the changes of crm-deal pipeline and stage.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_config.h"
#include "crm_db.h"
#include "crm_deal.h"
#include "crm_pipeline.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "pipeline_int.h"

const char crm_pipeline_schema_1[] =
	"CREATE TABLE pipelines ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE);"
	"CREATE TABLE stages ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" pipeline_id INTEGER NOT NULL REFERENCES pipelines(id)"
	"  ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL DEFAULT 'open'"
	"  CHECK (kind IN ('open', 'won', 'lost')),"
	" position INTEGER NOT NULL DEFAULT 0,"
	" probability INTEGER NOT NULL"
	"  CHECK (probability BETWEEN 0 AND 100),"
	" UNIQUE (pipeline_id, name));"
	"CREATE INDEX stages_name ON stages(name);"
	"INSERT INTO pipelines (id, name) VALUES (1, 'default');"
	"INSERT INTO stages (pipeline_id, name, kind, position, probability)"
	" VALUES (1, 'lead', 'open', 1, 10), (1, 'qualified', 'open', 2, 25),"
	" (1, 'proposal', 'open', 3, 50), (1, 'negotiation', 'open', 4, 75),"
	" (1, 'won', 'won', 0, 100), (1, 'lost', 'lost', 0, 0);";

#define STAGE_SQL "SELECT s.id, s.pipeline_id, s.name, p.name," \
	" s.probability, s.kind FROM stages s" \
	" JOIN pipelines p ON p.id = s.pipeline_id"
#define STAGE_ORDER " ORDER BY CASE s.kind WHEN 'open' THEN 0" \
	" WHEN 'won' THEN 1 ELSE 2 END, s.position, s.id"

const char *const crm_pipeline_columns[] = {
	"id", "name", "default", "stages", "deals", NULL
};

const char *const crm_stage_columns[] = {
	"pipeline", "position", "stage", "kind", "probability", "deals", NULL
};

static const char *const kinds[] = { "open", "won", "lost" };

const char *
crm_stage_kind_name(int kind)
{
	return kinds[kind];
}

const char *
crm_pipeline_name_invalid(const char *name)
{
	const char *s;
	size_t n = strlen(name);

	if (n == 0 || n > CRM_NAME_MAX)
		return "must be 1 to 64 bytes";
	if (!crm_utf8_check(name, n, NULL))
		return "invalid UTF-8";
	for (s = name; *s != '\0'; s++)
		if ((unsigned char)*s < 0x80 && !isalnum((unsigned char)*s) &&
		    strchr("-_.+&#@", *s) == NULL)
			return "use letters, digits and - _ . + & # @";
	return NULL;
}

int
crm_percent_parse(const char *s)
{
	int v = 0, n = 0;

	for (; isdigit((unsigned char)*s) && n < 4; s++, n++)
		v = v * 10 + (*s - '0');
	if (n == 0 || n == 4 || v > 100 || (*s != '\0' && strcmp(s, "%")))
		return -1;
	return v;
}

static void
stage_row(sqlite3_stmt *st, struct crm_stage *s)
{
	const char *kind = (const char *)sqlite3_column_text(st, 5);

	s->id = sqlite3_column_int64(st, 0);
	s->pipeline_id = sqlite3_column_int64(st, 1);
	snprintf(s->name, sizeof(s->name), "%s",
	    (const char *)sqlite3_column_text(st, 2));
	snprintf(s->pipeline, sizeof(s->pipeline), "%s",
	    (const char *)sqlite3_column_text(st, 3));
	s->probability = sqlite3_column_int(st, 4);
	s->kind = strcmp(kind, "won") == 0 ? CRM_STAGE_WON :
	    strcmp(kind, "lost") == 0 ? CRM_STAGE_LOST : CRM_STAGE_OPEN;
}

/* The first row of sql (binding id, then text if not NULL) into *s;
 * *found is 0 when there is none. */
static struct crm_error *
stage_query(struct crm_db *db, const char *sql, sqlite3_int64 id,
    const char *text, struct crm_stage *s, int *found)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if (text != NULL)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stage_row(st, s);
		*found = 1;
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_stage_get(struct crm_db *db, sqlite3_int64 id, struct crm_stage *s)
{
	struct crm_error *err;
	int found;

	err = stage_query(db, STAGE_SQL " WHERE s.id = ?", id, NULL, s, &found);
	if (err == NULL && !found)
		err = crm_error_new(CRM_EXIT_FAIL, "no stage %lld",
		    (long long)id);
	return err;
}

/* The names sql selects (binding id when not 0), for suggestions. */
static struct crm_error *
names(struct crm_db *db, const char *sql, sqlite3_int64 id,
    struct crm_strv *sv)
{
	struct crm_error *err = NULL;
	sqlite3_stmt *st;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	if (id != 0)
		sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		crm_strv_push(sv, (const char *)sqlite3_column_text(st, 0));
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
unknown(const char *what, const char *name, const struct crm_strv *sv,
    const char *in)
{
	const char *hint = crm_suggest(name, (const char *const *)sv->v,
	    sv->n);
	char where[CRM_NAME_MAX + 20] = "";

	if (in != NULL)
		snprintf(where, sizeof(where), " in pipeline \"%s\"", in);
	if (hint != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown %s \"%s\"%s (did "
		    "you mean \"%s\"?)", what, name, where, hint);
	return crm_error_new(CRM_EXIT_USAGE, "unknown %s \"%s\"%s", what, name,
	    where);
}

/* The pipeline called name, or the oldest when name is NULL. */
static struct crm_error *
pipeline_row(struct crm_db *db, const char *name, sqlite3_int64 *id,
    char out[CRM_NAME_MAX + 1], int *found)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*found = 0;
	err = crm_db_prepare(db, name != NULL ? "SELECT id, name FROM pipelines"
	    " WHERE name = ?" : "SELECT id, name FROM pipelines ORDER BY id"
	    " LIMIT 1", &st);
	if (err != NULL)
		return err;
	if (name != NULL)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*found = 1;
		*id = sqlite3_column_int64(st, 0);
		if (out != NULL)
			snprintf(out, CRM_NAME_MAX + 1, "%s",
			    (const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_pipeline_find(struct crm_db *db, const char *name, sqlite3_int64 *id,
    char out[CRM_NAME_MAX + 1])
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err;
	const char *def = NULL;
	int found;

	if (name == NULL && (def = crm_config_get("default_pipeline", NULL,
	    NULL)) != NULL && *def != '\0')
		name = def;
	if ((err = pipeline_row(db, name, id, out, &found)) != NULL || found)
		return err;
	if (name == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "no pipeline: add one with "
		    "crm-deal pipeline add");
	if ((err = names(db, "SELECT name FROM pipelines ORDER BY id", 0,
	    &sv)) == NULL)
		err = unknown("pipeline", name, &sv, NULL);
	crm_strv_clear(&sv);
	return def != NULL ? crm_error_prefix(err, "default_pipeline") : err;
}

static struct crm_error *
pipeline_name(struct crm_db *db, sqlite3_int64 pid, char out[CRM_NAME_MAX + 1])
{
	struct crm_stage s;
	struct crm_error *err;
	int found;

	err = stage_query(db, STAGE_SQL " WHERE s.pipeline_id = ? LIMIT 1", pid,
	    NULL, &s, &found);
	snprintf(out, CRM_NAME_MAX + 1, "%s", found ? s.pipeline : "?");
	return err;
}

struct crm_error *
crm_stage_find(struct crm_db *db, sqlite3_int64 pid, const char *name,
    struct crm_stage *s)
{
	struct crm_strv sv = CRM_STRV_INIT;
	char in[CRM_NAME_MAX + 1];
	struct crm_error *err;
	struct crm_stage other;
	int found;

	if ((err = stage_query(db, STAGE_SQL " WHERE s.pipeline_id = ?"
	    " AND s.name = ?", pid, name, s, &found)) != NULL || found)
		return err;
	if ((err = pipeline_name(db, pid, in)) != NULL ||
	    (err = stage_query(db, STAGE_SQL " WHERE s.pipeline_id != ?"
	    " AND s.name = ? ORDER BY s.pipeline_id", pid, name, &other,
	    &found)) != NULL)
		return err;
	if (found)
		return crm_error_new(CRM_EXIT_FAIL, "stage \"%s\" is in "
		    "pipeline \"%s\", not in \"%s\"", name, other.pipeline, in);
	if ((err = names(db, "SELECT s.name FROM stages s WHERE"
	    " s.pipeline_id = ?" STAGE_ORDER, pid, &sv)) == NULL)
		err = unknown("stage", name, &sv, in);
	crm_strv_clear(&sv);
	return err;
}

struct crm_error *
crm_stage_of_kind(struct crm_db *db, sqlite3_int64 pid, int kind,
    struct crm_stage *s)
{
	char in[CRM_NAME_MAX + 1];
	struct crm_error *err;
	int found;

	err = stage_query(db, STAGE_SQL " WHERE s.pipeline_id = ?"
	    " AND s.kind = ?" STAGE_ORDER " LIMIT 1", pid, kinds[kind], s,
	    &found);
	if (err != NULL || found)
		return err;
	if ((err = pipeline_name(db, pid, in)) != NULL)
		return err;
	return crm_error_new(CRM_EXIT_FAIL, "pipeline \"%s\" has no %s stage%s",
	    in, kinds[kind], kind == CRM_STAGE_OPEN ? ": add one with "
	    "crm-deal stage add" : "");
}

struct crm_error *
crm_stage_all(struct crm_db *db, sqlite3_int64 pid, struct crm_stage **v,
    size_t *n)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t alloc = 8;
	int rc;

	*n = 0;
	*v = crm_xcalloc(alloc, sizeof(**v));
	err = crm_db_prepare(db, STAGE_SQL " WHERE s.pipeline_id = ?"
	    STAGE_ORDER, &st);
	if (err != NULL)
		return err;
	sqlite3_bind_int64(st, 1, pid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == alloc) {
			alloc *= 2;
			*v = crm_xrealloc(*v, alloc * sizeof(**v));
		}
		stage_row(st, &(*v)[(*n)++]);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}


/*
 * Run sql with the values of fmt bound in order: 'i' an sqlite3_int64,
 * 'd' an int, 's' a string (NULL binds null).
 */
struct crm_error *
pipeline_run(struct crm_db *db, const char *sql, const char *fmt, ...)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	va_list ap;
	int i;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0'; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1,
			    va_arg(ap, sqlite3_int64));
		else if (fmt[i] == 'd')
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
		else
			crm_db_bind_text(st, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	return crm_db_step_done(db, st);
}

struct crm_error *
pipeline_check_name(const char *what, const char *name)
{
	const char *why = crm_pipeline_name_invalid(name);

	if (why == NULL)
		return NULL;
	return crm_error_new(CRM_EXIT_USAGE, "invalid %s name \"%s\": %s",
	    what, name, why);
}

/* "a:10,b:30" into names and percentages; CRM_EXIT_USAGE errors. */
static struct crm_error *
parse_stages(const char *text, struct crm_strv *sv, int **prob)
{
	struct crm_strv items = CRM_STRV_INIT;
	struct crm_error *err = NULL;
	char *colon;
	size_t i;

	crm_strv_split(&items, text, ',');
	*prob = crm_xcalloc(items.n + 1, sizeof(**prob));
	for (i = 0; i < items.n && err == NULL; i++) {
		colon = strrchr(items.v[i], ':');
		if (colon == NULL || ((*prob)[i] = crm_percent_parse(colon +
		    1)) < 0) {
			err = crm_error_new(CRM_EXIT_USAGE, "invalid stage "
			    "\"%s\": expected NAME:PERCENT, such as demo:30",
			    items.v[i]);
			break;
		}
		*colon = '\0';
		if ((err = pipeline_check_name("stage", items.v[i])) == NULL &&
		    (crm_strv_has(sv, items.v[i]) || strcmp(items.v[i],
		    "won") == 0 || strcmp(items.v[i], "lost") == 0))
			err = crm_error_new(CRM_EXIT_USAGE, "stage \"%s\" "
			    "given twice (won and lost are added anyway)",
			    items.v[i]);
		crm_strv_push(sv, items.v[i]);
	}
	crm_strv_clear(&items);
	return err;
}

/* An event whose changes are {"pipeline": P, key: {"old", "new"}}. */
struct crm_error *
pipeline_event(struct crm_db *db, const char *entity, sqlite3_int64 id,
    const char *action, const char *pipeline, const char *key,
    const char *old, const char *new)
{
	struct crm_error *err;
	cJSON *c = cJSON_CreateObject(), *o;

	if (pipeline != NULL)
		cJSON_AddStringToObject(c, "pipeline", pipeline);
	o = cJSON_AddObjectToObject(c, key);
	cJSON_AddItemToObject(o, "old", old ? cJSON_CreateString(old) :
	    cJSON_CreateNull());
	cJSON_AddItemToObject(o, "new", new ? cJSON_CreateString(new) :
	    cJSON_CreateNull());
	err = crm_db_event(db, entity, id, action, c);
	cJSON_Delete(c);
	return err;
}

static struct crm_error *
pipeline_exists(struct crm_db *db, const char *name)
{
	sqlite3_int64 id;
	struct crm_error *err;
	int found;

	err = pipeline_row(db, name, &id, NULL, &found);
	if (err == NULL && found)
		err = crm_error_new(CRM_EXIT_FAIL, "pipeline \"%s\" already "
		    "exists", name);
	return err;
}

struct crm_error *
crm_pipeline_add(struct crm_db *db, const char *name, const char *stages,
    sqlite3_int64 *id)
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err;
	cJSON *c = NULL, *a;
	int *prob = NULL;
	size_t i;

	if ((err = pipeline_check_name("pipeline", name)) != NULL ||
	    (stages != NULL && (err = parse_stages(stages, &sv,
	    &prob)) != NULL) || (err = pipeline_exists(db, name)) != NULL ||
	    (err = pipeline_run(db, "INSERT INTO pipelines (name)"
	    " VALUES (?)", "s", name)) != NULL)
		goto done;
	*id = sqlite3_last_insert_rowid(db->sql);
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", name);
	a = cJSON_AddArrayToObject(c, "stages");
	for (i = 0; i < sv.n && err == NULL; i++) {
		err = pipeline_run(db, "INSERT INTO stages (pipeline_id,"
		    " name, kind, position, probability)"
		    " VALUES (?, ?, 'open', ?, ?)",
		    "isdd", *id, sv.v[i], (int)i + 1, prob[i]);
		cJSON_AddItemToArray(a, cJSON_CreateString(sv.v[i]));
	}
	if (err == NULL)
		err = pipeline_run(db, "INSERT INTO stages (pipeline_id,"
		    " name, kind, probability) VALUES (?, 'won', 'won', 100),"
		    " (?, 'lost', 'lost', 0)", "ii", *id, *id);
	if (err == NULL)
		err = crm_db_event(db, "pipeline", *id, "add", c);
done:
	cJSON_Delete(c);
	crm_strv_clear(&sv);
	free(prob);
	return err;
}

struct crm_error *
crm_pipeline_rename(struct crm_db *db, const char *old, const char *new)
{
	struct crm_error *err;
	sqlite3_int64 id;

	if ((err = crm_pipeline_find(db, old, &id, NULL)) != NULL ||
	    (err = pipeline_check_name("pipeline", new)) != NULL ||
	    strcmp(old, new) == 0 ||
	    (err = pipeline_exists(db, new)) != NULL ||
	    (err = pipeline_run(db, "UPDATE pipelines SET name = ?"
	    " WHERE id = ?", "si", new, id)) != NULL)
		return err;
	return pipeline_event(db, "pipeline", id, "rename", NULL, "name", old,
	    new);
}

/* The deals in stage sid, or in pipeline pid when sid is 0. */
static struct crm_error *
count_deals(struct crm_db *db, sqlite3_int64 pid, sqlite3_int64 sid,
    long *n)
{
	return crm_deal_count(db, pid, sid, n);
}

struct crm_error *
crm_pipeline_delete(struct crm_db *db, const char *name)
{
	sqlite3_int64 id, other;
	struct crm_error *err;
	long n;
	int count;

	if ((err = crm_pipeline_find(db, name, &id, NULL)) != NULL ||
	    (err = count_deals(db, id, 0, &n)) != NULL)
		return err;
	if (n > 0)
		return crm_error_new(CRM_EXIT_FAIL, "pipeline \"%s\" still "
		    "holds %ld deal%s: move or delete them first", name, n,
		    n == 1 ? "" : "s");
	if ((err = crm_db_lookup(db, "SELECT id FROM pipelines WHERE name != ?",
	    name, &other, &count)) != NULL)
		return err;
	if (count == 0)
		return crm_error_new(CRM_EXIT_FAIL, "pipeline \"%s\" is the "
		    "last one and cannot be deleted", name);
	if ((err = pipeline_run(db, "DELETE FROM pipelines WHERE id = ?", "i",
	    id)) != NULL)
		return err;
	return pipeline_event(db, "pipeline", id, "delete", NULL, "name", name,
	    NULL);
}

struct crm_error *
crm_pipeline_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_stage *v = NULL;
	struct crm_error *err;
	sqlite3_int64 def = 0, id;
	cJSON *rec, *a;
	size_t i, j, n;
	long deals;
	int stop = 0;

	if ((err = crm_pipeline_find(db, NULL, &def, NULL)) != NULL)
		crm_error_free(err);	/* a bad default_pipeline: none */
	if ((err = names(db, "SELECT id FROM pipelines ORDER BY id", 0,
	    &sv)) != NULL)
		return err;
	for (i = 0; i < sv.n && !stop && err == NULL; i++) {
		id = strtoll(sv.v[i], NULL, 10);
		free(v);
		if ((err = crm_stage_all(db, id, &v, &n)) != NULL ||
		    (err = count_deals(db, id, 0, &deals)) != NULL)
			break;
		rec = cJSON_CreateObject();
		cJSON_AddNumberToObject(rec, "id", (double)id);
		cJSON_AddStringToObject(rec, "name", v[0].pipeline);
		cJSON_AddBoolToObject(rec, "default", id == def);
		a = cJSON_AddArrayToObject(rec, "stages");
		for (j = 0; j < n; j++)
			cJSON_AddItemToArray(a, cJSON_CreateString(v[j].name));
		cJSON_AddNumberToObject(rec, "deals", (double)deals);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	free(v);
	crm_strv_clear(&sv);
	return err;
}

struct crm_error *
crm_pipeline_show(struct crm_db *db, const char *name,
    int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_stage *v = NULL;
	struct crm_error *err;
	sqlite3_int64 id;
	cJSON *rec;
	size_t i, n = 0;
	long deals;
	int stop = 0;

	if ((err = crm_pipeline_find(db, name, &id, NULL)) != NULL ||
	    (err = crm_stage_all(db, id, &v, &n)) != NULL)
		goto done;
	for (i = 0; i < n && !stop; i++) {
		if ((err = count_deals(db, id, v[i].id, &deals)) != NULL)
			break;
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "pipeline", v[i].pipeline);
		cJSON_AddNumberToObject(rec, "position", (double)(i + 1));
		cJSON_AddStringToObject(rec, "stage", v[i].name);
		cJSON_AddStringToObject(rec, "kind", kinds[v[i].kind]);
		cJSON_AddNumberToObject(rec, "probability", v[i].probability);
		cJSON_AddNumberToObject(rec, "deals", (double)deals);
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
done:
	free(v);
	return err;
}

struct crm_error *
crm_pipeline_values(struct crm_db *db, const char *what,
    void (*fn)(const char *, void *), void *arg)
{
	struct crm_strv sv = CRM_STRV_INIT;
	struct crm_error *err;
	size_t i;

	err = names(db, strcmp(what, "pipeline") == 0 ?
	    "SELECT name FROM pipelines ORDER BY name" :
	    "SELECT DISTINCT name FROM stages ORDER BY name", 0, &sv);
	for (i = 0; err == NULL && i < sv.n; i++)
		fn(sv.v[i], arg);
	crm_strv_clear(&sv);
	return err;
}
