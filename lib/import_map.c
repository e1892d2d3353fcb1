/*
 * Which contact field each input column becomes: --map first, then the
 * names the usual exports use (HubSpot, Salesforce, Google Contacts,
 * Outlook, Mailchimp, Zoho, and crm's own), compared without regard to
 * case, blanks and punctuation; the rest become custom fields.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_import.h"
#include "crm_util.h"

#define MAX_KEYS	4096
#define INT_MAX_RANK	1000000

/* Names as they are compared: lower-case letters and digits only. */
static const struct {
	const char	*key;
	enum imp_target	 t;
} known[] = {
	/* The first of the names a header has wins its field. */
	{ "name", T_NAME }, { "fullname", T_NAME }, { "displayname", T_NAME },
	{ "contactname", T_NAME }, { "contact", T_NAME },
	{ "firstname", T_FIRST }, { "givenname", T_FIRST },
	{ "first", T_FIRST }, { "fname", T_FIRST }, { "forename", T_FIRST },
	{ "lastname", T_LAST }, { "familyname", T_LAST }, { "surname", T_LAST },
	{ "last", T_LAST }, { "lname", T_LAST },
	{ "email", T_EMAIL }, { "emailaddress", T_EMAIL },
	{ "email1value", T_EMAIL }, { "primaryemail", T_EMAIL },
	{ "emailaddress1", T_EMAIL }, { "workemail", T_EMAIL },
	{ "mail", T_EMAIL },
	{ "phone", T_PHONE }, { "phonenumber", T_PHONE },
	{ "businessphone", T_PHONE }, { "workphone", T_PHONE },
	{ "mobilephone", T_PHONE }, { "mobile", T_PHONE },
	{ "mobilephonenumber", T_PHONE }, { "primaryphone", T_PHONE },
	{ "telephone", T_PHONE }, { "phone1value", T_PHONE },
	{ "homephone", T_PHONE },
	{ "company", T_COMPANY }, { "companyname", T_COMPANY },
	{ "organization", T_COMPANY }, { "organisation", T_COMPANY },
	{ "organizationname", T_COMPANY }, { "organization1name", T_COMPANY },
	{ "accountname", T_COMPANY }, { "account", T_COMPANY },
	{ "jobtitle", T_TITLE }, { "title", T_TITLE },
	{ "organizationtitle", T_TITLE }, { "organization1title", T_TITLE },
	{ "position", T_TITLE },
	{ "stage", T_STAGE }, { "lifecyclestage", T_STAGE },
	{ "owner", T_OWNER }, { "contactowner", T_OWNER },
	{ "leadowner", T_OWNER }, { "recordowner", T_OWNER },
	{ "hubspotowner", T_OWNER }, { "hubspotownerid", T_OWNER },
	{ "ownername", T_OWNER }, { "ownerid", T_OWNER },
	{ "source", T_SOURCE }, { "leadsource", T_SOURCE },
	{ "originalsource", T_SOURCE }, { "hsanalyticssource", T_SOURCE },
	{ "contactsource", T_SOURCE },
	{ "externalid", T_EXT }, { "recordid", T_EXT }, { "hsobjectid", T_EXT },
	{ "contactid", T_EXT }, { "leadid", T_EXT },
	{ "kind", T_KIND },
	{ "tags", T_TAGS }, { "tag", T_TAGS }, { "hstag", T_TAGS },
	{ "labels", T_TAGS }, { "categories", T_TAGS },
	{ "groupmembership", T_TAGS },
	{ "optin", T_OPTIN }, { "emailoptin", T_OPTIN },
	{ "marketingoptin", T_OPTIN }, { "subscribed", T_OPTIN },
	{ "unsubscribed", T_UNSUB }, { "unsubscribedfromallemail", T_UNSUB },
	{ "emailoptout", T_UNSUB }, { "hasoptedoutofemail", T_UNSUB },
	{ "hsemailoptout", T_UNSUB }, { "optedout", T_UNSUB },
	{ "donotemail", T_UNSUB },
	{ "unsubscribedat", T_UNSUB_AT }, { "unsubtime", T_UNSUB_AT },
	{ "unsubscribeddate", T_UNSUB_AT },
	{ "createdat", T_CREATED }, { "createdate", T_CREATED },
	{ "createddate", T_CREATED }, { "createdtime", T_CREATED },
	{ "datecreated", T_CREATED },
	{ "updatedat", T_UPDATED }, { "lastmodifieddate", T_UPDATED },
	{ "lastmodified", T_UPDATED }, { "modifiedtime", T_UPDATED },
	{ "lastmodifiedtime", T_UPDATED },
	{ "companyid", T_IGNORE },
	{ "fields", T_FIELDS },
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

/* Field names for --map, in enum order from T_KIND. */
static const char *const field_names[] = {
	"kind", "name", "first_name", "last_name", "email", "phone",
	"company", "title", "stage", "owner", "source", "external_id",
	"tags", "opt_in", "unsubscribed", "unsubscribed_at", "created_at",
	"updated_at", "fields", NULL
};

struct imp_map {
	struct imp_col	*user;		/* --map items */
	size_t		 nuser;
	int		 ignore_unknown;
	struct imp_col	*cols;		/* CSV: one per header column */
	size_t		 ncols;
	struct imp_col	*keys;		/* JSONL: one per key seen */
	size_t		 nkeys, kalloc;
	int		 taken[T_COUNT]; /* JSONL: fields given a key */
	int		 crm_export;	/* JSONL: "id" is crm's own */
	int		 id_decided;
};

static void
norm_key(const char *s, char *out, size_t n)
{
	size_t j = 0;

	for (; *s != '\0' && j + 1 < n; s++)
		if (isalnum((unsigned char)*s))
			out[j++] = (char)tolower((unsigned char)*s);
	out[j] = '\0';
}

static int
known_index(const char *name)
{
	char k[64];
	size_t i;

	if (strlen(name) >= sizeof(k))
		return -1;
	norm_key(name, k, sizeof(k));
	for (i = 0; i < NKNOWN; i++)
		if (strcmp(known[i].key, k) == 0)
			return (int)i;
	return -1;
}

/* A name of [A-Za-z0-9_-]+ is kept as it is. */
static int
plain_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/*
 * A custom field name from a column: "fields.NAME" keeps NAME when it is
 * plain; otherwise lower case, runs of anything but [a-z0-9_-] become
 * "_", "_" trimmed at both ends; "column_N" when nothing is left.
 */
static char *
custom_from(const char *column, size_t index)
{
	struct crm_buf b = CRM_BUF_INIT;
	const char *s = column;
	int run = 0;

	if (strncasecmp(s, "fields.", 7) == 0) {
		s += 7;
		if (plain_name(s))
			return crm_xstrdup(s);
	}
	for (; *s != '\0' && b.len < 64; s++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);

		if ((c < 0x80 && isalnum(c)) || c == '_' || c == '-') {
			if (run && b.len > 0)
				crm_buf_addch(&b, '_');
			run = 0;
			crm_buf_addch(&b, c);
		} else
			run = 1;
	}
	while (b.len > 0 && b.buf[b.len - 1] == '_')
		b.buf[--b.len] = '\0';
	if (b.len == 0)
		crm_buf_addf(&b, "column_%zu", index + 1);
	return crm_buf_detach(&b);
}

