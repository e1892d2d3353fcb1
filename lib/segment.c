/*
 * Segments: the schema, names, the expansion of "segment = NAME" in
 * contact filters, static members, counts and records.
 *
 * A dynamic segment keeps its filter as written and is compiled anew at
 * every use, inside the filter that names it; segment_uses records which
 * segments each one names, so that renaming or deleting a segment that
 * another still names is refused instead of breaking it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_campaign.h"
#include "crm_contact.h"
#include "crm_db.h"
#include "crm_filter.h"
#include "crm_segment.h"
#include "crm_util.h"

const char crm_segment_schema_1[] =
	"CREATE TABLE segments ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK (kind IN ('dynamic', 'static')),"
	" filter TEXT,"
	" description TEXT,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL,"
	" CHECK ((kind = 'dynamic') = (filter IS NOT NULL)));"
	"CREATE TABLE segment_members ("
	" segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,"
	" contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	" added_at TEXT NOT NULL,"
	" PRIMARY KEY (segment_id, contact_id)) WITHOUT ROWID;"
	"CREATE INDEX segment_members_contact ON segment_members(contact_id);"
	/* The segments a dynamic segment's filter names itself. */
	"CREATE TABLE segment_uses ("
	" segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,"
	" uses_id INTEGER NOT NULL REFERENCES segments(id),"
	" PRIMARY KEY (segment_id, uses_id)) WITHOUT ROWID;"
	"CREATE INDEX segment_uses_uses ON segment_uses(uses_id);";

const char *const crm_segment_columns[] = {
	"id", "name", "kind", "where", "description", "members",
	"created_at", "updated_at", NULL
};

const char *const crm_segment_table_columns[] = {
	"id", "name", "kind", "members", "where", NULL
};

#define MAX_NESTING	16	/* segments inside segments */
#define MEMBERS_SQL	"c.id IN (SELECT m.contact_id FROM segment_members m" \
	" WHERE m.segment_id = ?)"
#define FROM_COMPANY	" LEFT JOIN contacts co ON co.id = c.company_id"

struct segment {
	sqlite3_int64	 id;
	char		*name;
	char		*filter;	/* NULL: static */
};

static void
segment_release(struct segment *s)
{
	free(s->name);
	free(s->filter);
}

