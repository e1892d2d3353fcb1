/*
 * Contacts, the write side: values checked and normalised, then add,
 * update, delete and tags, each recording its event.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_db.h"
#include "crm_email.h"
#include "crm_filter.h"
#include "crm_stream.h"
#include "crm_util.h"

/* How a writable field's text is checked and stored. */
enum check { C_TEXT, C_NAME, C_EMAIL, C_PHONE, C_KIND, C_TOKEN, C_BOOL,
	C_TIME, C_COMPANY, C_TAGS };

struct wfield {
	const char	*name;
	const char	*column;	/* NULL: not a plain column */
	enum check	 check;
};

static const struct wfield wfields[] = {
	{ "kind", "kind", C_KIND },
	{ "name", "name", C_NAME },
	{ "email", "email", C_EMAIL },
	{ "phone", "phone", C_PHONE },
	{ "company", "company_id", C_COMPANY },
	{ "title", "title", C_TEXT },
	{ "stage", "stage", C_TOKEN },
	{ "owner", "owner", C_TEXT },
	{ "source", "source", C_TEXT },
	{ "external_id", "external_id", C_TOKEN },
	{ "opt_in", "opt_in", C_BOOL },
	{ "unsubscribed_at", "unsubscribed_at", C_TIME },
	{ "tags", NULL, C_TAGS },
};
#define NWFIELDS (sizeof(wfields) / sizeof(wfields[0]))

const char *const crm_contact_writable[] = {
	"kind", "name", "email", "phone", "company", "title", "stage", "owner",
	"source", "external_id", "opt_in", "unsubscribed_at", "tags", NULL
};

/* A reason when s holds control characters (a one-line field), or NULL. */
static const char *
bad_text(const char *s)
{
	if (!crm_utf8_check(s, strlen(s), NULL))
		return "invalid UTF-8";
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "control character";
	return NULL;
}

const char *
crm_contact_tag_invalid(const char *tag)
{
	const char *why;
	size_t n = strlen(tag);

	if (n == 0 || n > 64)
		return "must be 1 to 64 characters";
	if ((why = bad_text(tag)) != NULL)
		return why;
	if (strpbrk(tag, " ;,") != NULL)
		return "no blanks, \";\" or \",\"";
	return NULL;
}

/* "fields.NAME": NAME is [A-Za-z0-9_-]+. */
static int
custom_name(const char *s)
{
	size_t i;

	if (strncmp(s, "fields.", 7) != 0 || s[7] == '\0')
		return 0;
	for (i = 7; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

/* The validated changes a values object asks for. */
struct changes {
	char		*val[NWFIELDS];	/* normalised text; NULL clears */
	int		 set[NWFIELDS];
	cJSON		*custom;	/* name → string, or null to remove */
	struct crm_strv	 tags;
};

static void
changes_release(struct changes *ch)
{
	size_t i;

	for (i = 0; i < NWFIELDS; i++)
		free(ch->val[i]);
	cJSON_Delete(ch->custom);
	crm_strv_clear(&ch->tags);
}

static struct crm_error *
invalid(const char *field, const char *value, const char *why)
{
	return crm_error_new(CRM_EXIT_FAIL, "invalid %s \"%s\"%s%s", field,
	    value, why ? ": " : "", why ? why : "");
}

static struct crm_error *
check_company(struct crm_db *db, const char *ref, char **out)
{
	struct crm_error *err;
	sqlite3_int64 id;
	cJSON *rec;
	int n;

	err = crm_contact_resolve(db, ref, &id);
	if (err != NULL) {
		crm_error_free(err);
		err = crm_db_lookup(db, "SELECT id FROM contacts WHERE kind = 'company'"
		    " AND name = ?", ref, &id, &n);
		if (err != NULL)
			return err;
		if (n > 1)
			return crm_error_new(CRM_EXIT_FAIL, "%d companies are "
			    "named \"%s\": give the id", n, ref);
		if (n == 0)
			return crm_error_new(CRM_EXIT_FAIL, "no company \"%s\" "
			    "(add it with --kind company first)", ref);
	}
	if ((err = crm_contact_get(db, id, &rec)) != NULL)
		return err;
	if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "kind")),
	    "company") != 0)
		err = crm_error_new(CRM_EXIT_FAIL, "contact %lld is not a "
		    "company", (long long)id);
	cJSON_Delete(rec);
	if (err == NULL) {
		*out = crm_xmalloc(24);
		snprintf(*out, 24, "%lld", (long long)id);
	}
	return err;
}