/* The target a --map field names; -1 when none. */
static int
parse_field(const char *f, char **custom)
{
	size_t i;

	*custom = NULL;
	if (strcmp(f, "-") == 0)
		return T_DROP;
	if (strncmp(f, "fields.", 7) == 0 && plain_name(f + 7)) {
		*custom = crm_xstrdup(f + 7);
		return T_CUSTOM;
	}
	for (i = 0; field_names[i] != NULL; i++)
		if (strcmp(field_names[i], f) == 0)
			return T_KIND + (int)i;
	return -1;
}

static struct crm_error *
bad_field(const char *f)
{
	const char *hint;
	size_t n = 0;

	while (field_names[n] != NULL)
		n++;
	if (strncmp(f, "fields.", 7) == 0)
		return crm_error_new(CRM_EXIT_USAGE, "--map: invalid custom "
		    "field name \"%s\": use letters, digits, \"_\" and "
		    "\"-\"", f);
	if ((hint = crm_suggest(f, field_names, n)) != NULL)
		return crm_error_new(CRM_EXIT_USAGE, "--map: unknown field "
		    "\"%s\" (did you mean \"%s\"?)", f, hint);
	return crm_error_new(CRM_EXIT_USAGE, "--map: unknown field \"%s\" "
	    "(use a contact field, fields.NAME or - to drop)", f);
}

