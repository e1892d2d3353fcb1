/*
 * One imported row checked and normalised: each value goes through the
 * check add and update use (crm_contact_check_value), after what only an
 * import needs: names joined from first and last, several addresses in
 * one cell, HubSpot's "Marketing Qualified Lead" stages, Google's
 * " ::: " lists, true/false unsubscribe columns, foreign timestamps, and
 * the custom fields written as JSON text.  No allocation per row once the
 * buffers have grown.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "crm_contact.h"
#include "crm_error.h"
#include "crm_import.h"
#include "crm_util.h"

struct imp_norm {
	struct crm_buf	 b[T_COUNT];	/* normalised values */
	struct crm_buf	 custom;	/* {"name":"value",...} */
	struct crm_buf	 tags;		/* NUL-separated */
	struct crm_buf	 other, tmp;
	const char	*raw[T_COUNT];	/* the row's values by target */
	const char	**names;	/* custom names of this row */
	size_t		 nnames, nalloc;
	char		 now[CRM_TIME_LEN];
};

struct imp_norm *
imp_norm_new(void)
{
	struct imp_norm *nm = crm_xcalloc(1, sizeof(*nm));

	crm_time_now(nm->now);
	return nm;
}

void
imp_norm_free(struct imp_norm *nm)
{
	size_t i;

	if (nm == NULL)
		return;
	for (i = 0; i < T_COUNT; i++)
		crm_buf_release(&nm->b[i]);
	crm_buf_release(&nm->custom);
	crm_buf_release(&nm->tags);
	crm_buf_release(&nm->other);
	crm_buf_release(&nm->tmp);
	free(nm->names);
	free(nm);
}

void
imp_json_string(struct crm_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s, *e = s + n;
	unsigned char c;

	crm_buf_grow(b, n + 2);
	crm_buf_addch(b, '"');
	for (; s < e; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		crm_buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		crm_buf_addch(b, '\\');
		switch (c) {
		case '"': case '\\': crm_buf_addch(b, c); break;
		case '\b': crm_buf_addch(b, 'b'); break;
		case '\f': crm_buf_addch(b, 'f'); break;
		case '\n': crm_buf_addch(b, 'n'); break;
		case '\r': crm_buf_addch(b, 'r'); break;
		case '\t': crm_buf_addch(b, 't'); break;
		default:
			crm_buf_adds(b, "u00");
			crm_buf_addch(b, hex[c >> 4]);
			crm_buf_addch(b, hex[c & 15]);
		}
	}
	crm_buf_add(b, run, (size_t)(e - run));
	crm_buf_addch(b, '"');
}

static int
has_custom(const struct imp_norm *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->nnames; i++)
		if (strcmp(nm->names[i], name) == 0)
			return 1;
	return 0;
}

/* Add a custom field (the first of a name wins); name must live on. */
static void
add_custom(struct imp_norm *nm, const char *name, const char *v, size_t n)
{
	if (has_custom(nm, name))
		return;
	if (nm->nnames == nm->nalloc) {
		nm->nalloc = nm->nalloc ? nm->nalloc * 2 : 16;
		nm->names = crm_xrealloc(nm->names, nm->nalloc *
		    sizeof(*nm->names));
	}
	nm->names[nm->nnames++] = name;
	crm_buf_addch(&nm->custom, nm->custom.len == 0 ? '{' : ',');
	imp_json_string(&nm->custom, name, strlen(name));
	crm_buf_addch(&nm->custom, ':');
	imp_json_string(&nm->custom, v, n);
}

static struct crm_error *
invalid(const char *field, const char *v, const char *why)
{
	return crm_error_new(CRM_EXIT_FAIL, "invalid %s \"%s\": %s", field, v,
	    why);
}

/* s[0..n) trimmed of ASCII blanks into *p, *n. */
static void
trim(const char **p, size_t *n)
{
	const char *s = *p;
	size_t k = *n;

	while (k > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, k--;
	while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' ||
	    s[k - 1] == '\r' || s[k - 1] == '\n'))
		k--;
	*p = s;
	*n = k;
}