static struct crm_error *
check_tags(const char *s, struct crm_strv *tags)
{
	struct crm_strv sv = CRM_STRV_INIT;
	char *copy = crm_xstrdup(s), *p;
	const char *why;
	size_t i;

	for (p = copy; *p != '\0'; p++)
		if (*p == ',')
			*p = ';';
	crm_strv_split(&sv, copy, ';');
	free(copy);
	for (i = 0; i < sv.n; i++) {
		if ((why = crm_contact_tag_invalid(sv.v[i])) != NULL) {
			struct crm_error *err = invalid("tag", sv.v[i], why);

			crm_strv_clear(&sv);
			return err;
		}
		if (!crm_strv_has(tags, sv.v[i]))
			crm_strv_push(tags, sv.v[i]);
	}
	crm_strv_clear(&sv);
	return NULL;
}

static int
phone_ok(const char *s)
{
	int digits = 0;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (strchr(" +-().#*/xXetEXT", *s) == NULL)
			return 0;
	}
	return digits >= 3;
}

/*
 * Check and normalise the text of a field that needs no database (not
 * C_COMPANY, not C_TAGS): the stored form goes to out, reset first.  The
 * one check shared by add, update and import.
 */
static struct crm_error *
check_text(const struct wfield *f, const char *in, struct crm_buf *out)
{
	char buf[CRM_EMAIL_MAX], t[CRM_TIME_LEN];
	const char *why = bad_text(in), *s;
	size_t n;
	int b;

	if (why != NULL)
		return invalid(f->name, in, why);
	/* Trimmed as crm_trim() trims. */
	for (s = in; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	for (n = strlen(s); n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'); n--)
		;
	crm_buf_reset(out);
	crm_buf_add(out, s, n);
	s = out->buf;
	switch (f->check) {
	case C_TEXT:
	case C_NAME:
		if (n > 1000)
			return invalid(f->name, in, "too long");
		break;
	case C_EMAIL:
		if (crm_email_normalize(s, buf, sizeof(buf), &why) != 0)
			return invalid("email", in, why);
		crm_buf_reset(out);
		crm_buf_adds(out, buf);
		break;
	case C_PHONE:
		if (!phone_ok(s))
			return invalid("phone", in, "expected digits and "
			    "+ - ( ) . / x");
		break;
	case C_KIND:
		if (strcmp(s, "person") != 0 && strcmp(s, "company") != 0)
			return invalid("kind", in, "use person or company");
		break;
	case C_TOKEN:
		if (n == 0 || n > 200 || strpbrk(s, " \t") != NULL)
			return invalid(f->name, in, "expected one word");
		break;
	case C_BOOL:
		if ((b = crm_parse_bool(s)) < 0)
			return invalid(f->name, in, "use true or false");
		crm_buf_reset(out);
		crm_buf_adds(out, b ? "1" : "0");
		break;
	case C_TIME:
		if (crm_time_parse(s, t, NULL) != 0)
			return invalid(f->name, in, "expected a time such as "
			    "2026-11-22T10:00:00Z or -3d");
		crm_buf_reset(out);
		crm_buf_adds(out, t);
		break;
	case C_COMPANY:
	case C_TAGS:
		break;
	}
	return NULL;
}

/* Check and normalise one field's text into *out (the caller frees). */
static struct crm_error *
check_value(struct crm_db *db, const struct wfield *f, const char *in,
    char **out, struct crm_strv *tags)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	const char *why;
	char *s;

	if (f->check == C_COMPANY) {
		if ((why = bad_text(in)) != NULL)
			return invalid(f->name, in, why);
		return check_company(db, in, out);
	}
	if (f->check == C_TAGS) {
		if ((why = bad_text(in)) != NULL)
			return invalid(f->name, in, why);
		s = crm_trim(crm_xstrdup(in));
		if ((err = check_tags(s, tags)) != NULL) {
			free(s);
			return err;
		}
		*out = s;
		return NULL;
	}
	if ((err = check_text(f, in, &b)) != NULL) {
		crm_buf_release(&b);
		return err;
	}
	*out = crm_buf_detach(&b);
	return NULL;
}

static const struct wfield *
find_wfield(const char *name)
{
	size_t i;

	for (i = 0; i < NWFIELDS; i++)
		if (strcmp(wfields[i].name, name) == 0)
			return &wfields[i];
	return NULL;
}

struct crm_error *
crm_contact_check_value(const char *field, const char *in,
    struct crm_buf *out)
{
	const struct wfield *f = find_wfield(field);

	if (f == NULL || f->check == C_COMPANY || f->check == C_TAGS)
		return crm_error_new(CRM_EXIT_USAGE, "field \"%s\" cannot be "
		    "checked on its own", field);
	return check_text(f, in, out);
}

static struct crm_error *
unknown_field(const char *name)
{
	const char *hint = crm_suggest(name, (const char *const *)
	    crm_contact_writable, NWFIELDS);

	if (hint != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "unknown field \"%s\" "
		    "(did you mean \"%s\"?)", name, hint);
	if (strncmp(name, "fields.", 7) == 0)
		return crm_error_new(CRM_EXIT_USAGE, "invalid custom field name "
		    "\"%s\": use letters, digits, \"_\" and \"-\"", name);
	return crm_error_new(CRM_EXIT_USAGE, "unknown field \"%s\"", name);
}

/* The text of a JSON scalar given as a value, or NULL for null. */
static struct crm_error *
value_text(const cJSON *v, char *num, size_t numsz, const char **out)
{
	if (cJSON_IsNull(v))
		*out = NULL;
	else if (cJSON_IsString(v))
		*out = v->valuestring;
	else if (cJSON_IsBool(v))
		*out = cJSON_IsTrue(v) ? "true" : "false";
	else if (cJSON_IsNumber(v)) {
		snprintf(num, numsz, "%.15g", v->valuedouble);
		*out = num;
	} else
		return crm_error_new(CRM_EXIT_FAIL, "field \"%s\": expected "
		    "a string", v->string);
	return NULL;
}

static struct crm_error *
prepare_changes(struct crm_db *db, const cJSON *values, struct changes *ch)
{
	const struct wfield *f;
	struct crm_error *err;
	const cJSON *v;
	const char *text = NULL;
	char num[32];
	size_t i;

	memset(ch, 0, sizeof(*ch));
	cJSON_ArrayForEach(v, values) {
		if ((err = value_text(v, num, sizeof(num), &text)) != NULL)
			return err;
		if (custom_name(v->string)) {
			if (ch->custom == NULL)
				ch->custom = cJSON_CreateObject();
			cJSON_DeleteItemFromObjectCaseSensitive(ch->custom,
			    v->string + 7);
			cJSON_AddItemToObject(ch->custom, v->string + 7,
			    text ? cJSON_CreateString(text) :
			    cJSON_CreateNull());
			if (text != NULL && !crm_utf8_check(text, strlen(text),
			    NULL))
				return invalid(v->string, text, "invalid UTF-8");
			continue;
		}
		if ((f = find_wfield(v->string)) == NULL)
			return unknown_field(v->string);
		i = (size_t)(f - wfields);
		free(ch->val[i]);
		ch->val[i] = NULL;
		ch->set[i] = 1;
		if (text == NULL) {
			if (f->check == C_KIND || f->check == C_BOOL ||
			    strcmp(f->name, "stage") == 0)
				return crm_error_new(CRM_EXIT_USAGE,
				    "%s cannot be unset", f->name);
			if (f->check == C_TAGS)
				crm_strv_clear(&ch->tags);
			continue;
		}
		if (f->check == C_TAGS)
			crm_strv_clear(&ch->tags);
		if ((err = check_value(db, f, text, &ch->val[i],
		    &ch->tags)) != NULL)
			return err;
	}
	return NULL;
}

/* Refuse a value of a UNIQUE column held by another contact. */
static struct crm_error *
check_unique(struct crm_db *db, const char *column, const char *value,
    sqlite3_int64 self)
{
	char sql[96];
	sqlite3_int64 other;
	struct crm_error *err;
	int n;

	if (value == NULL)
		return NULL;
	snprintf(sql, sizeof(sql), "SELECT id FROM contacts WHERE %s = ?",
	    column);
	if ((err = crm_db_lookup(db, sql, value, &other, &n)) != NULL)
		return err;
	if (n > 0 && other != self)
		return crm_error_new(CRM_EXIT_FAIL, "%s \"%s\" already belongs "
		    "to contact %lld", strcmp(column, "email") == 0 ? "email" :
		    "external id", value, (long long)other);
	return NULL;
}

/* Add and remove tags of id; the names of those that changed go to the
 * arrays added and removed. */
static struct crm_error *
apply_tags(struct crm_db *db, sqlite3_int64 id, const struct crm_strv *add,
    const struct crm_strv *remove, cJSON *added, cJSON *removed)
{
	static const char *const sql[2] = {
		"INSERT OR IGNORE INTO contact_tags (contact_id, tag)"
		" VALUES (?, ?)",
		"DELETE FROM contact_tags WHERE contact_id = ? AND tag = ?",
	};
	const struct crm_strv *lists[2] = { add, remove };
	cJSON *out[2] = { added, removed };
	struct crm_error *err;
	sqlite3_stmt *st;
	size_t i, k;
	int rc;

	for (k = 0; k < 2; k++) {
		if (lists[k] == NULL || lists[k]->n == 0)
			continue;
		if ((err = crm_db_prepare(db, sql[k], &st)) != NULL)
			return err;
		for (i = 0; i < lists[k]->n; i++) {
			sqlite3_bind_int64(st, 1, id);
			sqlite3_bind_text(st, 2, lists[k]->v[i], -1,
			    SQLITE_STATIC);
			if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
				sqlite3_finalize(st);
				return crm_db_error(db, rc);
			}
			if (sqlite3_changes(db->sql) > 0)
				cJSON_AddItemToArray(out[k],
				    cJSON_CreateString(lists[k]->v[i]));
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
	return NULL;
}

/* The custom fields object with the changes applied (nulls removed). */
static void
merge_custom(cJSON *fields, const cJSON *custom)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, custom) {
		cJSON_DeleteItemFromObjectCaseSensitive(fields, v->string);
		if (!cJSON_IsNull(v))
			cJSON_AddItemToObject(fields, v->string,
			    cJSON_Duplicate(v, 1));
	}
}

