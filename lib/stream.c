/*
 * Stream input: records as JSON Lines or CSV (references one a line are
 * lib/refs.c; the line input and the strict JSON parse, lib/jsonl.c).
 *
 * CSV goes through libcsv's push parser one physical line at a time, so
 * that every record knows the line it began on; the rows one chunk yields
 * are queued, as fields, until the caller takes them.  A plain line (no
 * quote, or quotes that open and close within it) is split here without
 * feeding libcsv byte by byte; anything else goes through libcsv.  A row
 * becomes a cJSON object only for crm_reader_next(): bulk importers take
 * the fields (crm_reader_next_row()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "stream_int.h"

struct item {
	size_t		 first;		/* its fields: off[first...] */
	struct crm_error *err;
	long		 line;
};

struct span {
	const char	*s;
	size_t		 n;
};

struct crm_reader {
	struct input	 in;
	enum crm_input	 kind;
	int		 started, done;
	long		 line;		/* where the last record began */
	struct crm_buf	 acc;		/* JSONL: a line across chunks */

	struct csv_parser csv;
	int		 csv_ready;
	long		 phys;		/* the physical line being fed */
	int		 last_cr, in_row, skipping;
	long		 row_line;
	struct crm_strv	 header;
	int		 have_header;
	size_t		 nfields;
	int		 first_empty;
	struct crm_error *row_err;
	struct crm_buf	 fb;		/* the fields of the queued rows */
	size_t		*off;		/* where each begins in fb */
	size_t		 noff, offalloc;
	size_t		 row_first, row_len;	/* the row being parsed */
	char		**vals;		/* the row handed out */
	struct crm_buf	 unq;		/* quoted fields with "" in a line */
	struct span	*sp;		/* the fields of a line */
	size_t		 spalloc;
	struct item	*q;		/* rows of the current chunk */
	size_t		 qhead, qn, qalloc;
};

static void
enqueue(struct crm_reader *r, size_t first, struct crm_error *err, long line)
{
	if (r->qn == r->qalloc) {
		r->qalloc = r->qalloc ? r->qalloc * 2 : 64;
		r->q = crm_xrealloc(r->q, r->qalloc * sizeof(*r->q));
	}
	r->q[r->qn].first = first;
	r->q[r->qn].err = err;
	r->q[r->qn].line = line;
	r->qn++;
}

static void
csv_fatal(struct crm_reader *r, struct crm_error *err)
{
	enqueue(r, 0, err, r->row_line);
	r->done = 1;
}

/* Forget the fields of the row being parsed. */
static void
row_reset(struct crm_reader *r)
{
	r->noff = r->row_first;
	r->fb.len = r->row_len;
	crm_error_free(r->row_err);
	r->row_err = NULL;
	r->nfields = 0;
	r->in_row = 0;
}

static void
on_field(void *s, size_t n, void *data)
{
	struct crm_reader *r = data;
	const char *v = s != NULL ? s : "", *name;
	char *h;
	size_t bad;

	if (r->done)
		return;
	if (r->nfields++ == 0)
		r->first_empty = n == 0;
	if (!r->have_header) {
		h = crm_xstrndup(v, n);
		crm_strv_push(&r->header, crm_trim(h));
		free(h);
		return;
	}
	if (r->nfields > r->header.n || r->row_err != NULL)
		return;
	name = r->header.v[r->nfields - 1];
	if (memchr(v, '\0', n) != NULL)
		r->row_err = crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: NUL byte in field \"%s\"", r->row_line, name);
	else if (!crm_utf8_check(v, n, &bad))
		r->row_err = crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: invalid UTF-8 in field \"%s\"", r->row_line,
		    name);
	else {
		if (r->noff == r->offalloc) {
			r->offalloc = r->offalloc ? r->offalloc * 2 : 256;
			r->off = crm_xrealloc(r->off, r->offalloc *
			    sizeof(*r->off));
		}
		r->off[r->noff++] = r->fb.len;
		crm_buf_grow(&r->fb, n + 1);
		memcpy(r->fb.buf + r->fb.len, v, n);
		r->fb.buf[r->fb.len + n] = '\0';
		r->fb.len += n + 1;
	}
}