/* Where the next item of a list ends: at ":::", or at one of seps. */
static size_t
item_len(const char *s, const char *seps, size_t *skip)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (strncmp(s + i, ":::", 3) == 0) {
			*skip = 3;
			return i;
		}
		if (strchr(seps, s[i]) != NULL) {
			*skip = 1;
			return i;
		}
	}
	*skip = 0;
	return i;
}

/*
 * A cell that may hold several values ("a@x ::: b@y", "a@x, b@y"): the
 * first goes to first (trimmed, NUL-terminated), the others, joined with
 * ";", to nm->other.
 */
static void
split_multi(struct imp_norm *nm, const char *s, const char *seps,
    struct crm_buf *first)
{
	const char *p;
	size_t len, n, skip;

	crm_buf_reset(first);
	crm_buf_reset(&nm->other);
	for (;;) {
		n = len = item_len(s, seps, &skip);
		p = s;
		trim(&p, &n);
		if (n > 0 && first->len == 0)
			crm_buf_add(first, p, n);
		else if (n > 0) {
			if (nm->other.len > 0)
				crm_buf_addch(&nm->other, ';');
			crm_buf_add(&nm->other, p, n);
		}
		if (skip == 0)
			break;
		s += len + skip;
	}
}

static int
days_in(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return d[m - 1];
}

/*
 * "2026-11-22T10:00:00Z" and "2026-11-22 10:00:00" (UTC, as
 * crm_time_parse() reads it) without the cost of mktime; 0 when s has
 * another form, for crm_time_parse() to try.
 */
static int
quick_time(const char *s, size_t n, char out[CRM_TIME_LEN])
{
	static const char pat[] = "dddd-dd-dd dd:dd:dd";
	int v[6], i, k = 0;

	if ((n != 19 && !(n == 20 && s[19] == 'Z')) ||
	    (s[10] != ' ' && s[10] != 'T'))
		return 0;
	for (i = 0; i < 19; i++) {
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    i != 10 && s[i] != pat[i])
			return 0;
	}
	for (i = 0; i < 19; i += 3) {
		v[k] = (s[i] - '0') * 10 + s[i + 1] - '0';
		if (k++ == 0) {
			v[0] = v[0] * 100 + (s[2] - '0') * 10 + s[3] - '0';
			i += 2;
		}
	}
	if (v[0] < 1000 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > days_in(v[0], v[1]) || v[3] > 23 || v[4] > 59 || v[5] > 59)
		return 0;
	memcpy(out, s, 19);
	out[10] = 'T';
	out[19] = 'Z';
	out[20] = '\0';
	return 1;
}

static struct crm_error *
check_time(const char *field, const char *s, struct crm_buf *out)
{
	char t[CRM_TIME_LEN];
	const char *p = s;
	size_t n = strlen(s);

	trim(&p, &n);
	crm_buf_reset(out);
	crm_buf_add(out, p, n);
	if (!quick_time(out->buf, n, t) && crm_time_parse(out->buf, t,
	    NULL) != 0)
		return invalid(field, s, "expected a time such as "
		    "2026-11-22T10:00:00Z");
	crm_buf_reset(out);
	crm_buf_add(out, t, CRM_TIME_LEN - 1);
	return NULL;
}

static int
parse_bool(const char *s, int *b)
{
	static const char *const yes[] = { "true", "yes", "1", "on", "y" };
	static const char *const no[] = { "false", "no", "0", "off", "n" };
	char w[8];
	size_t i, n = strlen(s);

	trim(&s, &n);
	if (n >= sizeof(w))
		return -1;
	memcpy(w, s, n);
	w[n] = '\0';
	for (i = 0; i < 5; i++) {
		if (strcasecmp(w, yes[i]) == 0)
			return *b = 1, 0;
		if (strcasecmp(w, no[i]) == 0)
			return *b = 0, 0;
	}
	return -1;
}

/*
 * HubSpot writes stages as labels ("Marketing Qualified Lead"): a stage
 * with blanks is lower-cased and its runs of blanks become "-".
 */
