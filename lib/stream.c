/*
 * Stream input: records as JSON Lines or CSV (references one a line are
 * lib/refs.c; the line input and the strict JSON parse, lib/jsonl.c).
 *
 * CSV goes through libcsv's push parser one physical line at a time, so
 * that every record knows the line it began on; the records one chunk
 * yields are queued until the caller takes them.
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
	cJSON	*rec;
	struct crm_error *err;
	long	 line;
};

struct crm_reader {
	struct input in;
	enum crm_input kind;
	int	 started, done;
	long	 line;		/* where the last record began */
	struct crm_buf acc;	/* JSONL: a line that spans chunks */

	struct csv_parser csv;
	int	 csv_ready;
	long	 phys;		/* CSV: the physical line being fed */
	int	 last_cr, in_row, skipping;
	long	 row_line;
	struct crm_strv header;
	int	 have_header;
	cJSON	*row;
	size_t	 nfields;
	int	 first_empty;
	struct crm_error *row_err;
	struct item *q;		/* records of the current chunk */
	size_t	 qhead, qn, qalloc;
};

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

static void
enqueue(struct crm_reader *r, cJSON *rec, struct crm_error *err, long line)
{
	if (r->qn == r->qalloc) {
		r->qalloc = r->qalloc ? r->qalloc * 2 : 64;
		r->q = crm_xrealloc(r->q, r->qalloc * sizeof(*r->q));
	}
	r->q[r->qn].rec = rec;
	r->q[r->qn].err = err;
	r->q[r->qn].line = line;
	r->qn++;
}

/* A fatal CSV error: queued last, then the stream ends. */
static void
csv_fatal(struct crm_reader *r, struct crm_error *err)
{
	enqueue(r, NULL, err, r->row_line);
	r->done = 1;
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
		if (r->row == NULL)
			r->row = cJSON_CreateObject();
		cJSON_AddItemToObject(r->row, name, cJSON_CreateString(v));
	}
}

/* The header row is complete: check its names. */
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
}

static void
row_reset(struct crm_reader *r)
{
	cJSON_Delete(r->row);
	r->row = NULL;
	crm_error_free(r->row_err);
	r->row_err = NULL;
	r->nfields = 0;
	r->in_row = 0;
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
		enqueue(r, NULL, r->row_err, r->row_line);
		r->row_err = NULL;
	} else if (r->nfields == 1 && r->first_empty && want > 1)
		;	/* an empty line */
	else if (r->nfields != want)
		enqueue(r, NULL, crm_error_new(CRM_EXIT_FAIL, "line %ld: %zu "
		    "field%s, expected %zu (header has %zu)", r->row_line,
		    r->nfields, r->nfields == 1 ? "" : "s", want, want),
		    r->row_line);
	else {
		if (r->row == NULL)
			r->row = cJSON_CreateObject();
		enqueue(r, r->row, NULL, r->row_line);
		r->row = NULL;
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
	/* RFC 4180: spaces are data, not padding to be trimmed. */
	csv_set_space_func(&r->csv, no_space);
	csv_set_realloc_func(&r->csv, crm_xrealloc);
	/* libcsv grows a field linearly: take big steps for long ones. */
	csv_set_blk_size(&r->csv, CHUNK);
	r->csv_ready = 1;
}

/* Count the line break c (CR, LF or CR LF) into r->phys. */
static void
count_break(struct crm_reader *r, char c)
{
	if (c == '\r' || (c == '\n' && !r->last_cr))
		r->phys++;
	r->last_cr = c == '\r';
}

/*
 * Feed one segment: bytes up to and including a CR or LF, or the rest of
 * the chunk.  A parse error costs the row and the rest of its line.
 */
static void
csv_segment(struct crm_reader *r, const char *p, size_t k, int term)
{
	struct crm_error *err;
	size_t used;

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
		/* Without a header, or out of memory, nothing can follow. */
		if (!r->have_header || csv_error(&r->csv) != CSV_EPARSE)
			csv_fatal(r, err);
		else
			enqueue(r, NULL, err, r->row_line);
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
		/* After a parse error the rest of the line is dropped. */
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

/* The end of the input: the last row, or what went wrong. */
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

static int
csv_next(struct crm_reader *r, cJSON **rec, struct crm_error **err)
{
	struct item it;

	while (r->qhead == r->qn) {
		r->qhead = r->qn = 0;
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
	*rec = it.rec;
	return 1;
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
crm_reader_next(struct crm_reader *r, cJSON **rec, struct crm_error **err)
{
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
	return csv_next(r, rec, err);
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
	for (i = r->qhead; i < r->qn; i++) {
		cJSON_Delete(r->q[i].rec);
		crm_error_free(r->q[i].err);
	}
	free(r->q);
	row_reset(r);
	if (r->csv_ready)
		csv_free(&r->csv);
	crm_strv_clear(&r->header);
	crm_buf_release(&r->acc);
	free(r->in.buf);
	free(r);
}