static struct crm_error *
insert_row(struct crm_db *db, const struct changes *ch, sqlite3_int64 *id)
{
	struct crm_buf cols = CRM_BUF_INIT, qs = CRM_BUF_INIT;
	char now[CRM_TIME_LEN], *json;
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *fields = cJSON_CreateObject();
	size_t i;
	int n = 0;

	crm_buf_adds(&cols, "INSERT INTO contacts (");
	for (i = 0; i < NWFIELDS; i++) {
		if (!ch->set[i] || ch->val[i] == NULL ||
		    wfields[i].column == NULL)
			continue;
		crm_buf_addf(&cols, "%s, ", wfields[i].column);
		crm_buf_adds(&qs, "?, ");
	}
	crm_buf_adds(&cols, "fields, created_at, updated_at");
	crm_buf_adds(&qs, "?, ?, ?");
	merge_custom(fields, ch->custom);
	json = cJSON_PrintUnformatted(fields);
	crm_time_now(now);
	crm_buf_addf(&cols, ") VALUES (%s)", qs.buf);
	err = crm_db_prepare(db, crm_buf_str(&cols), &st);
	crm_buf_release(&qs);
	crm_buf_release(&cols);
	if (err != NULL)
		goto done;
	for (i = 0; i < NWFIELDS; i++)
		if (ch->set[i] && ch->val[i] != NULL &&
		    wfields[i].column != NULL)
			crm_db_bind_text(st, ++n, ch->val[i]);
	crm_db_bind_text(st, ++n, json);
	crm_db_bind_text(st, ++n, now);
	crm_db_bind_text(st, ++n, now);
	if ((err = crm_db_step_done(db, st)) == NULL)
		*id = sqlite3_last_insert_rowid(db->sql);
done:
	cJSON_free(json);
	cJSON_Delete(fields);
	return err;
}

