/*
 * Merging duplicate contacts into one (crm-contact merge): references
 * move, empty fields fill, the others go, one "merge" event says what
 * happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_merge.h"
#include "crm_util.h"

/*
 * The columns that hold a contact's id, moved by a merge.  Adding a table
 * is one line here; a pair whose table does not exist yet is skipped.
 * link: the column is part of a key, so that the kept contact may have
 * the row already (a tag both had): moved where it can be, the rest
 * deleted.  Columns declared as a foreign key to contacts(id) are found
 * in the schema and moved too, as links, whether listed or not.
 */
static const struct ref {
	const char	*table;
	const char	*column;
	int		 link;
} refs[] = {
	{ "contacts", "company_id", 0 },
	{ "contact_tags", "contact_id", 1 },
	{ "activities", "contact_id", 0 },
	{ "deals", "contact_id", 0 },
	{ "deals", "company_id", 0 },
	{ "tickets", "contact_id", 0 },
};
#define NREFS (sizeof(refs) / sizeof(refs[0]))

/* Fields filled from the others when the kept contact's are empty. */
static const char *const fill_fields[] = {
	"name", "email", "phone", "company_id", "title", "owner", "source",
	"external_id", "unsubscribed_at", NULL
};

struct pair {
	char	*table;
	char	*column;
	int	 link;
};

struct pairs {
	struct pair	*v;
	size_t		 n;
};

static void
pairs_release(struct pairs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].table);
		free(p->v[i].column);
	}
	free(p->v);
}

static void
pairs_add(struct pairs *p, const char *table, const char *column, int link)
{
	p->v = crm_xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n].table = crm_xstrdup(table);
	p->v[p->n].column = crm_xstrdup(column);
	p->v[p->n].link = link;
	p->n++;
}

/* The pairs that exist: one look at the schema. */
static struct crm_error *
load_pairs(struct crm_db *db, struct pairs *p)
{
	static const char sql[] = "SELECT m.name, c.name, EXISTS (SELECT 1"
	    " FROM pragma_foreign_key_list(m.name) f WHERE f.\"from\" = c.name"
	    " AND f.\"table\" = 'contacts') FROM sqlite_schema m,"
	    " pragma_table_info(m.name) c WHERE m.type = 'table'"
	    " AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
	const char *table, *column;
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t k;
	int rc;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		table = (const char *)sqlite3_column_text(st, 0);
		column = (const char *)sqlite3_column_text(st, 1);
		for (k = 0; k < NREFS; k++)
			if (strcmp(refs[k].table, table) == 0 &&
			    strcmp(refs[k].column, column) == 0)
				break;
		if (k < NREFS)
			pairs_add(p, table, column, refs[k].link);
		else if (sqlite3_column_int(st, 2))
			pairs_add(p, table, column, 1);
	}
	if (rc != SQLITE_DONE)
		err = crm_db_error(db, rc);
	sqlite3_finalize(st);
	return err;
}

/* An SQL identifier, quoted. */
static void
add_ident(struct crm_buf *b, const char *name)
{
	crm_buf_addch(b, '"');
	for (; *name != '\0'; name++) {
		if (*name == '"')
			crm_buf_addch(b, '"');
		crm_buf_addch(b, *name);
	}
	crm_buf_addch(b, '"');
}

/* Run sql with ?1 = a, ?2 = b. */
static struct crm_error *
run2(struct crm_db *db, const char *sql, sqlite3_int64 a, sqlite3_int64 b)
{
	struct crm_error *err;
	sqlite3_stmt *st;

	if ((err = crm_db_prepare(db, sql, &st)) != NULL)
		return err;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	return crm_db_step_done(db, st);
}