/* One item "Column=field" (split at the last "="). */
static struct crm_error *
add_user(struct imp_map *m, const char *item)
{
	const char *eq = strrchr(item, '=');
	struct imp_col *c;
	char *col, *field;
	int t;

	if (eq == NULL || eq == item || eq[1] == '\0')
		return crm_error_new(CRM_EXIT_USAGE, "--map: expected "
		    "COLUMN=FIELD, got \"%s\"", item);
	col = crm_trim(crm_xstrndup(item, (size_t)(eq - item)));
	field = crm_trim(crm_xstrdup(eq + 1));
	m->user = crm_xrealloc(m->user, (m->nuser + 1) * sizeof(*m->user));
	c = &m->user[m->nuser];
	memset(c, 0, sizeof(*c));
	if ((t = parse_field(field, &c->custom)) < 0) {
		struct crm_error *err = bad_field(field);

		free(col);
		free(field);
		return err;
	}
	free(field);
	c->column = col;
	c->target = (enum imp_target)t;
	c->how = t == T_DROP ? "dropped" : "mapped";
	m->nuser++;
	return NULL;
}

/*
 * The items of the --map options: "a=x,b=y"; a piece without "=" belongs
 * to the next one, so that a column name may hold a comma.
 */
struct imp_map *
imp_map_new(const struct crm_strv *map, int ignore_unknown,
    struct crm_error **err)
{
	struct imp_map *m = crm_xcalloc(1, sizeof(*m));
	struct crm_buf item = CRM_BUF_INIT;
	const char *p, *comma;
	size_t i;

	*err = NULL;
	m->ignore_unknown = ignore_unknown;
	for (i = 0; map != NULL && i < map->n && *err == NULL; i++) {
		crm_buf_reset(&item);
		for (p = map->v[i]; *err == NULL; p = comma + 1) {
			comma = strchr(p, ',');
			crm_buf_add(&item, p, comma ? (size_t)(comma - p) :
			    strlen(p));
			if (comma != NULL && strchr(crm_buf_str(&item), '=') ==
			    NULL) {
				crm_buf_addch(&item, ',');
				continue;
			}
			*err = add_user(m, crm_buf_str(&item));
			crm_buf_reset(&item);
			if (comma == NULL)
				break;
		}
	}
	crm_buf_release(&item);
	if (*err != NULL) {
		imp_map_free(m);
		return NULL;
	}
	return m;
}

static void
col_release(struct imp_col *c)
{
	free(c->column);
	free(c->custom);
}

void
imp_map_free(struct imp_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nuser; i++)
		col_release(&m->user[i]);
	for (i = 0; i < m->ncols; i++)
		col_release(&m->cols[i]);
	for (i = 0; i < m->nkeys; i++)
		col_release(&m->keys[i]);
	free(m->user);
	free(m->cols);
	free(m->keys);
	free(m);
}

static const struct imp_col *
find_user(const struct imp_map *m, const char *column)
{
	size_t i;

	for (i = 0; i < m->nuser; i++)
		if (strcasecmp(m->user[i].column, column) == 0)
			return &m->user[i];
	return NULL;
}

/* Whether a header makes "id" crm's own id (a crm export). */
static int
crm_export(const char *const *names, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		if ((k = known_index(names[i])) >= 0 &&
		    (known[k].t == T_KIND || known[k].t == T_IGNORE ||
		    strcmp(known[k].key, "externalid") == 0 ||
		    strcmp(known[k].key, "createdat") == 0))
			return 1;
	return 0;
}

