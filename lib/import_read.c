/*
 * Rows for import: CSV (RFC 4180, any delimiter) and JSON Lines, read in
 * one pass through a buffer that holds one row at most, so that memory
 * stays constant whatever the file size.  Every row keeps the line it
 * began on and its raw bytes (for --rejects).
 *
 * CSV is split on the raw bytes and converted afterwards: cp1252 and
 * latin1 are ASCII-compatible, so quotes, delimiters and line breaks are
 * the same bytes before and after conversion.  CR, LF and CR LF each end
 * a line; a completely empty line is skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_charset.h"
#include "crm_error.h"
#include "crm_import.h"
#include "crm_stream.h"
#include "crm_util.h"

#define CHUNK		(256 * 1024)
#define MAX_COLUMNS	10000
#define MAX_DEPTH	16

struct imp_reader {
	FILE		*fp;
	char		*name;
	enum crm_charset cs;
	int		 delim;
	enum crm_input	 kind;
	int		 started;
	char		*buf;		/* the input window */
	size_t		 alloc, pos, len, start;
	int		 eof, ioerr;
	off_t		 bytes;
	long		 line;		/* the physical line at pos */
	int		 last_cr;	/* the byte before pos was a CR */
	int		 lost;		/* the row outgrew the window */
	struct crm_buf	 fb;		/* values, each NUL-terminated */
	struct crm_buf	 cb;		/* converted values */
	struct crm_buf	 kb;		/* JSONL: flattened keys */
	struct crm_buf	 nb;		/* a column name for a message */
	size_t		*off, *koff, *flen;
	const char	**val, **key;
	int		*json;
	size_t		 nf, nalloc;
	struct crm_strv	 header;
	struct crm_buf	 header_raw;
	int		 have_header;
	char		*err;		/* the row's first fault, or NULL */
};

struct imp_reader *
imp_reader_new(FILE *fp, const struct crm_import_opts *o)
{
	struct imp_reader *r = crm_xcalloc(1, sizeof(*r));

	r->fp = fp;
	r->name = crm_xstrdup(o->name != NULL ? o->name : "stdin");
	r->cs = o->charset;
	r->delim = o->delimiter ? o->delimiter : ',';
	r->kind = o->input;
	r->alloc = CHUNK;
	r->buf = crm_xmalloc(r->alloc + 1);
	r->line = 1;
	return r;
}

void
imp_reader_free(struct imp_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->name);
	crm_buf_release(&r->fb);
	crm_buf_release(&r->cb);
	crm_buf_release(&r->kb);
	crm_buf_release(&r->nb);
	free(r->off);
	free(r->koff);
	free(r->flen);
	free(r->val);
	free(r->key);
	free(r->json);
	crm_strv_clear(&r->header);
	crm_buf_release(&r->header_raw);
	free(r->err);
	free(r);
}

/*
 * Read more input, keeping the row from r->start on (or from pos when the
 * row outgrew IMPORT_RECORD_MAX: its raw text is then lost).  Returns the
 * number of bytes added, 0 at the end or after a read error.
 */
static size_t
refill(struct imp_reader *r)
{
	size_t keep = r->start, n;

	if (r->eof)
		return 0;
	if (r->pos - r->start > IMPORT_RECORD_MAX) {
		keep = r->pos;
		r->lost = 1;
	}
	memmove(r->buf, r->buf + keep, r->len - keep);
	r->len -= keep;
	r->pos -= keep;
	r->start -= keep;
	if (r->alloc - r->len < CHUNK) {
		r->alloc = r->len + CHUNK;
		r->buf = crm_xrealloc(r->buf, r->alloc + 1);
	}
	n = fread(r->buf + r->len, 1, r->alloc - r->len, r->fp);
	if (n == 0) {
		r->eof = 1;
		if (ferror(r->fp))
			r->ioerr = errno != 0 ? errno : EIO;
	}
	r->len += n;
	r->buf[r->len] = '\0';
	r->bytes += (off_t)n;
	return n;
}

/* The byte at pos, refilling as needed; -1 at the end. */
static int
peek(struct imp_reader *r)
{
	if (r->pos == r->len && refill(r) == 0)
		return -1;
	return (unsigned char)r->buf[r->pos];
}