static const char *
stage_word(struct imp_norm *nm, const char *s)
{
	const char *p = s;
	size_t n = strlen(s), i;
	int blank = 0;

	trim(&p, &n);
	if (memchr(p, ' ', n) == NULL && memchr(p, '\t', n) == NULL)
		return s;
	crm_buf_reset(&nm->tmp);
	for (i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t') {
			blank = 1;
			continue;
		}
		if (blank)
			crm_buf_addch(&nm->tmp, '-');
		blank = 0;
		crm_buf_addch(&nm->tmp, tolower((unsigned char)p[i]));
	}
	return crm_buf_str(&nm->tmp);
}

/*
 * Tags: split on ";", "," and ":::"; Google's "* starred" loses its
 * "* "; blanks inside a tag become "-".  Each is checked as tag does.
 */
static struct crm_error *
parse_tags(struct imp_norm *nm, const char *s, struct imp_vals *out)
{
	const char *p, *why, *t;
	size_t len, n, skip, i, k;

	crm_buf_reset(&nm->tags);
	out->ntags = 0;
	for (;; s += len + skip) {
		n = len = item_len(s, ";,", &skip);
		p = s;
		trim(&p, &n);
		if (n >= 2 && p[0] == '*' && p[1] == ' ') {
			p += 2, n -= 2;
			trim(&p, &n);
		}
		crm_buf_reset(&nm->tmp);
		for (i = 0; i < n; i++) {
			if (p[i] == ' ' || p[i] == '\t') {
				if (i == 0 || (p[i - 1] != ' ' &&
				    p[i - 1] != '\t'))
					crm_buf_addch(&nm->tmp, '-');
			} else
				crm_buf_addch(&nm->tmp, p[i]);
		}
		t = crm_buf_str(&nm->tmp);
		if (*t != '\0' && (why = crm_contact_tag_invalid(t)) != NULL)
			return invalid("tag", t, why);
		/* Unique, in the order given. */
		for (i = 0, k = 0; *t != '\0' && k < out->ntags; k++) {
			if (strcmp(nm->tags.buf + i, t) == 0)
				break;
			i += strlen(nm->tags.buf + i) + 1;
		}
		if (*t != '\0' && k == out->ntags) {
			crm_buf_add(&nm->tags, t, nm->tmp.len + 1);
			out->ntags++;
		}
		if (skip == 0)
			break;
	}
	out->tags = nm->tags.buf;
	return NULL;
}

/*
 * A "fields" column: a JSON object whose members become custom fields,
 * after the columns of their own (which win).
 */
static struct crm_error *
fields_json(struct imp_norm *nm, const char *s)
{
	const cJSON *it;
	char num[32];
	cJSON *obj;
	size_t i, n;

	if ((obj = cJSON_Parse(s)) == NULL || !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return invalid("fields", s, "expected a JSON object");
	}
	cJSON_ArrayForEach(it, obj) {
		const char *v = it->valuestring;

		n = strlen(it->string);
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)it->string[i]) &&
			    it->string[i] != '_' && it->string[i] != '-')
				break;
		if (n == 0 || n > 64 || i < n) {
			cJSON_Delete(obj);
			return crm_error_new(CRM_EXIT_FAIL, "invalid custom "
			    "field name \"%s\" in fields", it->string);
		}
		if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.15g", it->valuedouble);
			v = num;
		} else if (cJSON_IsBool(it))
			v = cJSON_IsTrue(it) ? "true" : "false";
		else if (cJSON_IsNull(it))
			continue;
		else if (!cJSON_IsString(it)) {
			cJSON_Delete(obj);
			return crm_error_new(CRM_EXIT_FAIL, "custom field "
			    "\"%s\" in fields: expected a string", it->string);
		}
		if (has_custom(nm, it->string) ||
		    cJSON_GetObjectItemCaseSensitive(obj, it->string) != it)
			continue;	/* a column of its own, or a repeat */
		crm_buf_addch(&nm->custom, nm->custom.len == 0 ? '{' : ',');
		imp_json_string(&nm->custom, it->string, n);
		crm_buf_addch(&nm->custom, ':');
		imp_json_string(&nm->custom, v, strlen(v));
	}
	cJSON_Delete(obj);
	return NULL;
}