static int
is_set(const struct changes *ch, const char *name)
{
	return ch->set[(size_t)(find_wfield(name) - wfields)];
}

static const char *
change_val(const struct changes *ch, const char *name)
{
	size_t i = (size_t)(find_wfield(name) - wfields);

	return ch->set[i] ? ch->val[i] : NULL;
}

struct crm_error *
crm_contact_add(struct crm_db *db, const cJSON *values, sqlite3_int64 *id)
{
	const char *kind, *name, *email;
	struct crm_error *err;
	struct changes ch;
	cJSON *rec = NULL, *added = cJSON_CreateArray();

	if ((err = prepare_changes(db, values, &ch)) != NULL)
		goto done;
	kind = change_val(&ch, "kind");
	name = change_val(&ch, "name");
	email = change_val(&ch, "email");
	if (kind != NULL && strcmp(kind, "company") == 0 &&
	    (name == NULL || *name == '\0'))
		err = crm_error_new(CRM_EXIT_FAIL, "a company needs a name");
	else if ((name == NULL || *name == '\0') && email == NULL)
		err = crm_error_new(CRM_EXIT_FAIL, "a contact needs a name or "
		    "an email");
	if (err == NULL)
		err = check_unique(db, "email", email, 0);
	if (err == NULL)
		err = check_unique(db, "external_id",
		    change_val(&ch, "external_id"), 0);
	if (err == NULL)
		err = insert_row(db, &ch, id);
	if (err == NULL)
		err = apply_tags(db, *id, &ch.tags, NULL, added, NULL);
	if (err == NULL)
		err = crm_contact_get(db, *id, &rec);
	if (err == NULL)
		err = crm_db_event(db, "contact", *id, "add", rec);
done:
	cJSON_Delete(rec);
	cJSON_Delete(added);
	changes_release(&ch);
	return err;
}

