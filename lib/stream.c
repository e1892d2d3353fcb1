/*
 * Stream input: JSON Lines and CSV records, and references one a line.
 *
 * Input is read with fread() in CHUNK-sized pieces.  JSONL lines are parsed
 * in place when they fit in the buffer and gathered otherwise, up to
 * MAX_LINE.  CSV goes through libcsv's push parser one physical line at a
 * time, so that every record knows the line it began on; the records one
 * chunk yields are queued until the caller takes them.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"

#define CHUNK		(64 * 1024)
#define MAX_LINE	(64 * 1024 * 1024)
/* Well below cJSON's own limit, and checked without recursion. */
#define MAX_DEPTH	512

/* Buffered input shared by the readers. */
struct input {
	FILE	*fp;
	char	*buf;		/* CHUNK + 1 bytes */
	size_t	 pos, len;
	int	 eof;
	int	 ioerr;		/* errno of a failed read */
	long	 line;		/* line feeds consumed so far */
};

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

struct crm_refs {
	struct input in;
	const char *const *keys;
	int	 started;
	long	 line;
	struct crm_buf acc;
};

static const char *const default_keys[] = { "id", NULL };

static void
input_init(struct input *in, FILE *fp)
{
	memset(in, 0, sizeof(*in));
	in->fp = fp;
	in->buf = crm_xmalloc(CHUNK + 1);
}

static struct crm_error *
read_error(struct input *in)
{
	/* No file name: callers prefix a stream's messages with it. */
	struct crm_error *err = crm_error_new(CRM_EXIT_FAIL,
	    "read error: %s", strerror(in->ioerr));

	in->ioerr = 0;
	return err;
}

/* Refill the buffer; 0 at the end of input or after a read error. */
static int
fill(struct input *in)
{
	size_t n;

	if (in->eof)
		return 0;
	errno = 0;
	n = fread(in->buf, 1, CHUNK, in->fp);
	if (n == 0) {
		in->eof = 1;
		if (ferror(in->fp))
			in->ioerr = errno != 0 ? errno : EIO;
		return 0;
	}
	in->pos = 0;
	in->len = n;
	return 1;
}

/*
 * Skip a UTF-8 byte order mark and the blanks before the first datum, so
 * that the first byte tells JSONL from CSV.
 */
static void
skip_lead(struct input *in)
{
	int first = 1;
	char c;

	while (in->pos < in->len || fill(in)) {
		if (first && in->len >= 3 && memcmp(in->buf, "\xEF\xBB\xBF",
		    3) == 0)
			in->pos = 3;
		first = 0;
		for (; in->pos < in->len; in->pos++) {
			c = in->buf[in->pos];
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
				return;
			if (c == '\n')
				in->line++;
		}
	}
}

/*
 * The next line without its LF in *s, n bytes, NUL-terminated, writable
 * and valid until the next call.  Returns 1; 0 at the end of input; -1
 * with *err for a read error or for a line longer than MAX_LINE, which is
 * skipped.  in->line is then the number of the line.
 */
static int
next_line(struct input *in, struct crm_buf *acc, char **s, size_t *n,
    struct crm_error **err)
{
	char *start, *lf;
	size_t k;
	int toolong = 0, seen = 0;

	crm_buf_reset(acc);
	for (;;) {
		if (in->pos == in->len && !fill(in)) {
			if (in->ioerr != 0) {
				*err = read_error(in);
				return -1;
			}
			if (!seen)
				return 0;
			break;
		}
		seen = 1;
		start = in->buf + in->pos;
		lf = memchr(start, '\n', in->len - in->pos);
		k = lf != NULL ? (size_t)(lf - start) : in->len - in->pos;
		in->pos += k + (lf != NULL);
		if (lf != NULL && acc->len == 0 && !toolong) {
			/* All of it is in the buffer: use it in place. */
			*lf = '\0';
			*s = start;
			*n = k;
			in->line++;
			return 1;
		}
		if (!toolong)
			crm_buf_add(acc, start, k);
		if (acc->len > MAX_LINE) {
			toolong = 1;
			crm_buf_release(acc);
		}
		if (lf != NULL)
			break;
	}
	in->line++;
	if (toolong) {
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: line too long",
		    in->line);
		return -1;
	}
	*s = acc->buf;
	*n = acc->len;
	return 1;
}

