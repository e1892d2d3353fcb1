/*
 * crm-deal board: the stages of a pipeline as columns on a terminal, or
 * one record per stage (-o jsonl, and whenever stdout is no terminal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_deal.h"
#include "crm_record.h"
#include "crm_stream.h"
#include "crm_util.h"
#include "cli.h"
#include "deal.h"

#define GAP	2	/* blanks between columns */
#define MIN_W	12	/* the narrowest column */

const struct cli_opt deal_board_opts[] = {
	{ "pipeline", O_PIPELINE, "NAME", "the pipeline (default: the "
	    "default pipeline)" },
	{ "currency", O_CURRENCY, "CODE", "convert the totals into CODE "
	    "(crm-deal rate)" },
	{ "top", O_TOP, "N", "the N largest deals of each stage (default 3)" },
	{ "as-of", O_AS_OF, "DATE", "the board as it was on that day" },
	CLI_OPT_END
};

/* A column: its lines in four parts that line up across columns. */
enum { P_HEAD, P_COUNT, P_MONEY, P_TOP, NPARTS };

struct bcol {
	struct crm_strv	 part[NPARTS];
	size_t		 need;		/* widest line not to cut */
};

static size_t
width(const char *s)
{
	return crm_utf8_width(s, strlen(s));
}

/* The length of the UTF-8 sequence at s. */
static size_t
char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, i;

	for (i = 1; i < n; i++)
		if (s[i] == '\0')
			return i;
	return n;
}

/* s cut to w columns, "…" marking the cut, padded with blanks to w. */
static void
cell(struct crm_buf *b, const char *s, size_t w)
{
	size_t sw = width(s), used = 0, n, cw;

	if (sw <= w) {
		crm_buf_adds(b, s);
		used = sw;
	} else {
		for (; *s != '\0'; s += n) {
			n = char_len(s);
			cw = crm_utf8_width(s, n);
			if (used + cw + 1 > w)
				break;
			crm_buf_add(b, s, n);
			used += cw;
		}
		crm_buf_adds(b, "\xE2\x80\xA6");
		used++;
	}
	for (; used < w; used++)
		crm_buf_addch(b, ' ');
}

static void
keep(struct bcol *c, int part, const char *s, int cut)
{
	crm_strv_push(&c->part[part], s);
	if (!cut && width(s) > c->need)
		c->need = width(s);
}

/* The lines of one stage's record. */
static void
column(const cJSON *rec, struct bcol *c)
{
	const cJSON *v, *d, *prob = cJSON_GetObjectItem(rec, "probability");
	struct crm_buf b = CRM_BUF_INIT;
	double count = cJSON_GetNumberValue(cJSON_GetObjectItem(rec,
	    "count"));

	crm_buf_adds(&b, cJSON_GetStringValue(cJSON_GetObjectItem(rec,
	    "stage")));
	if (cJSON_IsNumber(prob))
		crm_buf_addf(&b, " %.0f%%", prob->valuedouble);
	keep(c, P_HEAD, b.buf, 1);
	crm_buf_reset(&b);
	crm_buf_addf(&b, "%.0f deal%s", count, count == 1 ? "" : "s");
	keep(c, P_COUNT, b.buf, 0);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(rec, "totals")) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "%s %s", v->valuestring, v->string);
		keep(c, P_MONEY, b.buf, 0);
	}
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(rec, "weighted")) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "~%s %s", v->valuestring, v->string);
		keep(c, P_MONEY, b.buf, 0);
	}
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(rec, "top")) {
		crm_buf_reset(&b);
		crm_buf_addf(&b, "#%.0f %s %s", cJSON_GetNumberValue(
		    cJSON_GetObjectItem(d, "id")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "amount")), cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "currency")));
		keep(c, P_TOP, b.buf, 0);
		crm_buf_reset(&b);
		crm_buf_addf(&b, "  %s", cJSON_GetStringValue(
		    cJSON_GetObjectItem(d, "title")));
		keep(c, P_TOP, b.buf, 1);
	}
	crm_buf_release(&b);
}