/* The stored text of field f in a record, as check_value() writes it. */
static const char *
record_text(const cJSON *rec, const struct wfield *f, char *buf, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec,
	    f->check == C_COMPANY ? "company_id" : f->name);

	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "1" : "0";
	if (cJSON_IsNumber(v)) {
		snprintf(buf, n, "%.0f", v->valuedouble);
		return buf;
	}
	return NULL;
}

static void
add_change(cJSON *changes, const char *name, const cJSON *old,
    const cJSON *new)
{
	cJSON *c = cJSON_AddObjectToObject(changes, name);

	cJSON_AddItemToObject(c, "old", old ? cJSON_Duplicate(old, 1) :
	    cJSON_CreateNull());
	cJSON_AddItemToObject(c, "new", new ? cJSON_Duplicate(new, 1) :
	    cJSON_CreateNull());
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The UPDATE for the plain columns that change; changes are noted. */
static void
update_columns(const struct changes *ch, const cJSON *old, struct crm_buf *sql,
    const char **bind, int *nbind, cJSON *changes)
{
	char buf[32];
	const char *was;
	cJSON *o, *n;
	size_t i;

	for (i = 0; i < NWFIELDS; i++) {
		if (!ch->set[i] || wfields[i].column == NULL)
			continue;
		was = record_text(old, &wfields[i], buf, sizeof(buf));
		if (same(was, ch->val[i]))
			continue;
		crm_buf_addf(sql, "%s = ?, ", wfields[i].column);
		bind[(*nbind)++] = ch->val[i];
		o = was ? cJSON_CreateString(was) : NULL;
		n = ch->val[i] ? cJSON_CreateString(ch->val[i]) : NULL;
		add_change(changes, wfields[i].name, o, n);
		cJSON_Delete(o);
		cJSON_Delete(n);
	}
}

/* Custom fields: the new JSON text when anything changes, else NULL. */
static char *
update_custom(const struct changes *ch, const cJSON *old, cJSON *changes)
{
	cJSON *fields, *v;
	const cJSON *was;
	char name[256];
	int changed = 0;

	fields = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(old,
	    "fields"), 1);
	if (!cJSON_IsObject(fields)) {
		cJSON_Delete(fields);
		fields = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(v, ch->custom) {
		was = cJSON_GetObjectItemCaseSensitive(fields, v->string);
		if (cJSON_Compare(was, v, 1) || (was == NULL &&
		    cJSON_IsNull(v)))
			continue;
		snprintf(name, sizeof(name), "fields.%s", v->string);
		add_change(changes, name, was, cJSON_IsNull(v) ? NULL : v);
		changed = 1;
	}
	merge_custom(fields, ch->custom);
	v = changed ? (cJSON *)cJSON_PrintUnformatted(fields) : NULL;
	cJSON_Delete(fields);
	return (char *)v;
}

/* Replace the tag set when "tags" was given. */
static struct crm_error *
update_tags(struct crm_db *db, sqlite3_int64 id, const struct changes *ch,
    const cJSON *old, cJSON *changes)
{
	struct crm_strv remove = CRM_STRV_INIT;
	cJSON *added, *removed, *c;
	const cJSON *t;
	struct crm_error *err;

	if (!is_set(ch, "tags"))
		return NULL;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(old, "tags"))
		if (cJSON_IsString(t) && !crm_strv_has(&ch->tags,
		    t->valuestring))
			crm_strv_push(&remove, t->valuestring);
	added = cJSON_CreateArray();
	removed = cJSON_CreateArray();
	err = apply_tags(db, id, &ch->tags, &remove, added, removed);
	if (err == NULL && (cJSON_GetArraySize(added) > 0 ||
	    cJSON_GetArraySize(removed) > 0)) {
		c = cJSON_AddObjectToObject(changes, "tags");
		cJSON_AddItemToObject(c, "added", added);
		cJSON_AddItemToObject(c, "removed", removed);
	} else {
		cJSON_Delete(added);
		cJSON_Delete(removed);
	}
	crm_strv_clear(&remove);
	return err;
}