/* Past the string that opens at s[*i], or 0 with *i at a fault. */
static int
json_string(const char *s, size_t n, size_t *i)
{
	size_t j = *i + 1, k;
	unsigned char c;

	while (j < n && s[j] != '"') {
		c = (unsigned char)s[j];
		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			j++;
			continue;
		}
		if (j + 1 >= n)
			break;
		c = (unsigned char)s[j + 1];
		if (c == 'u') {
			for (k = 2; k < 6; k++)
				if (j + k >= n ||
				    !isxdigit((unsigned char)s[j + k]))
					goto bad;
			j += 6;
		} else if (c != '\0' && strchr("\"\\/bfnrt", c) != NULL)
			j += 2;
		else
			goto bad;
	}
	*i = j + 1;
	return 1;
bad:
	*i = j;
	return 0;
}

/* The length of the JSON number at s[i], or 0 if it is not one. */
static size_t
json_number(const char *s, size_t n, size_t i)
{
	size_t j = i;

#define DIGIT(k)	((k) < n && isdigit((unsigned char)s[k]))
	if (j < n && s[j] == '-')
		j++;
	if (j < n && s[j] == '0')
		j++;
	else if (DIGIT(j))
		while (DIGIT(j))
			j++;
	else
		return 0;
	if (j < n && s[j] == '.') {
		j++;
		if (!DIGIT(j))
			return 0;
		while (DIGIT(j))
			j++;
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (!DIGIT(j))
			return 0;
		while (DIGIT(j))
			j++;
	}
#undef DIGIT
	if (j < n && s[j] != '\0' && strchr("0123456789+-.eE", s[j]) != NULL)
		return 0;
	return j - i;
}

/*
 * What cJSON lets through and JSON forbids: control characters, bad
 * escapes, numbers such as "01", "2." or "-"; and nesting deep enough to
 * exhaust a recursive parser.  Returns 0 with *col (1-based) at a fault.
 */
static int
json_strict(const char *s, size_t n, size_t *col, int *deep)
{
	size_t i = 0, depth = 0, k;
	unsigned char c;

	while (i < n) {
		c = (unsigned char)s[i];
		if (c == '"') {
			if (!json_string(s, n, &i))
				goto bad;
			continue;
		}
		if (c == '-' || isdigit(c)) {
			if ((k = json_number(s, n, i)) == 0)
				goto bad;
			i += k;
			continue;
		}
		if ((c == '[' || c == '{') && ++depth > MAX_DEPTH) {
			*deep = 1;
			goto bad;
		}
		if ((c == ']' || c == '}') && depth > 0)
			depth--;
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			goto bad;
		i++;
	}
	return 1;
bad:
	*col = i + 1;
	return 0;
}

/*
 * Parse s[0..n), NUL-terminated, as one JSON object.  1 with *obj (the
 * caller deletes it), or -1 with *err naming line.
 */
static int
parse_object(const char *s, size_t n, long line, cJSON **obj,
    struct crm_error **err)
{
	const char *end = NULL;
	size_t at;
	int deep = 0;
	cJSON *j;

	if (!crm_utf8_check(s, n, &at)) {
		*err = crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: invalid UTF-8 at byte %zu", line, at + 1);
		return -1;
	}
	if (!json_strict(s, n, &at, &deep))
		goto bad;
	/* The length counts the NUL: cJSON wants it to end the text. */
	if ((j = cJSON_ParseWithLengthOpts(s, n + 1, &end, 1)) == NULL) {
		at = end != NULL && end >= s && end <= s + n ?
		    (size_t)(end - s) + 1 : n;
		goto bad;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*err = crm_error_new(CRM_EXIT_FAIL,
		    "line %ld: expected a JSON object", line);
		return -1;
	}
	*obj = j;
	return 1;
bad:
	*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: invalid JSON near "
	    "column %zu%s", line, at, deep ? " (nested too deep)" : "");
	return -1;
}