/* Segment ref (name or id) into *s; *found 0 when there is none. */
static struct crm_error *
find(struct crm_db *db, const char *ref, struct segment *s, int *found)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof(*s));
	*found = 0;
	if ((err = crm_db_prepare(db, crm_is_id(ref) ?
	    "SELECT id, name, filter FROM segments WHERE id = ?" :
	    "SELECT id, name, filter FROM segments WHERE name = ?",
	    &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, ref);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*found = 1;
		s->id = sqlite3_column_int64(st, 0);
		s->name = crm_xstrdup((const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			s->filter = crm_xstrdup((const char *)
			    sqlite3_column_text(st, 2));
	} else if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
get(struct crm_db *db, const char *ref, struct segment *s)
{
	struct crm_error *err;
	int found;

	if ((err = find(db, ref, s, &found)) == NULL && !found)
		err = crm_error_new(CRM_EXIT_USAGE, "no segment \"%s\"", ref);
	return err;
}

/* Segment id into *s; none is a usage error. */
static struct crm_error *
get_id(struct crm_db *db, sqlite3_int64 id, struct segment *s)
{
	char ref[32];

	snprintf(ref, sizeof(ref), "%lld", (long long)id);
	return get(db, ref, s);
}

struct crm_error *
crm_segment_resolve(struct crm_db *db, const char *ref, sqlite3_int64 *id)
{
	struct crm_error *err;
	struct segment s;

	err = get(db, ref, &s);
	*id = s.id;
	segment_release(&s);
	return err;
}

struct crm_error *
crm_segment_expand(const struct crm_filter_scope *scope, const char *name,
    struct crm_filter **sub)
{
	const struct crm_filter_scope *o;
	const char *outer[MAX_NESTING];
	struct crm_filter_scope in;
	struct crm_buf chain = CRM_BUF_INIT;
	struct crm_error *err;
	struct segment s;
	int depth = 0, cycle = 0, found;

	*sub = NULL;
	for (o = scope; o != NULL && depth < MAX_NESTING; o = o->outer)
		if (o->name != NULL) {
			outer[depth++] = o->name;
			cycle |= strcmp(o->name, name) == 0;
		}
	if (cycle || depth == MAX_NESTING) {
		/* From the outermost in: a -> b -> a. */
		while (depth > 0)
			crm_buf_addf(&chain, "%s -> ", outer[--depth]);
		crm_buf_adds(&chain, name);
		err = crm_error_new(CRM_EXIT_USAGE, "%s: %s", cycle ?
		    "a segment would contain itself" :
		    "segments nested too deeply", chain.buf);
		crm_buf_release(&chain);
		return err;
	}
	if ((err = find(scope->db, name, &s, &found)) != NULL)
		return err;
	if (!found) {
		segment_release(&s);
		return crm_error_new(CRM_EXIT_USAGE, "no segment \"%s\"", name);
	}
	if (scope->named != NULL)
		scope->named(scope->arg, s.id);
	if (s.filter == NULL)
		*sub = crm_filter_new_int(MEMBERS_SQL, s.id);
	else {
		memset(&in, 0, sizeof(in));
		in.db = scope->db;
		in.outer = scope;
		in.name = s.name;
		if ((err = crm_filter_compile_in(s.filter,
		    crm_contact_fieldset(), &in, sub)) != NULL)
			err = crm_error_prefix(err, "segment \"%s\"", s.name);
	}
	segment_release(&s);
	return err;
}

/* The ids a filter names, for segment_uses. */
static void
note_use(void *arg, sqlite3_int64 id)
{
	struct crm_buf *ids = arg;

	crm_buf_add(ids, &id, sizeof(id));
}

/*
 * Check where as the filter of segment name (id, or 0 when new) and
 * record the segments it names.
 */
static struct crm_error *
set_filter(struct crm_db *db, sqlite3_int64 id, const char *name,
    const char *where)
{
	struct crm_buf ids = CRM_BUF_INIT;
	struct crm_filter_scope scope = { db, NULL, name, note_use, &ids };
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 u;
	size_t i;

	if (where[strspn(where, " \t\r\n")] == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "--where: a dynamic "
		    "segment needs a filter (or use --static)");
	if ((err = crm_filter_compile_in(where, crm_contact_fieldset(),
	    &scope, &f)) != NULL) {
		crm_buf_release(&ids);
		return crm_error_prefix(err, "--where");
	}
	crm_filter_free(f);
	if ((err = crm_db_prepare(db, "DELETE FROM segment_uses"
	    " WHERE segment_id = ?", &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) != NULL)
		goto done;
	for (i = 0; i + sizeof(u) <= ids.len && err == NULL; i += sizeof(u)) {
		memcpy(&u, ids.buf + i, sizeof(u));
		if ((err = crm_db_prepare(db, "INSERT OR IGNORE INTO"
		    " segment_uses (segment_id, uses_id) VALUES (?, ?)",
		    &st)) != NULL)
			break;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, u);
		err = crm_db_step_done(db, st);
	}
done:
	crm_buf_release(&ids);
	return err;
}

/*
 * What names segment id: the segments whose filters do, as "\"a\", \"b\""
 * into segs, and the score rules whose filters do (score_rule_uses, kept
 * by score.c), as "3, 5" into rules, *nrules of them.
 */
static struct crm_error *
users(struct crm_db *db, sqlite3_int64 id, struct crm_buf *segs,
    struct crm_buf *rules, int *nrules)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	const char *v;
	int rc;

	*nrules = 0;
	if ((err = crm_db_prepare(db, "SELECT 0, s.name FROM segment_uses u"
	    " JOIN segments s ON s.id = u.segment_id WHERE u.uses_id = ?1"
	    " UNION ALL SELECT 1, rule_id FROM score_rule_uses"
	    " WHERE uses_id = ?1 ORDER BY 1, 2", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = (const char *)sqlite3_column_text(st, 1);
		if (sqlite3_column_int(st, 0) == 0)
			crm_buf_addf(segs, "%s\"%s\"", segs->len ? ", " : "", v);
		else
			crm_buf_addf(rules, "%s%s", (*nrules)++ ? ", " : "", v);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

static struct crm_error *
refuse_if_used(struct crm_db *db, const struct segment *s, const char *what)
{
	struct crm_buf segs = CRM_BUF_INIT, rules = CRM_BUF_INIT;
	struct crm_buf who = CRM_BUF_INIT;
	struct crm_error *err;
	int nrules;

	if ((err = users(db, s->id, &segs, &rules, &nrules)) != NULL ||
	    (segs.len == 0 && nrules == 0))
		goto done;
	if (segs.len > 0)
		crm_buf_addf(&who, "the filter of %s", segs.buf);
	if (nrules > 0)
		crm_buf_addf(&who, "%sscore rule%s %s", segs.len > 0 ?
		    " and " : "", nrules > 1 ? "s" : "", rules.buf);
	/* "The filter of" is one subject however many segments follow. */
	err = crm_error_new(CRM_EXIT_FAIL, "cannot %s segment \"%s\": %s %s "
	    "it", what, s->name, who.buf, nrules > 1 || (nrules > 0 &&
	    segs.len > 0) ? "name" : "names");
done:
	crm_buf_release(&segs);
	crm_buf_release(&rules);
	crm_buf_release(&who);
	return err;
}

static cJSON *
event_changes(const char *k1, const char *v1, const char *k2,
    const char *v2)
{
	cJSON *c = cJSON_CreateObject();

	if (k1 != NULL)
		cJSON_AddItemToObject(c, k1, v1 != NULL ?
		    cJSON_CreateString(v1) : cJSON_CreateNull());
	if (k2 != NULL)
		cJSON_AddItemToObject(c, k2, v2 != NULL ?
		    cJSON_CreateString(v2) : cJSON_CreateNull());
	return c;
}

static struct crm_error *
event(struct crm_db *db, sqlite3_int64 id, const char *action, cJSON *c)
{
	struct crm_error *err = crm_db_event(db, "segment", id, action, c);

	cJSON_Delete(c);
	return err;
}

struct crm_error *
crm_segment_create(struct crm_db *db, const char *name, const char *where,
    const char *description, sqlite3_int64 *id)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;

	*id = 0;
	if ((err = crm_db_name_free(db, "segments", "segment", name, 0)) !=
	    NULL)
		return err;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "INSERT INTO segments (name, kind,"
	    " filter, description, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?)", &st)) != NULL)
		return err;
	crm_db_bind_text(st, 1, name);
	crm_db_bind_text(st, 2, where != NULL ? "dynamic" : "static");
	crm_db_bind_text(st, 3, where);
	crm_db_bind_text(st, 4, description);
	crm_db_bind_text(st, 5, now);
	crm_db_bind_text(st, 6, now);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	*id = sqlite3_last_insert_rowid(db->sql);
	if (where != NULL && (err = set_filter(db, *id, name, where)) != NULL)
		return err;
	return event(db, *id, "add", event_changes("name", name,
	    where != NULL ? "where" : "kind", where != NULL ? where : "static"));
}

struct crm_error *
crm_segment_update(struct crm_db *db, sqlite3_int64 id, const char *where,
    const char *description)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	struct segment s;
	sqlite3_stmt *st;

	if ((err = get_id(db, id, &s)) != NULL)
		goto done;
	if (where != NULL && s.filter == NULL) {
		err = crm_error_new(CRM_EXIT_USAGE, "segment \"%s\" is static: "
		    "it has members, not a filter", s.name);
		goto done;
	}
	if (where != NULL && (err = set_filter(db, id, s.name, where)) != NULL)
		goto done;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "UPDATE segments SET"
	    " filter = COALESCE(?, filter),"
	    " description = CASE WHEN ?2 IS NULL THEN description"
	    " WHEN ?2 = '' THEN NULL ELSE ?2 END, updated_at = ?"
	    " WHERE id = ?", &st)) != NULL)
		goto done;
	crm_db_bind_text(st, 1, where);
	crm_db_bind_text(st, 2, description);
	crm_db_bind_text(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = event(db, id, "update", event_changes(
		    where != NULL ? "where" : NULL, where,
		    description != NULL ? "description" : NULL, description));
done:
	segment_release(&s);
	return err;
}