static void
fault(struct imp_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The name of value i for messages: its column or key, quoted. */
static const char *
colname(struct imp_reader *r, size_t i)
{
	crm_buf_reset(&r->nb);
	if (r->kind == CRM_IN_JSONL && i <= r->nf && i < r->nalloc)
		crm_buf_addf(&r->nb, "key \"%s\"", r->kb.buf + r->koff[i]);
	else if (r->have_header && i < r->header.n)
		crm_buf_addf(&r->nb, "column \"%s\"", r->header.v[i]);
	else
		crm_buf_addf(&r->nb, "column %zu", i + 1);
	return r->nb.buf;
}

/* Note the row's first fault; later ones are not worth a line. */
static void
fault(struct imp_reader *r, const char *fmt, ...)
{
	struct crm_buf b = CRM_BUF_INIT;
	va_list ap;

	if (r->err != NULL)
		return;
	va_start(ap, fmt);
	crm_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	r->err = crm_buf_detach(&b);
}

/* Count the line breaks in s[0..n): CR, LF and CR LF are one each. */
static void
count_lines(struct imp_reader *r, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || (s[i] == '\n' && !r->last_cr))
			r->line++;
		r->last_cr = s[i] == '\r';
	}
}

/* Start a new value in fb. */
static void
field_begin(struct imp_reader *r)
{
	if (r->nf == r->nalloc) {
		r->nalloc = r->nalloc ? r->nalloc * 2 : 32;
		r->off = crm_xrealloc(r->off, r->nalloc * sizeof(*r->off));
		r->koff = crm_xrealloc(r->koff, r->nalloc * sizeof(*r->koff));
		r->flen = crm_xrealloc(r->flen, r->nalloc * sizeof(*r->flen));
		r->val = crm_xrealloc(r->val, r->nalloc * sizeof(*r->val));
		r->key = crm_xrealloc(r->key, r->nalloc * sizeof(*r->key));
		r->json = crm_xrealloc(r->json, r->nalloc * sizeof(*r->json));
	}
	r->off[r->nf] = r->fb.len;
	r->json[r->nf] = 0;
}

/* Append to the value being read, up to IMPORT_FIELD_MAX bytes. */
static void
field_add(struct imp_reader *r, const char *s, size_t n)
{
	size_t have = r->fb.len - r->off[r->nf];

	if (have + n > IMPORT_FIELD_MAX) {
		fault(r, "%s longer than %d bytes", colname(r, r->nf),
		    IMPORT_FIELD_MAX);
		n = have < IMPORT_FIELD_MAX ? IMPORT_FIELD_MAX - have : 0;
	}
	crm_buf_add(&r->fb, s, n);
}

static void
field_end(struct imp_reader *r)
{
	r->flen[r->nf] = r->fb.len - r->off[r->nf];
	crm_buf_addch(&r->fb, '\0');
	if (r->nf < MAX_COLUMNS)
		r->nf++;
	else {
		fault(r, "more than %d values", MAX_COLUMNS);
		r->fb.len = r->off[r->nf];
	}
}

/* After a fault: the rest of the physical line is dropped. */
static void
skip_line(struct imp_reader *r)
{
	int c;

	while ((c = peek(r)) >= 0 && c != '\r' && c != '\n')
		r->pos++;
}

/* A quoted value: pos is past the opening quote. 0 at an open quote. */
static int
quoted(struct imp_reader *r)
{
	char *q;
	size_t n;
	int c;

	for (;;) {
		if (r->pos == r->len && refill(r) == 0)
			return 0;
		q = memchr(r->buf + r->pos, '"', r->len - r->pos);
		n = (q != NULL ? (size_t)(q - r->buf) : r->len) - r->pos;
		count_lines(r, r->buf + r->pos, n);
		field_add(r, r->buf + r->pos, n);
		r->pos += n;
		if (q == NULL)
			continue;
		r->pos++;
		r->last_cr = 0;
		if ((c = peek(r)) != '"')
			return 1;
		field_add(r, "\"", 1);
		r->pos++;
	}
}

/* An unquoted value, up to a delimiter, a line break or the end. */
static void
unquoted(struct imp_reader *r)
{
	size_t i;
	char c;

	for (;;) {
		if (r->pos == r->len && refill(r) == 0)
			return;
		for (i = r->pos; i < r->len; i++) {
			c = r->buf[i];
			if (c == r->delim || c == '\n' || c == '\r')
				break;
		}
		field_add(r, r->buf + r->pos, i - r->pos);
		r->pos = i;
		if (i < r->len)
			return;
	}
}