/* Map one column by itself; rank is its claim on the field (lower wins). */
static void
map_one(const struct imp_map *m, const char *name, int export,
    struct imp_col *c, int *rank)
{
	const struct imp_col *u = find_user(m, name);
	int k;

	memset(c, 0, sizeof(*c));
	c->column = crm_xstrdup(name);
	*rank = INT_MAX_RANK;
	if (u != NULL) {
		c->target = u->target;
		c->custom = u->custom ? crm_xstrdup(u->custom) : NULL;
		c->how = u->how;
		*rank = -1;
	} else if (strncasecmp(name, "fields.", 7) == 0) {
		c->target = T_CUSTOM;
		c->how = "custom";
	} else if (strcasecmp(name, "id") == 0) {
		c->target = export ? T_IGNORE : T_EXT;
		c->how = export ? "ignored" : "recognised";
		*rank = (int)NKNOWN;
	} else if ((k = known_index(name)) >= 0) {
		c->target = known[k].t;
		c->how = c->target == T_IGNORE ? "ignored" : "recognised";
		*rank = k;
	} else {
		c->target = m->ignore_unknown ? T_DROP : T_CUSTOM;
		c->how = m->ignore_unknown ? "dropped" : "custom";
	}
}

static int
custom_taken(const struct imp_col *cols, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cols[i].target == T_CUSTOM && cols[i].custom != NULL &&
		    strcmp(cols[i].custom, name) == 0)
			return 1;
	return 0;
}

/* Give c its custom field name, unique among cols[0..n). */
static void
name_custom(struct imp_col *c, const struct imp_col *cols, size_t n,
    size_t index)
{
	struct crm_buf b = CRM_BUF_INIT;
	char *base;
	int k;

	if (c->custom == NULL)
		c->custom = custom_from(c->column, index);
	if (!custom_taken(cols, n, c->custom))
		return;
	base = c->custom;
	for (k = 2; ; k++) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "%s_%d", base, k);
		if (!custom_taken(cols, n, b.buf))
			break;
	}
	free(base);
	c->custom = crm_buf_detach(&b);
}

/* A column that loses its field to a better one is kept as custom. */
static void
demote(struct imp_map *m, struct imp_col *c)
{
	c->target = m->ignore_unknown ? T_DROP : T_CUSTOM;
	c->how = m->ignore_unknown ? "dropped" : "custom";
}

struct crm_error *
imp_map_header(struct imp_map *m, const char *const *names, size_t n,
    const struct imp_col **cols)
{
	int export = crm_export(names, n), *rank;
	size_t i, j, best[T_COUNT];

	m->cols = crm_xcalloc(n ? n : 1, sizeof(*m->cols));
	rank = crm_xcalloc(n ? n : 1, sizeof(*rank));
	for (i = 0; i < T_COUNT; i++)
		best[i] = n;
	for (i = 0; i < n; i++, m->ncols++) {
		map_one(m, names[i], export, &m->cols[i], &rank[i]);
		j = m->cols[i].target;
		if (j <= T_IGNORE)
			continue;
		if (best[j] < n && rank[i] < 0 && rank[best[j]] < 0) {
			m->ncols++;
			free(rank);
			return crm_error_new(CRM_EXIT_USAGE, "--map: columns "
			    "\"%s\" and \"%s\" both map to %s", names[best[j]],
			    names[i], field_names[j - T_KIND]);
		}
		if (best[j] == n || rank[i] < rank[best[j]]) {
			if (best[j] < n)
				demote(m, &m->cols[best[j]]);
			best[j] = i;
		} else
			demote(m, &m->cols[i]);
	}
	free(rank);
	for (i = 0; i < m->nuser; i++) {
		for (j = 0; j < n; j++)
			if (strcasecmp(m->user[i].column, names[j]) == 0)
				break;
		if (j == n) {
			const char *hint = crm_suggest(m->user[i].column,
			    names, n);

			return crm_error_new(CRM_EXIT_USAGE, "--map: no column "
			    "\"%s\" in the input%s%s%s", m->user[i].column,
			    hint ? " (did you mean \"" : "", hint ? hint : "",
			    hint ? "\"?)" : "");
		}
	}
	for (i = 0; i < n; i++)
		if (m->cols[i].target == T_CUSTOM)
			name_custom(&m->cols[i], m->cols, i, i);
	*cols = m->cols;
	return NULL;
}