struct crm_error *
crm_segment_rename(struct crm_db *db, sqlite3_int64 id, const char *name)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	struct segment s;
	sqlite3_stmt *st;

	if ((err = crm_db_name_free(db, "segments", "segment", name, id)) !=
	    NULL)
		return err;
	if ((err = get_id(db, id, &s)) != NULL)
		goto done;
	if ((err = refuse_if_used(db, &s, "rename")) != NULL)
		goto done;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, "UPDATE segments SET name = ?,"
	    " updated_at = ? WHERE id = ?", &st)) != NULL)
		goto done;
	crm_db_bind_text(st, 1, name);
	crm_db_bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = event(db, id, "rename", event_changes("name", name,
		    "old_name", s.name));
done:
	segment_release(&s);
	return err;
}

struct crm_error *
crm_segment_delete(struct crm_db *db, sqlite3_int64 id, int force)
{
	struct crm_buf names = CRM_BUF_INIT;
	struct crm_error *err;
	struct segment s;
	sqlite3_stmt *st;

	if ((err = get_id(db, id, &s)) != NULL ||
	    (err = refuse_if_used(db, &s, "delete")) != NULL)
		goto done;
	if (!force && (err = crm_campaign_users(db, id, &names)) == NULL &&
	    names.len > 0)
		err = crm_error_new(CRM_EXIT_FAIL, "cannot delete segment "
		    "\"%s\": campaign %s sends to it (--force deletes it "
		    "anyway, and the campaign is left without an audience)",
		    s.name, names.buf);
	if (err != NULL)
		goto done;
	if ((err = crm_db_prepare(db, "DELETE FROM segments WHERE id = ?",
	    &st)) != NULL)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = event(db, id, "delete", event_changes("name", s.name,
		    NULL, NULL));
done:
	crm_buf_release(&names);
	segment_release(&s);
	return err;
}