static int
blank_quote(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	return i > 0 && i < n && s[i] == '"';
}

/*
 * One CSV row into fb.  Returns 1, 0 at the end of input, -2 for an
 * unterminated quote (nothing can follow it).
 */
static int
csv_row(struct imp_reader *r)
{
	int c;

	r->nf = 0;
	crm_buf_reset(&r->fb);
	/* Empty lines are skipped. */
	while ((c = peek(r)) == '\r' || c == '\n') {
		count_lines(r, r->buf + r->pos, 1);
		r->pos++;
	}
	if (c < 0)
		return 0;
	r->start = r->pos;
	r->lost = 0;
	for (;;) {
		field_begin(r);
		if (peek(r) == '"') {
			r->pos++;
			if (!quoted(r))
				return -2;
			c = peek(r);
			if (c >= 0 && c != r->delim && c != '\r' && c != '\n') {
				fault(r, "malformed quotes in %s",
				    colname(r, r->nf));
				skip_line(r);
			}
		} else {
			/*
			 * A quote inside an unquoted value is data (37.8"N),
			 * but blanks before a quote are a quoted value gone
			 * wrong.
			 */
			unquoted(r);
			if (blank_quote(r->fb.buf + r->off[r->nf],
			    r->fb.len - r->off[r->nf]))
				fault(r, "blanks before a quote in %s",
				    colname(r, r->nf));
		}
		field_end(r);
		c = peek(r);
		if (c == r->delim) {
			r->pos++;
			continue;
		}
		break;
	}
	return 1;
}

/* Consume the line break that ends a row (none at the end of input). */
static void
end_row(struct imp_reader *r)
{
	int c = peek(r);

	if (c == '\r' || c == '\n') {
		count_lines(r, r->buf + r->pos, 1);
		r->pos++;
		if (c == '\r' && peek(r) == '\n') {
			count_lines(r, r->buf + r->pos, 1);
			r->pos++;
		}
	}
}

/*
 * Check (UTF-8) or convert (--encoding) the values of the row into their
 * final place, and set val[] and key[].
 */
static void
finish_values(struct imp_reader *r)
{
	struct crm_buf *src = &r->fb;
	size_t i, bad;
	const char *v;

	if (r->cs != CRM_CS_UTF8) {
		crm_buf_reset(&r->cb);
		for (i = 0; i < r->nf; i++) {
			v = r->fb.buf + r->off[i];
			r->off[i] = r->cb.len;
			if (crm_charset_to_utf8(r->cs, v, r->flen[i], &r->cb,
			    &bad) != 0)
				fault(r, "byte 0x%02X in %s has no "
				    "character in %s", (unsigned char)v[bad],
				    colname(r, i), crm_charset_name(r->cs));
			r->flen[i] = r->cb.len - r->off[i];
			crm_buf_addch(&r->cb, '\0');
		}
		src = &r->cb;
	}
	for (i = 0; i < r->nf; i++) {
		v = src->buf + r->off[i];
		r->val[i] = v;
		r->key[i] = r->kind == CRM_IN_JSONL ? r->kb.buf + r->koff[i] :
		    NULL;
		if (memchr(v, '\0', r->flen[i]) != NULL)
			fault(r, "NUL byte in %s", colname(r, i));
		else if (r->cs == CRM_CS_UTF8 &&
		    !crm_utf8_check(v, r->flen[i], &bad))
			fault(r, "invalid UTF-8 in %s (give --encoding for "
			    "a file that is not UTF-8)", colname(r, i));
	}
}

/*
 * Skip a UTF-8 byte order mark and the blank lines before the first row;
 * refuse UTF-16.
 */