static struct crm_error *
move_refs(struct crm_db *db, const struct pairs *p, sqlite3_int64 keep,
    sqlite3_int64 other)
{
	struct crm_buf sql = CRM_BUF_INIT;
	struct crm_error *err = NULL;
	size_t i;

	for (i = 0; i < p->n && err == NULL; i++) {
		crm_buf_reset(&sql);
		crm_buf_addf(&sql, "UPDATE %s", p->v[i].link ? "OR IGNORE " :
		    "");
		add_ident(&sql, p->v[i].table);
		crm_buf_adds(&sql, " SET ");
		add_ident(&sql, p->v[i].column);
		crm_buf_adds(&sql, " = ?1 WHERE ");
		add_ident(&sql, p->v[i].column);
		crm_buf_adds(&sql, " = ?2");
		err = run2(db, sql.buf, keep, other);
		if (err != NULL || !p->v[i].link)
			continue;
		/* What is left, keep had already. */
		crm_buf_reset(&sql);
		crm_buf_adds(&sql, "DELETE FROM ");
		add_ident(&sql, p->v[i].table);
		crm_buf_adds(&sql, " WHERE ");
		add_ident(&sql, p->v[i].column);
		crm_buf_adds(&sql, " = ?2 AND ?1 IS NOT NULL");
		err = run2(db, sql.buf, keep, other);
	}
	crm_buf_release(&sql);
	return err;
}

static int
empty(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && *v->valuestring == '\0');
}

/* Append the addresses in an other_emails value to list, once each. */
static void
add_emails(struct crm_strv *list, const cJSON *v, const char *except)
{
	struct crm_strv sv = CRM_STRV_INIT;
	const cJSON *e, *arr = cJSON_IsArray(v) ? v : NULL;
	size_t i, k;

	if (cJSON_IsString(v))
		crm_strv_split(&sv, v->valuestring, ';');
	cJSON_ArrayForEach(e, arr)
		if (cJSON_IsString(e) && *e->valuestring != '\0')
			crm_strv_push(&sv, e->valuestring);
	for (i = 0; i < sv.n; i++) {
		if (except != NULL && strcasecmp(sv.v[i], except) == 0)
			continue;
		for (k = 0; k < list->n; k++)
			if (strcasecmp(list->v[k], sv.v[i]) == 0)
				break;
		if (k == list->n)
			crm_strv_push(list, sv.v[i]);
	}
	crm_strv_clear(&sv);
}

/*
 * fields.other_emails of the kept contact: what it had, then the others'
 * addresses and their own other_emails, never its own address.  Noted in
 * filled when it changes.
 */
static void
fill_other_emails(const cJSON *keep, cJSON *const *others, size_t n,
    cJSON *fields, cJSON *filled)
{
	struct crm_strv list = CRM_STRV_INIT, before = CRM_STRV_INIT;
	struct crm_buf joined = CRM_BUF_INIT;
	const cJSON *mine = cJSON_GetObjectItemCaseSensitive(filled, "email");
	const char *email;
	size_t i;

	if (mine == NULL)
		mine = cJSON_GetObjectItemCaseSensitive(keep, "email");
	email = cJSON_GetStringValue(mine);
	add_emails(&before, cJSON_GetObjectItemCaseSensitive(fields,
	    "other_emails"), NULL);
	add_emails(&list, cJSON_GetObjectItemCaseSensitive(fields,
	    "other_emails"), email);
	for (i = 0; i < n; i++) {
		add_emails(&list, cJSON_GetObjectItemCaseSensitive(others[i],
		    "email"), email);
		add_emails(&list, cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(others[i], "fields"),
		    "other_emails"), email);
	}
	for (i = 0; i < list.n; i++)
		crm_buf_addf(&joined, "%s%s", i ? ";" : "", list.v[i]);
	if (list.n != before.n) {
		cJSON_DeleteItemFromObjectCaseSensitive(fields, "other_emails");
		cJSON_AddStringToObject(fields, "other_emails", joined.buf);
		cJSON_AddStringToObject(filled, "fields.other_emails",
		    joined.buf);
	}
	crm_buf_release(&joined);
	crm_strv_clear(&list);
	crm_strv_clear(&before);
}

/* Custom fields keep lacks, from the first other that has them. */
static void
fill_custom(cJSON *fields, cJSON *const *others, size_t n, cJSON *filled)
{
	const cJSON *v;
	char name[300];
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(
		    others[i], "fields")) {
			if (strcmp(v->string, "other_emails") == 0 ||
			    empty(v) || !empty(cJSON_GetObjectItemCaseSensitive(
			    fields, v->string)))
				continue;
			cJSON_DeleteItemFromObjectCaseSensitive(fields,
			    v->string);
			cJSON_AddItemToObject(fields, v->string,
			    cJSON_Duplicate(v, 1));
			snprintf(name, sizeof(name), "fields.%s", v->string);
			cJSON_AddItemToObject(filled, name,
			    cJSON_Duplicate(v, 1));
		}
	}
}