const struct imp_col *
imp_map_key(struct imp_map *m, const char *key)
{
	struct imp_col *c;
	size_t i;
	int rank;

	for (i = 0; i < m->nkeys; i++)
		if (strcmp(m->keys[i].column, key) == 0)
			return &m->keys[i];
	if (m->nkeys == MAX_KEYS)
		return NULL;
	if (m->nkeys == m->kalloc) {
		m->kalloc = m->kalloc ? m->kalloc * 2 : 32;
		m->keys = crm_xrealloc(m->keys, m->kalloc * sizeof(*m->keys));
	}
	c = &m->keys[m->nkeys];
	map_one(m, key, m->crm_export, c, &rank);
	if (c->target > T_IGNORE) {
		if (m->taken[c->target])
			demote(m, c);
		else
			m->taken[c->target] = 1;
	}
	if (c->target == T_CUSTOM)
		name_custom(c, m->keys, m->nkeys, m->nkeys);
	m->nkeys++;
	return c;
}

void
imp_map_keys_seen(struct imp_map *m, const char *const *keys, size_t n)
{
	if (m->id_decided)
		return;
	m->crm_export = crm_export(keys, n);
	m->id_decided = 1;
}

const char *
imp_col_field(const struct imp_col *c, struct crm_buf *tmp)
{
	if (c->target == T_CUSTOM) {
		crm_buf_reset(tmp);
		crm_buf_addf(tmp, "fields.%s", c->custom);
		return tmp->buf;
	}
	if (c->target < T_KIND)
		return NULL;
	return field_names[c->target - T_KIND];
}

static int
emit(const struct imp_col *c, int (*fn)(const cJSON *, void *), void *arg)
{
	struct crm_buf tmp = CRM_BUF_INIT;
	const char *field = imp_col_field(c, &tmp);
	cJSON *rec = cJSON_CreateObject();
	int stop;

	cJSON_AddStringToObject(rec, "column", c->column);
	if (field != NULL)
		cJSON_AddStringToObject(rec, "field", field);
	else
		cJSON_AddNullToObject(rec, "field");
	cJSON_AddStringToObject(rec, "how", c->how);
	stop = fn(rec, arg);
	cJSON_Delete(rec);
	crm_buf_release(&tmp);
	return stop;
}

struct crm_error *
crm_import_show_mapping(FILE *fp, const struct crm_import_opts *o,
    int (*fn)(const cJSON *, void *), void *arg)
{
	const struct imp_col *cols;
	const char *const *names;
	struct crm_error *err = NULL;
	struct imp_reader *rd;
	struct imp_map *m;
	struct imp_row row;
	size_t i, n;
	int rc, k;

	if ((m = imp_map_new(o->map, o->ignore_unknown, &err)) == NULL)
		return err;
	rd = imp_reader_new(fp, o);
	rc = imp_reader_next(rd, &row, &err);
	if (rc == -2)
		goto done;
	crm_error_free(err);
	err = NULL;
	if (imp_reader_is_csv(rd)) {
		names = imp_reader_header(rd, &n);
		if ((err = imp_map_header(m, names, n, &cols)) != NULL)
			goto done;
		for (i = 0; i < n && !emit(&cols[i], fn, arg); i++)
			;
		goto done;
	}
	/* JSON Lines: the keys of the first records, in order of appearance. */
	for (k = 0; rc != 0 && rc != -2 && k < 1000; k++) {
		if (rc > 0) {
			imp_map_keys_seen(m, row.key, row.n);
			for (i = 0; i < row.n; i++)
				imp_map_key(m, row.key[i]);
		}
		rc = imp_reader_next(rd, &row, &err);
		crm_error_free(err);
		err = NULL;
	}
	for (i = 0; i < m->nkeys && !emit(&m->keys[i], fn, arg); i++)
		;
done:
	imp_reader_free(rd);
	imp_map_free(m);
	return err;
}