static struct crm_error *
skip_lead(struct imp_reader *r)
{
	int c;

	peek(r);
	if (r->len >= 2 && (memcmp(r->buf, "\xFF\xFE", 2) == 0 ||
	    memcmp(r->buf, "\xFE\xFF", 2) == 0))
		return crm_error_new(CRM_EXIT_FAIL, "%s: UTF-16 input: convert "
		    "it to UTF-8 first (iconv -f UTF-16 -t UTF-8)", r->name);
	if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->pos = 3;
	while ((c = peek(r)) == ' ' || c == '\t' || c == '\r' || c == '\n') {
		count_lines(r, r->buf + r->pos, 1);
		r->pos++;
	}
	if (r->ioerr)
		return crm_error_new(CRM_EXIT_FAIL, "%s: read error: %s",
		    r->name, strerror(r->ioerr));
	if (c < 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: no input", r->name);
	if (r->kind == CRM_IN_AUTO)
		r->kind = c == '{' ? CRM_IN_JSONL : CRM_IN_CSV;
	return NULL;
}

/* The error for the row just read, with its line, and the fault reset. */
static struct crm_error *
row_error(struct imp_reader *r, long line)
{
	struct crm_error *err = crm_error_new(CRM_EXIT_FAIL, "line %ld: %s",
	    line, r->err);

	free(r->err);
	r->err = NULL;
	return err;
}

static struct crm_error *
read_header(struct imp_reader *r)
{
	long line = r->line;
	size_t i;
	int rc;

	rc = csv_row(r);
	if (rc == -2)
		return crm_error_new(CRM_EXIT_FAIL, "%s: line %ld: "
		    "unterminated quoted field in the header", r->name, line);
	crm_buf_add(&r->header_raw, r->buf + r->start, r->pos - r->start);
	end_row(r);
	finish_values(r);
	if (r->err != NULL)
		return row_error(r, line);
	if (r->nf == 1 && r->flen[0] == 0)
		return crm_error_new(CRM_EXIT_FAIL, "%s: line %ld: empty "
		    "header", r->name, line);
	for (i = 0; i < r->nf; i++) {
		char *h = crm_xstrdup(r->val[i]);

		crm_strv_push(&r->header, crm_trim(h));
		free(h);
	}
	r->have_header = 1;
	return NULL;
}

static int
csv_next(struct imp_reader *r, struct imp_row *row, struct crm_error **err)
{
	long line = r->line;
	int rc;

	rc = csv_row(r);
	row->line = line;
	row->raw = r->buf + r->start;
	row->rawlen = r->lost ? 0 : r->pos - r->start;
	if (rc == 0)
		return 0;
	if (rc == -2) {
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: unterminated "
		    "quoted field", line);
		return -2;
	}
	if (r->lost)
		fault(r, "row longer than %d bytes",
		    IMPORT_RECORD_MAX);
	end_row(r);
	if (r->err == NULL && r->nf != r->header.n)
		fault(r, "%zu value%s, expected %zu as in the header",
		    r->nf, r->nf == 1 ? "" : "s", r->header.n);
	if (r->err == NULL)
		finish_values(r);
	row->n = r->nf;
	row->val = r->val;
	row->len = r->flen;
	row->key = NULL;
	row->json = r->json;
	if (r->err != NULL) {
		*err = row_error(r, line);
		return -1;
	}
	return 1;
}

/* A JSON value as text into the current value; 0 for null. */
static int
json_text(struct imp_reader *r, const cJSON *v)
{
	char num[32], *s;
	const cJSON *it;

	if (cJSON_IsString(v)) {
		field_add(r, v->valuestring, strlen(v->valuestring));
		r->json[r->nf] = 1;
	} else if (cJSON_IsBool(v))
		field_add(r, cJSON_IsTrue(v) ? "true" : "false",
		    cJSON_IsTrue(v) ? 4 : 5);
	else if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%.15g", v->valuedouble);
		field_add(r, num, strlen(num));
	} else if (cJSON_IsArray(v)) {
		/* A list of scalars is joined with ";" (tags, emails). */
		cJSON_ArrayForEach(it, v) {
			if (it != v->child)
				field_add(r, ";", 1);
			if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
				s = cJSON_PrintUnformatted(it);
				field_add(r, s, strlen(s));
				cJSON_free(s);
			} else
				json_text(r, it);
		}
		r->json[r->nf] = 0;
	} else if (cJSON_IsObject(v)) {
		s = cJSON_PrintUnformatted(v);
		field_add(r, s, strlen(s));
		cJSON_free(s);
	} else
		return 0;
	return 1;
}

/* The members of obj as values keyed "parent.key". */
static void
flatten(struct imp_reader *r, const cJSON *obj, const char *prefix,
    int depth)
{
	struct crm_buf key = CRM_BUF_INIT;
	const cJSON *it;

	cJSON_ArrayForEach(it, obj) {
		crm_buf_reset(&key);
		crm_buf_adds(&key, prefix);
		crm_buf_adds(&key, it->string);
		if (cJSON_IsObject(it) && depth < MAX_DEPTH) {
			crm_buf_addch(&key, '.');
			flatten(r, it, key.buf, depth + 1);
			continue;
		}
		field_begin(r);
		r->koff[r->nf] = r->kb.len;
		crm_buf_add(&r->kb, key.buf, key.len + 1);
		if (!json_text(r, it)) {
			r->fb.len = r->off[r->nf];
			r->kb.len = r->koff[r->nf];
			continue;
		}
		field_end(r);
	}
	crm_buf_release(&key);
}