/*
 * What the merge sets on keep, in filled (field → new value), and the
 * new custom fields object in *fields (NULL when they stay).
 */
static void
plan_fill(const cJSON *keep, cJSON *const *others, size_t n,
    sqlite3_int64 keep_id, cJSON *filled, cJSON **fields)
{
	const cJSON *v;
	size_t f, i;

	for (f = 0; fill_fields[f] != NULL; f++) {
		if (!empty(cJSON_GetObjectItemCaseSensitive(keep,
		    fill_fields[f])))
			continue;
		for (i = 0; i < n; i++) {
			v = cJSON_GetObjectItemCaseSensitive(others[i],
			    fill_fields[f]);
			if (empty(v) || (cJSON_IsNumber(v) &&
			    (sqlite3_int64)v->valuedouble == keep_id))
				continue;
			cJSON_AddItemToObject(filled, fill_fields[f],
			    cJSON_Duplicate(v, 1));
			break;
		}
	}
	/* Whoever unsubscribed stays unsubscribed. */
	if (cJSON_GetObjectItemCaseSensitive(filled, "unsubscribed_at") &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(keep, "opt_in")))
		cJSON_AddFalseToObject(filled, "opt_in");
	*fields = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(keep,
	    "fields"), 1);
	if (!cJSON_IsObject(*fields)) {
		cJSON_Delete(*fields);
		*fields = cJSON_CreateObject();
	}
	fill_custom(*fields, others, n, filled);
	fill_other_emails(keep, others, n, *fields, filled);
	v = cJSON_GetObjectItemCaseSensitive(keep, "fields");
	if (cJSON_IsObject(v) && cJSON_Compare(v, *fields, 1)) {
		cJSON_Delete(*fields);
		*fields = NULL;
	}
}

/* Set what plan_fill() decided on keep; a company never its own parent. */
static struct crm_error *
update_keep(struct crm_db *db, sqlite3_int64 keep, const cJSON *filled,
    const cJSON *fields)
{
	struct crm_buf sql = CRM_BUF_INIT;
	char now[CRM_TIME_LEN], *json = NULL;
	struct crm_error *err;
	sqlite3_stmt *st;
	const cJSON *v;
	size_t f;
	int n = 0;

	/* The fill fields are named as their columns. */
	crm_buf_adds(&sql, "UPDATE contacts SET ");
	for (f = 0; fill_fields[f] != NULL; f++)
		if (cJSON_GetObjectItemCaseSensitive(filled, fill_fields[f]))
			crm_buf_addf(&sql, "%s = ?, ", fill_fields[f]);
	if (cJSON_GetObjectItemCaseSensitive(filled, "opt_in") != NULL)
		crm_buf_adds(&sql, "opt_in = 0, ");
	if (fields != NULL)
		crm_buf_adds(&sql, "fields = ?, ");
	crm_buf_adds(&sql, "updated_at = ? WHERE id = ?");
	err = crm_db_prepare(db, sql.buf, &st);
	crm_buf_release(&sql);
	if (err != NULL)
		return err;
	for (f = 0; fill_fields[f] != NULL; f++) {
		v = cJSON_GetObjectItemCaseSensitive(filled, fill_fields[f]);
		if (cJSON_IsNumber(v))
			sqlite3_bind_int64(st, ++n,
			    (sqlite3_int64)v->valuedouble);
		else if (v != NULL)
			crm_db_bind_text(st, ++n, cJSON_GetStringValue(v));
	}
	if (fields != NULL) {
		json = cJSON_PrintUnformatted(fields);
		crm_db_bind_text(st, ++n, json);
		cJSON_free(json);
	}
	crm_time_now(now);
	crm_db_bind_text(st, ++n, now);
	sqlite3_bind_int64(st, ++n, keep);
	if ((err = crm_db_step_done(db, st)) != NULL)
		return err;
	return run2(db, "UPDATE contacts SET company_id = NULL"
	    " WHERE id = ?1 AND company_id = ?2", keep, keep);
}