static void
header_done(struct crm_reader *r)
{
	const char *h;
	size_t i, j, bad;

	for (i = 0; i < r->header.n; i++) {
		h = r->header.v[i];
		if (!crm_utf8_check(h, strlen(h), &bad)) {
			csv_fatal(r, crm_error_new(CRM_EXIT_FAIL, "line %ld: "
			    "invalid UTF-8 in column %zu", r->row_line, i + 1));
			return;
		}
		if (*h == '\0') {
			csv_fatal(r, crm_error_new(CRM_EXIT_FAIL, "line %ld: "
			    "empty name for column %zu", r->row_line, i + 1));
			return;
		}
		for (j = 0; j < i; j++)
			if (strcmp(r->header.v[j], h) == 0) {
				csv_fatal(r, crm_error_new(CRM_EXIT_FAIL,
				    "line %ld: duplicate column \"%s\"",
				    r->row_line, h));
				return;
			}
	}
	r->have_header = 1;
	r->vals = crm_xcalloc(r->header.n + 1, sizeof(*r->vals));
}

static void
on_row(int c, void *data)
{
	struct crm_reader *r = data;
	size_t want = r->header.n;

	if (r->done)
		return;
	if (!r->have_header)
		header_done(r);
	else if (r->row_err != NULL) {
		enqueue(r, 0, r->row_err, r->row_line);
		r->row_err = NULL;
	} else if (r->nfields == 1 && r->first_empty && want > 1)
		;	/* an empty line */
	else if (r->nfields != want)
		enqueue(r, 0, crm_error_new(CRM_EXIT_FAIL, "line %ld: %zu "
		    "field%s, expected %zu (header has %zu)", r->row_line,
		    r->nfields, r->nfields == 1 ? "" : "s", want, want),
		    r->row_line);
	else {
		enqueue(r, r->row_first, NULL, r->row_line);
		r->row_first = r->noff;
		r->row_len = r->fb.len;
	}
	row_reset(r);
}

static int
no_space(unsigned char c)
{
	return 0;
}

static void
csv_setup(struct crm_reader *r)
{
	static const unsigned char opts = CSV_STRICT | CSV_STRICT_FINI |
	    CSV_APPEND_NULL;

	if (r->csv_ready)
		csv_free(&r->csv);
	csv_init(&r->csv, opts);
	csv_set_space_func(&r->csv, no_space);
	csv_set_realloc_func(&r->csv, crm_xrealloc);
	csv_set_blk_size(&r->csv, CHUNK);
	r->csv_ready = 1;
}

static void
count_break(struct crm_reader *r, char c)
{
	if (c == '\r' || (c == '\n' && !r->last_cr))
		r->phys++;
	r->last_cr = c == '\r';
}

/* The quoted field at p[*i] (the quote), to the closing quote. */
static int
quoted(struct crm_reader *r, const char *p, size_t m, size_t *i,
    struct span *f)
{
	const char *q, *start = p + *i + 1;
	char *out;

	if ((q = memchr(start, '"', m - (*i + 1))) == NULL)
		return 0;
	if (q + 1 == p + m || q[1] != '"') {
		f->s = start;
		f->n = (size_t)(q - start);
		*i = (size_t)(q + 1 - p);
		return 1;
	}
	/* "" inside: unescaped into r->unq, big enough for the line. */
	out = r->unq.buf + r->unq.len;
	f->s = out;
	for (*i += 1; *i < m; ) {
		if (p[*i] != '"')
			*out++ = p[(*i)++];
		else if (*i + 1 < m && p[*i + 1] == '"') {
			*out++ = '"';
			*i += 2;
		} else {
			f->n = (size_t)(out - f->s);
			r->unq.len += f->n;
			*i += 1;
			return 1;
		}
	}
	return 0;
}