/* Does SQL, a compiled contact filter, refer to the company (co.)? */
static int
uses_company(const char *sql)
{
	const char *p;

	for (p = sql; (p = strstr(p, "co.")) != NULL; p++)
		if (p == sql || !(p[-1] == '_' || (p[-1] >= 'a' &&
		    p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
		    (p[-1] >= '0' && p[-1] <= '9')))
			return 1;
	return 0;
}

struct crm_error *
crm_segment_count(struct crm_db *db, const char *where, sqlite3_int64 *n)
{
	struct crm_filter_scope scope = { db, NULL, NULL, NULL, NULL };
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_filter *f = NULL;
	struct crm_error *err;
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	if ((err = crm_filter_compile_in(where, crm_contact_fieldset(),
	    &scope, &f)) != NULL)
		return crm_error_prefix(err, "--where");
	/* The company's row only when the filter reads it: a count of a
	 * million contacts is a third faster without the join. */
	crm_buf_addf(&sql, "SELECT count(*) FROM contacts c%s WHERE (%s)",
	    uses_company(crm_filter_sql(f)) ? FROM_COMPANY : "",
	    crm_filter_sql(f));
	if ((err = crm_db_prepare(db, sql.buf, &st)) == NULL) {
		crm_filter_bind(f, st, 1);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		else
			err = crm_db_error(db, rc);
	}
	sqlite3_finalize(st);
	crm_buf_release(&sql);
	crm_filter_free(f);
	return err;
}

/* A filter naming segment s alone. */
static char *
one_expr(const char *name)
{
	struct crm_buf b = CRM_BUF_INIT;

	crm_buf_addf(&b, "segment = \"%s\"", name);
	return crm_buf_detach(&b);
}

#define SELECT_SQL "SELECT id, name, kind, filter, description," \
	" created_at, updated_at FROM segments"

/* The record of the current row of SELECT_SQL, members counted. */
static struct crm_error *
row_record(struct crm_db *db, sqlite3_stmt *st, cJSON **rec)
{
	static const char *const names[] = {
		"id", "name", "kind", "where", "description", "created_at",
		"updated_at"
	};
	struct crm_error *err;
	sqlite3_int64 n;
	char *expr;
	size_t i;

	*rec = cJSON_CreateObject();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cJSON_AddItemToObject(*rec, names[i],
		    crm_db_column_json(st, (int)i));
		if (i == 4) {
			expr = one_expr((const char *)
			    sqlite3_column_text(st, 1));
			err = crm_segment_count(db, expr, &n);
			free(expr);
			if (err != NULL) {
				cJSON_Delete(*rec);
				*rec = NULL;
				return err;
			}
			cJSON_AddNumberToObject(*rec, "members", (double)n);
		}
	}
	return NULL;
}

