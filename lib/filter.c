/*
 * The filter language (crm-filter(7)): a recursive-descent parser
 * (filter_parse.c) builds a small tree whose leaves are finished SQL
 * conditions with their bound values (filter_sql.c); the tree is then
 * written out as one SQL condition.  Here: what they share, binding,
 * and sort lists.
 *
 * Hostile input is bounded three ways: the expression's length, its
 * nesting (parentheses and "not"s, so the parser's recursion is bounded),
 * and an estimate of what SQLite's parser and expression tree need for
 * the SQL we write (SQLite refuses more than 1000 levels of expression
 * and overflows its parser stack at about 100 open constructs).  Whatever
 * compiles therefore also prepares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crm_error.h"
#include "crm_filter.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "filter_int.h"

int
filter_fail(struct crm_error **err, size_t pos, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT;
	va_list ap;

	if (*err != NULL)
		return -1;
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	*err = crm_error_new(CRM_EXIT_USAGE, "column %zu: %s", pos + 1,
	    crm_buf_str(&b));
	crm_buf_release(&b);
	return -1;
}

/* s[0..n) for a message: at most 40 bytes, not cut inside a character. */
const char *
filter_shorten(const char *s, size_t n, char buf[48])
{
	size_t k = n;

	if (k > 40) {
		k = 40;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	memcpy(buf, s, k);
	strcpy(buf + k, k < n ? "..." : "");
	return buf;
}

/* Refuse what no expression contains: huge, control bytes, bad UTF-8. */
struct crm_error *
filter_validate(const char *s, const char *what)
{
	struct crm_error *err = NULL;
	size_t i, n, bad = 0;
	unsigned char c;
	int ok;

	if ((n = strnlen(s, MAX_LEN + 1)) > MAX_LEN)
		return crm_error_new(CRM_EXIT_USAGE, "%s too long", what);
	/* Control bytes are ASCII: the first one before any bad byte. */
	ok = crm_utf8_check(s, n, &bad);
	for (i = 0; i < (ok ? n : bad); i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f) {
			filter_fail(&err, i, "control character 0x%02x", c);
			return err;
		}
	}
	if (!ok)
		filter_fail(&err, bad, "invalid UTF-8");
	return err;
}

/* Parameters */

void
filter_push(struct crm_filter *f, const struct param *v)
{
	if (f->n == f->alloc) {
		f->alloc = f->alloc ? f->alloc * 2 : 8;
		f->params = crm_xrealloc(f->params,
		    (size_t)f->alloc * sizeof(*f->params));
	}
	f->params[f->n] = *v;
	if (v->type == P_TEXT)
		f->params[f->n].s = crm_xstrdup(v->s);
	f->n++;
}

void
filter_push_text(struct crm_filter *f, const char *s)
{
	struct param v = { P_TEXT, 0, 0, (char *)s };

	filter_push(f, &v);
}

void
filter_release(struct crm_filter *f)
{
	int i;

	for (i = 0; i < f->n; i++)
		free(f->params[i].s);
	free(f->params);
	crm_buf_release(&f->sql);
}

/* Fields */

static int
isfieldchar(int c, int custom)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' ||
	    (custom ? c == '-' : c == '.');
}

static int
unknown(const struct crm_fieldset *fs, const char *name, size_t pos,
    struct crm_error **err)
{
	const char **names = crm_fieldset_names(fs);
	const char *s = crm_suggest(name, names, fs->n);
	char buf[48];

	if (s != NULL)
		filter_fail(err, pos, "unknown field \"%s\" (did you mean "
		    "\"%s\"?)", filter_shorten(name, strlen(name), buf), s);
	else
		filter_fail(err, pos, "unknown field \"%s\"",
		    filter_shorten(name, strlen(name), buf));
	free(names);
	return -1;
}

/* "fields.NAME": a custom field when the entity has them. */
static int
resolve_custom(const struct crm_fieldset *fs, struct cmp *c,
    struct crm_error **err)
{
	const char *s = c->name + 7;
	char buf[48];
	size_t n;

	if (fs->json == NULL)
		return unknown(fs, c->name, c->pos, err);
	for (; *s != '\0'; s++)
		if (!isfieldchar((unsigned char)*s, 1))
			break;
	if (*s != '\0' || c->name[7] == '\0')
		return filter_fail(err, c->pos, "invalid custom field name "
		    "\"%s\"", filter_shorten(c->name, strlen(c->name), buf));
	c->json = fs->json;
	c->type = CRM_FT_TEXT;
	n = strlen(c->name) + 4;
	c->path = crm_xmalloc(n);
	snprintf(c->path, n, "$.\"%s\"", c->name + 7);
	return 0;
}

/* Look up w[0..len) in fs; on failure *err names column pos + 1. */
int
filter_resolve(const struct crm_fieldset *fs, const char *w, size_t len,
    size_t pos, struct cmp *c, struct crm_error **err)
{
	char buf[48];
	size_t i;

	memset(c, 0, sizeof(*c));
	c->name = crm_xstrndup(w, len);
	c->pos = pos;
	for (i = 0; i < fs->n; i++)
		if (strcmp(fs->fields[i].name, c->name) == 0) {
			c->sql = fs->fields[i].sql;
			c->type = fs->fields[i].type;
			return 0;
		}
	if (strncmp(c->name, "fields.", 7) == 0)
		return resolve_custom(fs, c, err);
	for (i = 0; i < len; i++)
		if (!isfieldchar((unsigned char)w[i], 0))
			break;
	if (i < len || (w[0] >= '0' && w[0] <= '9') || w[0] == '.')
		return filter_fail(err, pos, "expected a field name, got "
		    "\"%s\"", filter_shorten(w, len, buf));
	return unknown(fs, c->name, pos, err);
}