/*
 * A whole line at the start of a row, split here as libcsv would split
 * it, without a call a byte: 1 when done, 0 when it is not plain enough
 * (a quoted field that goes on past the line, a stray quote), for
 * libcsv to read and judge.
 */
static int
csv_line(struct crm_reader *r, const char *p, size_t m, char term)
{
	const char *e;
	size_t i = 0, nf = 0, j;

	crm_buf_reset(&r->unq);
	crm_buf_grow(&r->unq, m);
	for (;;) {
		if (nf == r->spalloc) {
			r->spalloc = r->spalloc ? 2 * r->spalloc : 64;
			r->sp = crm_xrealloc(r->sp, r->spalloc *
			    sizeof(*r->sp));
		}
		if (i < m && p[i] == '"') {
			if (!quoted(r, p, m, &i, &r->sp[nf]) ||
			    (i < m && p[i] != ','))
				return 0;
		} else {
			e = memchr(p + i, ',', m - i);
			j = e != NULL ? (size_t)(e - p) : m;
			if (memchr(p + i, '"', j - i) != NULL)
				return 0;
			r->sp[nf].s = p + i;
			r->sp[nf].n = j - i;
			i = j;
		}
		nf++;
		if (i == m)
			break;
		i++;
	}
	r->in_row = 1;
	r->row_line = r->phys;
	for (j = 0; j < nf; j++)
		on_field((void *)r->sp[j].s, r->sp[j].n, r);
	on_row(term, r);
	return 1;
}