struct crm_error *
crm_segment_get(struct crm_db *db, sqlite3_int64 id, cJSON **rec)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	int rc;

	*rec = NULL;
	if ((err = crm_db_prepare(db, SELECT_SQL " WHERE id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		err = row_record(db, st, rec);
	else if (rc == SQLITE_DONE)
		err = crm_error_new(CRM_EXIT_USAGE, "no segment %lld",
		    (long long)id);
	else
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_segment_list(struct crm_db *db, int (*fn)(const cJSON *, void *),
    void *arg)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *rec;
	int rc = SQLITE_DONE, stop = 0;

	if ((err = crm_db_prepare(db, SELECT_SQL " ORDER BY name", &st)) != NULL)
		return err;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = row_record(db, st, &rec)) != NULL)
			break;
		stop = fn(rec, arg);
		cJSON_Delete(rec);
	}
	if (err == NULL && !stop && rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

struct crm_error *
crm_segment_names(struct crm_db *db, void (*fn)(const char *, void *),
    void *arg)
{
	return crm_db_each_text(db, "SELECT name FROM segments ORDER BY name",
	    fn, arg);
}

struct crm_error *
crm_segment_check_static(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	struct segment s;

	if ((err = get_id(db, id, &s)) == NULL && s.filter != NULL)
		err = crm_error_new(CRM_EXIT_USAGE, "segment \"%s\" is "
		    "dynamic: its members are those its filter matches",
		    s.name);
	segment_release(&s);
	return err;
}

static struct crm_error *
member(struct crm_db *db, sqlite3_int64 id, sqlite3_int64 contact, int add,
    int *changed)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *c;

	if (changed != NULL)
		*changed = 0;
	if ((err = crm_segment_check_static(db, id)) != NULL)
		return err;
	crm_time_now(now);
	if ((err = crm_db_prepare(db, add ? "INSERT OR IGNORE INTO"
	    " segment_members (segment_id, contact_id, added_at)"
	    " VALUES (?, ?, ?)" : "DELETE FROM segment_members"
	    " WHERE segment_id = ? AND contact_id = ?", &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, contact);
	if (add)
		crm_db_bind_text(st, 3, now);
	if ((err = crm_db_step_done(db, st)) != NULL ||
	    sqlite3_changes(db->sql) == 0)
		return err;
	if (changed != NULL)
		*changed = 1;
	c = cJSON_CreateObject();
	cJSON_AddNumberToObject(c, "contact_id", (double)contact);
	return event(db, id, add ? "add_member" : "remove_member", c);
}

struct crm_error *
crm_segment_add_member(struct crm_db *db, sqlite3_int64 id,
    sqlite3_int64 contact, int *changed)
{
	return member(db, id, contact, 1, changed);
}

struct crm_error *
crm_segment_remove_member(struct crm_db *db, sqlite3_int64 id,
    sqlite3_int64 contact, int *changed)
{
	return member(db, id, contact, 0, changed);
}

struct crm_error *
crm_segment_expr(struct crm_db *db, const char *const *refs, size_t n,
    enum crm_segment_op op, char **expr)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	struct segment s;
	size_t i;

	*expr = NULL;
	for (i = 0; i < n; i++) {
		if ((err = get(db, refs[i], &s)) != NULL)
			break;
		if (i > 0)
			crm_buf_adds(&b, op == CRM_SEG_UNION ? " or " :
			    op == CRM_SEG_INTERSECT ? " and " : " and not ");
		crm_buf_addf(&b, "segment = \"%s\"", s.name);
		segment_release(&s);
	}
	if (err != NULL) {
		crm_buf_release(&b);
		return err;
	}
	*expr = crm_buf_detach(&b);
	return NULL;
}