static struct crm_error *
check_forgotten(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_int64 found;
	char text[24];
	int n;

	snprintf(text, sizeof(text), "%lld", (long long)id);
	err = crm_db_lookup(db, "SELECT id FROM contacts"
	    " WHERE id = ? AND forgotten_at IS NOT NULL", text, &found, &n);
	if (err == NULL && n > 0)
		err = crm_error_new(CRM_EXIT_FAIL, "contact %lld was "
		    "forgotten: it cannot be merged", (long long)id);
	return err;
}

static const char *
kind_of(const cJSON *rec)
{
	const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind"));

	return k != NULL ? k : "person";
}

/*
 * The records of keep and of the others (each once, in the order given,
 * appended to merged), checked.
 */
static struct crm_error *
load_all(struct crm_db *db, sqlite3_int64 keep, const sqlite3_int64 *ids,
    size_t n, cJSON **krec, cJSON **recs, size_t *m, cJSON *merged)
{
	struct crm_error *err;
	size_t i, k;

	for (i = 0; i < n; i++)
		if (ids[i] == keep)
			return crm_error_new(CRM_EXIT_FAIL, "cannot merge "
			    "contact %lld into itself", (long long)keep);
	if ((err = crm_contact_get(db, keep, krec)) != NULL ||
	    (err = check_forgotten(db, keep)) != NULL)
		return err;
	for (i = 0; i < n; i++) {
		for (k = 0; k < i; k++)
			if (ids[k] == ids[i])
				break;
		if (k < i)
			continue;
		if ((err = crm_contact_get(db, ids[i], &recs[*m])) != NULL)
			return err;
		(*m)++;
		if ((err = check_forgotten(db, ids[i])) != NULL)
			return err;
		if (strcmp(kind_of(*krec), kind_of(recs[*m - 1])) != 0)
			return crm_error_new(CRM_EXIT_FAIL, "cannot merge %s "
			    "%lld into %s %lld: both must be people or both "
			    "companies", kind_of(recs[*m - 1]),
			    (long long)ids[i], kind_of(*krec),
			    (long long)keep);
		cJSON_AddItemToArray(merged,
		    cJSON_CreateNumber((double)ids[i]));
	}
	return NULL;
}

struct crm_error *
crm_merge_contacts(struct crm_db *db, sqlite3_int64 keep,
    const sqlite3_int64 *ids, size_t n)
{
	struct pairs pairs = { NULL, 0 };
	struct crm_error *err;
	cJSON *krec = NULL, **recs, *changes, *merged, *filled, *fields = NULL;
	sqlite3_int64 id;
	size_t i, m = 0;

	recs = crm_xcalloc(n + 1, sizeof(*recs));
	changes = cJSON_CreateObject();
	merged = cJSON_AddArrayToObject(changes, "merged");
	filled = cJSON_AddObjectToObject(changes, "filled");
	if (n == 0)
		err = crm_error_new(CRM_EXIT_USAGE, "nothing to merge");
	else
		err = load_all(db, keep, ids, n, &krec, recs, &m, merged);
	if (err != NULL || (err = load_pairs(db, &pairs)) != NULL)
		goto done;
	plan_fill(krec, recs, m, keep, filled, &fields);
	for (i = 0; i < m && err == NULL; i++) {
		id = (sqlite3_int64)cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(recs[i], "id"));
		if ((err = move_refs(db, &pairs, keep, id)) == NULL)
			err = run2(db, "DELETE FROM contacts WHERE id = ?1"
			    " AND ?2 IS NOT NULL", id, keep);
		/* The record as it was, tags and all, before the move. */
		if (err == NULL)
			err = crm_db_event(db, "contact", id, "delete",
			    recs[i]);
	}
	if (err == NULL)
		err = update_keep(db, keep, filled, fields);
	if (err == NULL)
		err = crm_db_event(db, "contact", keep, "merge", changes);
done:
	for (i = 0; i < m; i++)
		cJSON_Delete(recs[i]);
	free(recs);
	cJSON_Delete(krec);
	cJSON_Delete(fields);
	cJSON_Delete(changes);
	pairs_release(&pairs);
	return err;
}
