/*
 * The table format: cells without control characters, columns as wide as
 * their widest cell, the widest cut (an ellipsis marks where) until the
 * table fits the terminal (COLUMNS, or the terminal's own width).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "crm_error.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "record_int.h"

#define ELLIPSIS	"\xE2\x80\xA6"	/* U+2026, one column */
#define MIN_CUT		4		/* cut no column below this */

/*
 * A table cell holds no control characters: newlines and tabs would break
 * the layout, escapes would reach the terminal.  Each becomes a space.
 */
static char *
sanitize(const char *s)
{
	struct crm_buf b = CRM_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7F)
			crm_buf_addch(&b, ' ');
		else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
			crm_buf_addch(&b, ' ');	/* C1 control */
			p++;
		} else
			crm_buf_addch(&b, *p);
	}
	return crm_buf_detach(&b);
}

void
record_table_add(struct crm_out *o, const char *s, int num)
{
	struct cell *c;

	if (o->ncells == o->alloc) {
		o->alloc = o->alloc ? o->alloc * 2 : 64;
		o->cells = crm_xrealloc(o->cells, o->alloc * sizeof(*c));
	}
	c = &o->cells[o->ncells++];
	c->s = sanitize(s);
	c->w = crm_utf8_width(c->s, strlen(c->s));
	c->num = num;
}

/* The length of the UTF-8 character at s, never past the NUL. */
static size_t
char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, k;

	for (k = 1; k < len && s[k] != '\0'; k++)
		;
	return k;
}

/* s (sw columns wide) cut to at most w columns, "…" marking the cut. */
static size_t
cut(struct crm_buf *b, const char *s, size_t sw, size_t w)
{
	size_t i = 0, used = 0, len, cw;

	if (sw <= w) {
		crm_buf_adds(b, s);
		return sw;
	}
	if (w == 0)
		return 0;
	while (s[i] != '\0') {
		len = char_len(s + i);
		cw = crm_utf8_width(s + i, len);
		if (used + cw > w - 1)
			break;
		used += cw;
		i += len;
	}
	crm_buf_add(b, s, i);
	crm_buf_adds(b, ELLIPSIS);
	return used + 1;
}

/*
 * Shrink the widest columns until the table fits in width columns, each
 * no narrower than its floor.  Equal widths shrink in turn, one column
 * at a time; a lone widest one drops straight to the next width.
 */
static void
fit(size_t *w, const size_t *floor_w, size_t n, size_t width)
{
	size_t total = 2 * (n - 1), i, big, second, step;

	for (i = 0; i < n; i++)
		total += w[i];
	while (total > width) {
		big = n;
		for (i = 0; i < n; i++)
			if (w[i] > floor_w[i] && (big == n || w[i] > w[big]))
				big = i;
		if (big == n)
			break;
		second = floor_w[big];
		for (i = 0; i < n; i++)
			if (i != big && w[i] > second)
				second = w[i] < w[big] ? w[i] : w[big];
		step = w[big] - second;
		if (step == 0)
			step = 1;
		if (step > total - width)
			step = total - width;
		w[big] -= step;
		total -= step;
	}
}

static struct crm_error *
table_line(struct crm_out *o, const struct cell *row, const size_t *w)
{
	struct crm_buf b = CRM_BUF_INIT, t = CRM_BUF_INIT;
	struct crm_error *err;
	size_t i, tw;

	for (i = 0; i < o->cols.n; i++) {
		if (i > 0)
			crm_buf_adds(&b, "  ");
		crm_buf_reset(&t);
		tw = cut(&t, row[i].s, row[i].w, w[i]);
		if (row[i].num) {
			crm_buf_addf(&b, "%*s", (int)(w[i] - tw), "");
			crm_buf_add(&b, t.buf, t.len);
		} else {
			crm_buf_add(&b, t.buf, t.len);
			crm_buf_addf(&b, "%*s", (int)(w[i] - tw), "");
		}
	}
	while (b.len > 0 && b.buf[b.len - 1] == ' ')
		b.len--;
	crm_buf_addch(&b, '\n');
	err = record_emit(o, b.buf, b.len);
	crm_buf_release(&b);
	crm_buf_release(&t);
	return err;
}

/*
 * Column widths, then the header (names are text: aligned left) and
 * every row.  A column shrinks to MIN_CUT, or to its name's width when
 * that is narrower.
 */
struct crm_error *
record_table_finish(struct crm_out *o)
{
	struct crm_error *err = NULL;
	struct cell *head;
	size_t nc = o->cols.n, i, j, *w, *floor_w, width;

	if (o->n == 0 || nc == 0)
		return NULL;
	head = crm_xcalloc(nc, sizeof(*head));
	w = crm_xcalloc(nc, sizeof(*w));
	floor_w = crm_xcalloc(nc, sizeof(*floor_w));
	for (i = 0; i < nc; i++) {
		head[i].s = sanitize(o->cols.v[i]);
		w[i] = head[i].w = crm_utf8_width(head[i].s,
		    strlen(head[i].s));
		floor_w[i] = head[i].w < MIN_CUT ? head[i].w : MIN_CUT;
		if (floor_w[i] == 0)
			floor_w[i] = 1;
	}
	for (j = 0; j < o->ncells; j++)
		if (o->cells[j].w > w[j % nc])
			w[j % nc] = o->cells[j].w;
	if ((width = (size_t)crm_term_width(o->fp)) > 0)
		fit(w, floor_w, nc, width);
	err = table_line(o, head, w);
	for (j = 0; err == NULL && !o->closed && j < o->ncells; j += nc)
		err = table_line(o, o->cells + j, w);
	for (i = 0; i < nc; i++)
		free(head[i].s);
	free(head);
	free(w);
	free(floor_w);
	return err;
}

int
crm_term_width(FILE *fp)
{
	const char *s = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long v;

	if (s != NULL && *s != '\0') {
		errno = 0;
		v = strtol(s, &end, 10);
		if (*end == '\0' && errno == 0 && v > 0 && v <= INT_MAX)
			return (int)v;
	}
	if (fp != NULL && isatty(fileno(fp)) &&
	    ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}