static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

/* A company name: one line of text, as a contact's name. */
static struct crm_error *
check_company(struct imp_norm *nm, const char *s)
{
	const char *p = s;
	size_t n = strlen(s), i;

	trim(&p, &n);
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return invalid("company", s, "control character");
	if (n > 1000)
		return invalid("company", s, "too long");
	crm_buf_reset(&nm->b[T_COMPANY]);
	crm_buf_add(&nm->b[T_COMPANY], p, n);
	return NULL;
}

/* The name: the full name, else first and last joined. */
static struct crm_error *
check_name(struct imp_norm *nm)
{
	const char *f = nm->raw[T_FIRST], *l = nm->raw[T_LAST];
	size_t fn, ln;

	if (nm->raw[T_NAME] != NULL)
		return crm_contact_check_value("name", nm->raw[T_NAME],
		    &nm->b[T_NAME]);
	if (f == NULL && l == NULL)
		return NULL;
	fn = f != NULL ? strlen(f) : 0;
	ln = l != NULL ? strlen(l) : 0;
	if (f != NULL)
		trim(&f, &fn);
	if (l != NULL)
		trim(&l, &ln);
	crm_buf_reset(&nm->tmp);
	crm_buf_add(&nm->tmp, f != NULL ? f : "", fn);
	if (fn > 0 && ln > 0)
		crm_buf_addch(&nm->tmp, ' ');
	crm_buf_add(&nm->tmp, l != NULL ? l : "", ln);
	return crm_contact_check_value("name", crm_buf_str(&nm->tmp),
	    &nm->b[T_NAME]);
}

/* An email or phone cell that may list several: the rest kept custom. */
static struct crm_error *
check_multi(struct imp_norm *nm, enum imp_target t, const char *field,
    const char *seps, const char *others)
{
	struct crm_error *err;

	split_multi(nm, nm->raw[t], seps, &nm->tmp);
	if ((err = crm_contact_check_value(field, crm_buf_str(&nm->tmp),
	    &nm->b[t])) != NULL)
		return err;
	if (nm->other.len > 0)
		add_custom(nm, others, nm->other.buf, nm->other.len);
	return NULL;
}

/* Sort the values of the row by target; custom ones straight to JSON. */
static struct crm_error *
gather(struct imp_norm *nm, struct imp_map *m, const struct imp_col *cols,
    const struct imp_row *row, const char **fields)
{
	const struct imp_col *c;
	size_t i;

	if (cols == NULL)
		imp_map_keys_seen(m, row->key, row->n);
	for (i = 0; i < row->n; i++) {
		c = cols != NULL ? &cols[i] : imp_map_key(m, row->key[i]);
		if (c == NULL)
			return crm_error_new(CRM_EXIT_FAIL, "more than 4096 "
			    "distinct keys in the input");
		switch (c->target) {
		case T_DROP:
		case T_IGNORE:
			break;
		case T_CUSTOM:
			if (row->len[i] > 0 || row->json[i])
				add_custom(nm, c->custom, row->val[i],
				    row->len[i]);
			break;
		case T_FIELDS:
			if (!blank(row->val[i]))
				*fields = row->val[i];
			break;
		default:
			if (!blank(row->val[i]) && nm->raw[c->target] == NULL)
				nm->raw[c->target] = row->val[i];
		}
	}
	return NULL;
}