/* One segment: bytes up to and including a CR or LF, or the rest. */
static void
csv_segment(struct crm_reader *r, const char *p, size_t k, int term)
{
	struct crm_error *err;
	size_t used;

	if (term && k > 1 && !r->in_row && csv_line(r, p, k - 1, p[k - 1]))
		return;
	if (k > (size_t)term && !r->in_row) {
		r->in_row = 1;
		r->row_line = r->phys;
	}
	used = csv_parse(&r->csv, p, k, on_field, on_row, r);
	if (used < k && !r->done) {
		err = csv_error(&r->csv) != CSV_EPARSE ?
		    crm_error_new(CRM_EXIT_FAIL, "line %ld: %s", r->row_line,
		    csv_strerror(csv_error(&r->csv))) :
		    crm_error_new(CRM_EXIT_FAIL, "line %ld: malformed quotes "
		    "in field %zu", r->row_line, r->nfields + 1);
		if (!r->have_header || csv_error(&r->csv) != CSV_EPARSE)
			csv_fatal(r, err);
		else
			enqueue(r, 0, err, r->row_line);
		row_reset(r);
		csv_setup(r);
		r->skipping = !term;
	} else if (csv_get_buffer_size(&r->csv) > MAX_LINE)
		csv_fatal(r, crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: field too long", r->row_line));
}

static void
csv_feed(struct crm_reader *r, const char *p, size_t n)
{
	size_t k;
	int term;

	while (n > 0 && !r->done) {
		for (k = 0; k < n && p[k] != '\r' && p[k] != '\n'; k++)
			;
		if ((term = k < n))
			k++;
		if (!r->skipping)
			csv_segment(r, p, k, term);
		else if (term)
			r->skipping = 0;
		if (k > (size_t)term)
			r->last_cr = 0;
		if (term)
			count_break(r, p[k - 1]);
		p += k;
		n -= k;
	}
}

static void
csv_end(struct crm_reader *r)
{
	if (r->in.ioerr != 0) {
		csv_fatal(r, stream_read_error(&r->in));
		return;
	}
	if (!r->skipping && csv_fini(&r->csv, on_field, on_row, r) != 0 &&
	    !r->done) {
		row_reset(r);
		csv_fatal(r, crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: unterminated quoted field", r->row_line));
	}
	r->done = 1;
}

/*
 * The fields of the queued rows are dropped once all were taken; a row
 * begun in one chunk goes on in the next.
 */
static void
drained(struct crm_reader *r)
{
	size_t keep = r->noff - r->row_first, base = r->row_len, i;

	r->qhead = r->qn = 0;
	if (r->row_first == 0 && base == 0)
		return;
	memmove(r->fb.buf, r->fb.buf + base, r->fb.len - base);
	r->fb.len -= base;
	for (i = 0; i < keep; i++)
		r->off[i] = r->off[r->row_first + i] - base;
	r->noff = keep;
	r->row_first = 0;
	r->row_len = 0;
}

static int
csv_next(struct crm_reader *r, char ***vals, struct crm_error **err)
{
	struct item it;
	size_t i;

	while (r->qhead == r->qn) {
		drained(r);
		if (r->done)
			return 0;
		if (r->in.pos == r->in.len && !stream_fill(&r->in)) {
			csv_end(r);
			continue;
		}
		csv_feed(r, r->in.buf + r->in.pos, r->in.len - r->in.pos);
		r->in.pos = r->in.len;
	}
	it = r->q[r->qhead++];
	r->line = it.line;
	if (it.err != NULL) {
		*err = it.err;
		return -1;
	}
	for (i = 0; i < r->header.n; i++)
		r->vals[i] = r->fb.buf + r->off[it.first + i];
	*vals = r->vals;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int
jsonl_next(struct crm_reader *r, cJSON **rec, struct crm_error **err)
{
	char *s;
	size_t n;
	int rc;

	for (;;) {
		rc = stream_next_line(&r->in, &r->acc, &s, &n, err);
		r->line = r->in.line;
		if (rc <= 0)
			return rc;
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		if (!blank(s, n))
			return stream_parse_object(s, n, r->line, rec, err);
	}
}

struct crm_reader *
crm_reader_new(FILE *fp, const char *name, enum crm_input kind)
{
	struct crm_reader *r = crm_xcalloc(1, sizeof(*r));

	stream_input_init(&r->in, fp);
	r->kind = kind;
	return r;
}

int
crm_reader_next_row(struct crm_reader *r, char ***vals, cJSON **rec,
    struct crm_error **err)
{
	*vals = NULL;
	*rec = NULL;
	*err = NULL;
	if (!r->started) {
		r->started = 1;
		stream_skip_lead(&r->in);
		if (r->kind == CRM_IN_AUTO)
			r->kind = r->in.pos < r->in.len &&
			    r->in.buf[r->in.pos] == '{' ?
			    CRM_IN_JSONL : CRM_IN_CSV;
		if (r->kind == CRM_IN_CSV) {
			csv_setup(r);
			r->phys = r->in.line + 1;
		}
	}
	if (r->kind == CRM_IN_JSONL)
		return jsonl_next(r, rec, err);
	return csv_next(r, vals, err);
}

int
crm_reader_next(struct crm_reader *r, cJSON **rec, struct crm_error **err)
{
	char **vals;
	size_t i;
	int rc;

	if ((rc = crm_reader_next_row(r, &vals, rec, err)) == 1 &&
	    vals != NULL) {
		*rec = cJSON_CreateObject();
		for (i = 0; i < r->header.n; i++)
			cJSON_AddItemToObject(*rec, r->header.v[i],
			    cJSON_CreateString(vals[i]));
	}
	return rc;
}

long
crm_reader_line(const struct crm_reader *r)
{
	return r->line;
}

const char *const *
crm_reader_header(const struct crm_reader *r, size_t *n)
{
	if (r->kind != CRM_IN_CSV || !r->have_header) {
		if (n != NULL)
			*n = 0;
		return NULL;
	}
	if (n != NULL)
		*n = r->header.n;
	return (const char *const *)r->header.v;
}

void
crm_reader_free(struct crm_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = r->qhead; i < r->qn; i++)
		crm_error_free(r->q[i].err);
	free(r->q);
	crm_error_free(r->row_err);
	if (r->csv_ready)
		csv_free(&r->csv);
	crm_strv_clear(&r->header);
	crm_buf_release(&r->acc);
	crm_buf_release(&r->fb);
	crm_buf_release(&r->unq);
	free(r->sp);
	free(r->off);
	free(r->vals);
	free(r->in.buf);
	free(r);
}