void
filter_cmp_release(struct cmp *c)
{
	free(c->name);
	free(c->path);
}

const char *
crm_filter_sql(const struct crm_filter *f)
{
	return crm_buf_str(&f->sql);
}

int
crm_filter_nparams(const struct crm_filter *f)
{
	return f->n;
}

int
crm_filter_bind(const struct crm_filter *f, sqlite3_stmt *st, int first)
{
	const struct param *v;
	int i, rc;

	for (i = 0; i < f->n; i++) {
		v = &f->params[i];
		if (v->type == P_INT)
			rc = sqlite3_bind_int64(st, first + i, v->i);
		else if (v->type == P_REAL)
			rc = sqlite3_bind_double(st, first + i, v->d);
		else
			rc = sqlite3_bind_text(st, first + i, v->s, -1,
			    SQLITE_TRANSIENT);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

struct crm_filter *
crm_filter_new_int(const char *sql, sqlite3_int64 v)
{
	struct crm_filter *f = crm_xcalloc(1, sizeof(*f));
	struct param p = { P_INT, v, 0, NULL };

	crm_buf_adds(&f->sql, sql);
	filter_push(f, &p);
	f->stack = LEAF_STACK;
	f->height = LEAF_HEIGHT;
	return f;
}

void
crm_filter_free(struct crm_filter *f)
{
	if (f == NULL)
		return;
	filter_release(f);
	free(f);
}

/* One "-name" of a sort list at spec + *i into b. */
static int
sort_item(const char *spec, size_t *i, const struct crm_fieldset *fs,
    struct crm_buf *b, struct crm_error **err)
{
	size_t start;
	int desc = 0;
	struct cmp c;

	if (spec[*i] == '-' || spec[*i] == '+')
		desc = spec[(*i)++] == '-';
	start = *i;
	*i += strcspn(spec + *i, "," BLANKS);
	if (*i == start)
		return filter_fail(err, start, "expected a field name");
	if (filter_resolve(fs, spec + start, *i - start, start, &c, err) != 0)
		goto fail;
	if (c.type == CRM_FT_SET || c.type == CRM_FT_NAMED) {
		filter_fail(err, start, "cannot sort by \"%s\"", c.name);
		goto fail;
	}
	if (c.path != NULL)
		crm_buf_addf(b, "json_extract(%s, '%s')", c.json, c.path);
	else
		crm_buf_adds(b, c.sql);
	crm_buf_adds(b, desc ? " DESC, " : " ASC, ");
	filter_cmp_release(&c);
	return 0;
fail:
	filter_cmp_release(&c);
	return -1;
}

struct crm_error *
crm_sort_compile(const char *spec, const struct crm_fieldset *fs,
    const char *tiebreak, char **sql)
{
	struct crm_buf b = CRM_BUF_INIT;
	struct crm_error *err;
	size_t i = 0;
	char buf[48];

	*sql = NULL;
	if (spec == NULL)
		spec = "";
	if ((err = filter_validate(spec, "sort list")) != NULL)
		return err;
	i = strspn(spec, BLANKS);
	while (spec[i] != '\0') {
		if (sort_item(spec, &i, fs, &b, &err) != 0)
			goto fail;
		i += strspn(spec + i, BLANKS);
		if (spec[i] == '\0')
			break;
		if (spec[i] != ',') {
			filter_fail(&err, i, "unexpected \"%s\"",
			    filter_shorten(spec + i,
			    strcspn(spec + i, "," BLANKS), buf));
			goto fail;
		}
		i++;
		i += strspn(spec + i, BLANKS);
		if (spec[i] == '\0') {
			filter_fail(&err, i, "expected a field name");
			goto fail;
		}
	}
	if (tiebreak != NULL)
		crm_buf_adds(&b, tiebreak);
	else if (b.len >= 2)
		b.buf[b.len -= 2] = '\0';
	*sql = crm_buf_detach(&b);
	return NULL;
fail:
	crm_buf_release(&b);
	return err;
}

const char **
crm_fieldset_names(const struct crm_fieldset *fs)
{
	const char **v = crm_xcalloc(fs->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < fs->n; i++)
		v[i] = fs->fields[i].name;
	return v;
}

struct crm_error *
crm_list_compile(const char *where, const char *sort,
    const struct crm_fieldset *wfs, const struct crm_fieldset *sfs,
    const struct crm_filter_scope *scope, const char *tiebreak,
    struct crm_filter **f, char **order)
{
	struct crm_error *err;

	*f = NULL;
	*order = NULL;
	if ((err = crm_filter_compile_in(where ? where : "", wfs, scope,
	    f)) != NULL)
		return crm_error_prefix(err, "--where");
	if ((err = crm_sort_compile(sort ? sort : "", sfs, tiebreak,
	    order)) != NULL) {
		crm_filter_free(*f);
		*f = NULL;
		return crm_error_prefix(err, "--sort");
	}
	return NULL;
}
