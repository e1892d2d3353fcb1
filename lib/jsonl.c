/*
 * JSON Lines input: the buffered input every stream reader shares, read
 * one line at a time, and the strict parse of a line as one JSON object.
 *
 * Input is read with fread() in CHUNK-sized pieces.  Lines are used in
 * place when they fit in the buffer and gathered otherwise, up to
 * MAX_LINE.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "crm_error.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "stream_int.h"

/* Well below cJSON's own limit, and checked without recursion. */
#define MAX_DEPTH	512

void
stream_input_init(struct input *in, FILE *fp)
{
	memset(in, 0, sizeof(*in));
	in->fp = fp;
	in->buf = crm_xmalloc(CHUNK + 1);
}

struct crm_error *
stream_read_error(struct input *in)
{
	/* No file name: callers prefix a stream's messages with it. */
	struct crm_error *err = crm_error_new(CRM_EXIT_FAIL,
	    "read error: %s", strerror(in->ioerr));

	in->ioerr = 0;
	return err;
}

/* Refill the buffer; 0 at the end of input or after a read error. */
int
stream_fill(struct input *in)
{
	ssize_t n;
	int fd = fileno(in->fp);

	if (in->eof)
		return 0;
	errno = 0;
	/*
	 * read() hands over what a pipe holds now, where fread() would wait
	 * for a whole chunk: a line from `crm-db events --follow` is acted on
	 * when it comes.  Streams without a descriptor go through stdio.
	 */
	if (fd >= 0)
		while ((n = read(fd, in->buf, CHUNK)) < 0 && errno == EINTR)
			;
	else
		n = (ssize_t)fread(in->buf, 1, CHUNK, in->fp);
	if (n <= 0) {
		in->eof = 1;
		if (n < 0 || (fd < 0 && ferror(in->fp)))
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
void
stream_skip_lead(struct input *in)
{
	int first = 1;
	char c;

	while (in->pos < in->len || stream_fill(in)) {
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
int
stream_next_line(struct input *in, struct crm_buf *acc, char **s, size_t *n,
    struct crm_error **err)
{
	char *start, *lf;
	size_t k;
	int toolong = 0, seen = 0;

	crm_buf_reset(acc);
	for (;;) {
		if (in->pos == in->len && !stream_fill(in)) {
			if (in->ioerr != 0) {
				*err = stream_read_error(in);
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

/* Past the digits at s[*j], or 0 with *j unchanged if there are none. */
static int
digits(const char *s, size_t n, size_t *j)
{
	size_t k = *j;

	while (k < n && isdigit((unsigned char)s[k]))
		k++;
	if (k == *j)
		return 0;
	*j = k;
	return 1;
}

/* The length of the JSON number at s[i], or 0 if it is not one. */
static size_t
json_number(const char *s, size_t n, size_t i)
{
	size_t j = i;

	if (j < n && s[j] == '-')
		j++;
	if (j < n && s[j] == '0')
		j++;
	else if (!digits(s, n, &j))
		return 0;
	if (j < n && s[j] == '.') {
		j++;
		if (!digits(s, n, &j))
			return 0;
	}
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		j++;
		if (j < n && (s[j] == '+' || s[j] == '-'))
			j++;
		if (!digits(s, n, &j))
			return 0;
	}
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
int
stream_parse_object(const char *s, size_t n, long line, cJSON **obj,
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