/* Print line out with its trailing blanks cut. */
static void
put(struct crm_buf *out)
{
	while (out->len > 0 && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
	crm_buf_addch(out, '\n');
	fwrite(out->buf, 1, out->len, stdout);
	crm_buf_reset(out);
}

/* Columns first..last-1 side by side, each w wide. */
static void
band(struct bcol *c, size_t first, size_t last, size_t w)
{
	struct crm_buf out = CRM_BUF_INIT;
	size_t i, p, k, rows;

	for (p = 0; p < NPARTS; p++) {
		for (rows = 0, i = first; i < last; i++)
			if (c[i].part[p].n > rows)
				rows = c[i].part[p].n;
		for (k = 0; k < rows; k++) {
			for (i = first; i < last; i++) {
				cell(&out, k < c[i].part[p].n ?
				    c[i].part[p].v[k] : "", w);
				if (i + 1 < last)
					crm_buf_adds(&out, "  ");
			}
			put(&out);
		}
		if (p != P_HEAD)
			continue;
		for (i = first; i < last; i++) {
			for (k = 0; k < w; k++)
				crm_buf_adds(&out, "\xE2\x94\x80");
			if (i + 1 < last)
				crm_buf_adds(&out, "  ");
		}
		put(&out);
	}
	crm_buf_release(&out);
}

/* The columns fitted to the terminal: in bands when they do not fit. */
static void
draw(const cJSON *recs)
{
	size_t n = (size_t)cJSON_GetArraySize(recs), i, w, per, need = MIN_W;
	struct bcol *c = crm_xcalloc(n + 1, sizeof(*c));
	size_t tw = (size_t)crm_term_width(stdout);
	const cJSON *rec;

	if (tw == 0)
		tw = 80;
	i = 0;
	cJSON_ArrayForEach(rec, recs) {
		column(rec, &c[i]);
		if (c[i].need > need)
			need = c[i].need;
		i++;
	}
	per = (tw + GAP) / (need + GAP);
	if (per == 0)
		per = 1;
	if (per > n)
		per = n;
	w = per > 0 ? (tw - GAP * (per - 1)) / per : need;
	if (w < need)
		w = need;
	for (i = 0; i < n; i += per) {
		if (i > 0)
			fputc('\n', stdout);
		band(c, i, i + per < n ? i + per : n, w);
	}
	for (i = 0; i < n && c[i].part[P_MONEY].n == 0; i++)
		;
	if (i < n)
		fputs("\n~ weighted by win probability\n", stdout);
	for (i = 0; i < n; i++)
		for (w = 0; w < NPARTS; w++)
			crm_strv_clear(&c[i].part[w]);
	free(c);
}

static int
collect(const cJSON *rec, void *arg)
{
	cJSON_AddItemToArray(arg, cJSON_Duplicate(rec, 1));
	return 0;
}

int
deal_cmd_board(struct cli *cli, int argc, char **argv)
{
	struct crm_board_query q = { NULL, NULL, NULL, 3 };
	char bound[CRM_TIME_LEN];
	struct crm_error *err;
	struct crm_out *out = NULL;
	enum crm_format fmt;
	cJSON *recs = NULL;
	const char *arg;
	int c, ind;

	while ((c = cli_getopt(cli, argc, argv, &arg, &ind)) != -1) {
		if (c == O_PIPELINE)
			q.pipeline = arg;
		else if (c == O_CURRENCY)
			q.currency = arg;
		else if (c == O_TOP)
			q.top = (int)cli_number(cli, "--top", arg, 1, LONG_MAX);
		else {
			deal_as_of(cli, arg, bound);
			q.as_of = bound;
		}
	}
	if (ind < argc)
		cli_usage_error(cli, "unexpected argument \"%s\" (use "
		    "--pipeline)", argv[ind]);
	if ((err = cli_db(cli, CRM_DB_READ)) != NULL ||
	    (err = cli_format(cli, &fmt)) != NULL)
		return cli_error(cli, err);
	if (fmt == CRM_FMT_TABLE && cli->fields == NULL) {
		recs = cJSON_CreateArray();
		if ((err = crm_deal_board(cli->db, &q, collect, recs)) == NULL)
			draw(recs);
		cJSON_Delete(recs);
		return cli_error(cli, err);
	}
	if ((err = cli_out(cli, crm_board_columns, crm_board_columns, NULL,
	    &out)) == NULL && (err = crm_deal_board(cli->db, &q,
	    cli_write_one, out)) == NULL)
		err = crm_out_finish(out);
	crm_out_free(out);
	return cli_error(cli, err);
}