/* 1 when s[0..n) is UTF-8 without NUL, else 0 with *at at the fault. */
static int
text_ok(const char *s, size_t n, size_t *at)
{
	const char *nul = memchr(s, '\0', n);
	size_t len = nul != NULL ? (size_t)(nul - s) : n;

	if (!crm_utf8_check(s, len, at))
		return 0;
	if (nul != NULL) {
		*at = len;
		return 0;
	}
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
		rc = next_line(&r->in, &r->acc, &s, &n, err);
		r->line = r->in.line;
		if (rc <= 0)
			return rc;
		if (n > 0 && s[n - 1] == '\r')
			s[--n] = '\0';
		if (!blank(s, n))
			return parse_object(s, n, r->line, rec, err);
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
		csv_fatal(r, read_error(&r->in));
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
		if (r->in.pos == r->in.len && !fill(&r->in)) {
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

	input_init(&r->in, fp);
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
		skip_lead(&r->in);
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

struct crm_refs *
crm_refs_new(FILE *fp, const char *name, const char *const *keys)
{
	struct crm_refs *r = crm_xcalloc(1, sizeof(*r));

	input_init(&r->in, fp);
	r->keys = keys != NULL && keys[0] != NULL ? keys : default_keys;
	return r;
}

/* The reference in a JSON record: the first of r->keys present. */
static int
ref_from_json(struct crm_refs *r, const char *s, size_t n, char **ref,
    struct crm_error **err)
{
	const char *const *k;
	const cJSON *v = NULL;
	cJSON *obj;
	double d;
	int rc = -1;

	if (parse_object(s, n, r->line, &obj, err) < 0)
		return -1;
	for (k = r->keys; *k != NULL; k++)
		if ((v = cJSON_GetObjectItemCaseSensitive(obj, *k)) != NULL)
			break;
	if (v == NULL)
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: no \"%s\" in "
		    "record", r->line, r->keys[0]);
	else if (cJSON_IsString(v) && *v->valuestring != '\0') {
		*ref = crm_xstrdup(v->valuestring);
		rc = 1;
	} else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble)
	    && fabs(v->valuedouble) < 9007199254740992.0) {
		d = v->valuedouble;
		*ref = crm_xmalloc(32);
		snprintf(*ref, 32, "%.0f", d == 0 ? 0.0 : d);
		rc = 1;
	} else
		*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: \"%s\" is %s",
		    r->line, *k, cJSON_IsNull(v) ? "null" : cJSON_IsString(v) ?
		    "empty" : cJSON_IsNumber(v) ? "not an integer" :
		    "not a string or number");
	cJSON_Delete(obj);
	return rc;
}

int
crm_refs_next(struct crm_refs *r, char **ref, struct crm_error **err)
{
	char *s;
	size_t n, at;
	int rc;

	*ref = NULL;
	*err = NULL;
	if (!r->started) {
		r->started = 1;
		skip_lead(&r->in);
	}
	for (;;) {
		rc = next_line(&r->in, &r->acc, &s, &n, err);
		r->line = r->in.line;
		if (rc <= 0)
			return rc;
		if (!text_ok(s, n, &at)) {
			*err = crm_error_new(CRM_EXIT_FAIL, "line %ld: %s at "
			    "byte %zu", r->line, s[at] == '\0' ? "NUL" :
			    "invalid UTF-8", at + 1);
			return -1;
		}
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			s[--n] = '\0';
		while (n > 0 && isspace((unsigned char)*s))
			s++, n--;
		if (n == 0)
			continue;
		if (*s == '{')
			return ref_from_json(r, s, n, ref, err);
		*ref = crm_xstrndup(s, n);
		return 1;
	}
}

long
crm_refs_line(const struct crm_refs *r)
{
	return r->line;
}

void
crm_refs_free(struct crm_refs *r)
{
	if (r == NULL)
		return;
	crm_buf_release(&r->acc);
	free(r->in.buf);
	free(r);
}