/* The plain fields, each checked as add and update check it. */
static struct crm_error *
check_plain(struct imp_norm *nm, struct imp_vals *out)
{
	static const struct {
		enum imp_target	 t;
		const char	*field;
	} plain[] = {
		{ T_KIND, "kind" }, { T_TITLE, "title" }, { T_OWNER, "owner" },
		{ T_SOURCE, "source" }, { T_EXT, "external_id" },
		{ T_OPTIN, "opt_in" }, { T_UNSUB_AT, "unsubscribed_at" },
	};
	struct crm_error *err;
	size_t i;
	int b;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (nm->raw[plain[i].t] == NULL)
			continue;
		if ((err = crm_contact_check_value(plain[i].field,
		    nm->raw[plain[i].t], &nm->b[plain[i].t])) != NULL)
			return err;
		out->v[plain[i].t] = nm->b[plain[i].t].buf;
	}
	if (nm->raw[T_STAGE] != NULL) {
		if ((err = crm_contact_check_value("stage", stage_word(nm,
		    nm->raw[T_STAGE]), &nm->b[T_STAGE])) != NULL)
			return err;
		out->v[T_STAGE] = nm->b[T_STAGE].buf;
	}
	if (nm->raw[T_UNSUB] != NULL) {
		if (parse_bool(nm->raw[T_UNSUB], &b) != 0)
			return invalid("unsubscribed", nm->raw[T_UNSUB],
			    "use true or false");
		/* Unsubscribed wins over any opt-in on the same row. */
		if (b) {
			out->unsub = 1;
			out->v[T_OPTIN] = "0";
		}
	}
	return NULL;
}

struct crm_error *
imp_normalise(struct imp_norm *nm, struct imp_map *m,
    const struct imp_col *cols, const struct imp_row *row,
    struct imp_vals *out)
{
	static const enum imp_target times[] = { T_CREATED, T_UPDATED };
	static const char *const tnames[] = { "created_at", "updated_at" };
	struct crm_error *err;
	const char *fields = NULL, *kind;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(nm->raw, 0, sizeof(nm->raw));
	nm->nnames = 0;
	crm_buf_reset(&nm->custom);
	if ((err = gather(nm, m, cols, row, &fields)) != NULL ||
	    (err = check_plain(nm, out)) != NULL ||
	    (err = check_name(nm)) != NULL)
		return err;
	if (nm->raw[T_FIRST] != NULL || nm->raw[T_LAST] != NULL ||
	    nm->raw[T_NAME] != NULL)
		out->v[T_NAME] = nm->b[T_NAME].buf;
	if (nm->raw[T_EMAIL] != NULL) {
		if ((err = check_multi(nm, T_EMAIL, "email", ",;",
		    "other_emails")) != NULL)
			return err;
		out->v[T_EMAIL] = nm->b[T_EMAIL].buf;
	}
	if (nm->raw[T_PHONE] != NULL) {
		if ((err = check_multi(nm, T_PHONE, "phone", ";",
		    "other_phones")) != NULL)
			return err;
		out->v[T_PHONE] = nm->b[T_PHONE].buf;
	}
	if (nm->raw[T_COMPANY] != NULL) {
		if ((err = check_company(nm, nm->raw[T_COMPANY])) != NULL)
			return err;
		out->v[T_COMPANY] = nm->b[T_COMPANY].buf;
	}
	for (i = 0; i < 2; i++) {
		if (nm->raw[times[i]] == NULL)
			continue;
		if ((err = check_time(tnames[i], nm->raw[times[i]],
		    &nm->b[times[i]])) != NULL)
			return err;
		out->v[times[i]] = nm->b[times[i]].buf;
	}
	if (nm->raw[T_TAGS] != NULL &&
	    (err = parse_tags(nm, nm->raw[T_TAGS], out)) != NULL)
		return err;
	if (fields != NULL && (err = fields_json(nm, fields)) != NULL)
		return err;
	if (nm->custom.len > 0) {
		crm_buf_addch(&nm->custom, '}');
		out->custom = nm->custom.buf;
	}
	kind = out->v[T_KIND] != NULL ? out->v[T_KIND] : "person";
	out->company = strcmp(kind, "company") == 0;
	if (out->company && (out->v[T_NAME] == NULL || *out->v[T_NAME] == '\0'))
		return crm_error_new(CRM_EXIT_FAIL, "a company needs a name");
	if ((out->v[T_NAME] == NULL || *out->v[T_NAME] == '\0') &&
	    out->v[T_EMAIL] == NULL)
		return crm_error_new(CRM_EXIT_FAIL, "a contact needs a name or "
		    "an email");
	return NULL;
}