static struct crm_error *
check_update(struct crm_db *db, sqlite3_int64 id, const struct changes *ch,
    const cJSON *old)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(old,
	    "kind")), *name;
	struct crm_error *err;

	if (is_set(ch, "kind"))
		kind = change_val(ch, "kind");
	name = is_set(ch, "name") ? change_val(ch, "name") :
	    cJSON_GetStringValue(cJSON_GetObjectItem(old, "name"));
	if (strcmp(kind, "company") == 0 && (name == NULL || *name == '\0'))
		return crm_error_new(CRM_EXIT_FAIL, "a company needs a name");
	if (is_set(ch, "company") && change_val(ch, "company") != NULL &&
	    strtoll(change_val(ch, "company"), NULL, 10) == id)
		return crm_error_new(CRM_EXIT_FAIL, "a contact cannot be its "
		    "own company");
	if ((err = check_unique(db, "email", change_val(ch, "email"), id)))
		return err;
	return check_unique(db, "external_id", change_val(ch, "external_id"),
	    id);
}

struct crm_error *
crm_contact_update(struct crm_db *db, sqlite3_int64 id, const cJSON *values,
    int *changed)
{
	struct crm_buf sql = CRM_BUF_INIT;
	const char *bind[NWFIELDS + 2];
	char now[CRM_TIME_LEN], *fields = NULL;
	struct crm_error *err;
	struct changes ch;
	sqlite3_stmt *st;
	cJSON *old = NULL, *changes = cJSON_CreateObject();
	int i, nbind = 0;

	if (changed != NULL)
		*changed = 0;
	if ((err = prepare_changes(db, values, &ch)) != NULL ||
	    (err = crm_contact_get(db, id, &old)) != NULL ||
	    (err = check_update(db, id, &ch, old)) != NULL)
		goto done;
	crm_buf_adds(&sql, "UPDATE contacts SET ");
	update_columns(&ch, old, &sql, bind, &nbind, changes);
	if ((fields = update_custom(&ch, old, changes)) != NULL) {
		crm_buf_adds(&sql, "fields = ?, ");
		bind[nbind++] = fields;
	}
	if ((err = update_tags(db, id, &ch, old, changes)) != NULL ||
	    cJSON_GetArraySize(changes) == 0)
		goto done;
	crm_time_now(now);
	bind[nbind++] = now;
	crm_buf_adds(&sql, "updated_at = ? WHERE id = ?");
	if ((err = crm_db_prepare(db, sql.buf, &st)) != NULL)
		goto done;
	for (i = 0; i < nbind; i++)
		crm_db_bind_text(st, i + 1, bind[i]);
	sqlite3_bind_int64(st, nbind + 1, id);
	if ((err = crm_db_step_done(db, st)) == NULL)
		err = crm_db_event(db, "contact", id, "update", changes);
	if (err == NULL && changed != NULL)
		*changed = 1;
done:
	crm_buf_release(&sql);
	cJSON_free(fields);
	cJSON_Delete(old);
	cJSON_Delete(changes);
	changes_release(&ch);
	return err;
}