static int
jsonl_next(struct imp_reader *r, struct imp_row *row, struct crm_error **err)
{
	const char *end = NULL;
	char *lf, *s;
	size_t n, bad;
	cJSON *obj;

	r->nf = 0;
	crm_buf_reset(&r->fb);
	crm_buf_reset(&r->kb);
	for (;;) {
		r->start = r->pos;
		r->lost = 0;
		while ((lf = memchr(r->buf + r->pos, '\n', r->len - r->pos)) ==
		    NULL) {
			r->pos = r->len;
			if (refill(r) == 0)
				break;
		}
		if (lf == NULL && r->start == r->len)
			return 0;
		n = (lf != NULL ? (size_t)(lf - r->buf) : r->len) - r->start;
		r->pos = r->start + n + (lf != NULL);
		row->line = r->line++;
		row->raw = r->buf + r->start;
		row->rawlen = r->lost ? 0 : n;
		s = r->buf + r->start;
		if (r->lost) {
			*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: line "
			    "longer than %d bytes", row->line,
			    IMPORT_RECORD_MAX);
			return -1;
		}
		while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' ||
		    s[n - 1] == '\t'))
			n--;
		row->rawlen = n;
		if (n > 0)
			break;
	}
	if (r->cs != CRM_CS_UTF8) {
		crm_buf_reset(&r->cb);
		if (crm_charset_to_utf8(r->cs, s, n, &r->cb, &bad) != 0) {
			*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: byte "
			    "0x%02X at column %zu has no character in %s",
			    row->line, (unsigned char)s[bad], bad + 1,
			    crm_charset_name(r->cs));
			return -1;
		}
		s = r->cb.buf;
		n = r->cb.len;
	} else if (!crm_utf8_check(s, n, &bad)) {
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: invalid UTF-8 "
		    "at column %zu (give --encoding for a file that is not "
		    "UTF-8)", row->line, bad + 1);
		return -1;
	}
	/* cJSON wants the text NUL-terminated: the LF (or CR) is spare. */
	s[n] = '\0';
	if ((obj = cJSON_ParseWithLengthOpts(s, n + 1, &end, 1)) == NULL) {
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: invalid JSON "
		    "near column %zu", row->line, end != NULL && end >= s &&
		    end <= s + n ? (size_t)(end - s) + 1 : n);
		return -1;
	}
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: expected a JSON "
		    "object", row->line);
		return -1;
	}
	flatten(r, obj, "", 0);
	cJSON_Delete(obj);
	finish_values(r);
	row->n = r->nf;
	row->val = r->val;
	row->key = r->key;
	row->len = r->flen;
	row->json = r->json;
	if (r->err != NULL) {
		*err = row_error(r, row->line);
		return -1;
	}
	return 1;
}

int
imp_reader_next(struct imp_reader *r, struct imp_row *row,
    struct crm_error **err)
{
	*err = NULL;
	memset(row, 0, sizeof(*row));
	if (!r->started) {
		r->started = 1;
		if ((*err = skip_lead(r)) != NULL ||
		    (r->kind == CRM_IN_CSV && (*err = read_header(r)) != NULL))
			return -2;
	}
	if (r->kind == CRM_IN_JSONL) {
		/* A JSON Lines file is decoded after the split: UTF-8 only. */
		return jsonl_next(r, row, err);
	}
	return csv_next(r, row, err);
}

const char *const *
imp_reader_header(const struct imp_reader *r, size_t *n)
{
	*n = r->have_header ? r->header.n : 0;
	return r->have_header ? (const char *const *)r->header.v : NULL;
}

const char *
imp_reader_header_raw(const struct imp_reader *r, size_t *n)
{
	*n = r->header_raw.len;
	return r->have_header ? r->header_raw.buf : NULL;
}

int
imp_reader_is_csv(const struct imp_reader *r)
{
	return r->kind == CRM_IN_CSV;
}

off_t
imp_reader_bytes(const struct imp_reader *r)
{
	return r->bytes;
}