struct crm_error *
crm_contact_delete(struct crm_db *db, sqlite3_int64 id)
{
	struct crm_error *err;
	sqlite3_stmt *st;
	cJSON *old;

	if ((err = crm_contact_get(db, id, &old)) != NULL)
		return err;
	err = crm_db_prepare(db, "DELETE FROM contacts WHERE id = ?", &st);
	if (err == NULL) {
		sqlite3_bind_int64(st, 1, id);
		err = crm_db_step_done(db, st);
	}
	if (err == NULL)
		err = crm_db_event(db, "contact", id, "delete", old);
	cJSON_Delete(old);
	return err;
}

static struct crm_error *
touch(struct crm_db *db, sqlite3_int64 id)
{
	char now[CRM_TIME_LEN];
	struct crm_error *err;
	sqlite3_stmt *st;

	err = crm_db_prepare(db, "UPDATE contacts SET updated_at = ?"
	    " WHERE id = ?", &st);
	if (err != NULL)
		return err;
	crm_time_now(now);
	sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	return crm_db_step_done(db, st);
}

struct crm_error *
crm_contact_tag(struct crm_db *db, sqlite3_int64 id,
    const struct crm_strv *add, const struct crm_strv *remove, int *changed)
{
	cJSON *changes = cJSON_CreateObject(), *added, *removed;
	struct crm_error *err = NULL;
	const char *why;
	size_t i;

	if (changed != NULL)
		*changed = 0;
	for (i = 0; add != NULL && i < add->n && err == NULL; i++)
		if ((why = crm_contact_tag_invalid(add->v[i])) != NULL)
			err = invalid("tag", add->v[i], why);
	if (err != NULL)
		goto done;
	added = cJSON_AddArrayToObject(changes, "added");
	removed = cJSON_AddArrayToObject(changes, "removed");
	if ((err = apply_tags(db, id, add, remove, added, removed)) != NULL)
		goto done;
	if (cJSON_GetArraySize(added) + cJSON_GetArraySize(removed) == 0)
		goto done;
	if ((err = touch(db, id)) == NULL)
		err = crm_db_event(db, "contact", id, "tag", changes);
	if (err == NULL && changed != NULL)
		*changed = 1;
done:
	cJSON_Delete(changes);
	return err;
}
