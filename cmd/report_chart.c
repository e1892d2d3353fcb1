/*
 * The drawings of a report: bars or sparklines of Unicode blocks in the
 * terminal, and a standalone SVG.  Both read the same points, so that
 * the terminal and the mail show the same numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "crm_stream.h"
#include "crm_util.h"
#include "report.h"

/* Eighths of a cell, for the bars' ends; levels for the sparklines. */
static const char *const eighths[] = {
	"", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"
};
static const char *const levels[] = {
	"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"
};

#define COLOUR	"\033[36m"
#define PLAIN	"\033[0m"

/* A field of a row as text, as the records print it; "" for null. */
static char *
field_text(const cJSON *row, const char *key)
{
	const cJSON *v = key != NULL ? cJSON_GetObjectItemCaseSensitive(row,
	    key) : NULL;
	char buf[64];

	if (cJSON_IsString(v))
		return crm_xstrdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble == floor(v->valuedouble) &&
		    fabs(v->valuedouble) < 1e15)
			snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%g", v->valuedouble);
		return crm_xstrdup(buf);
	}
	if (cJSON_IsBool(v))
		return crm_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	return crm_xstrdup("");
}

void
report_points(const struct crm_report *r, int per_currency,
    struct report_point **out, size_t *n, int *money)
{
	struct report_point *v;
	struct crm_buf ser = CRM_BUF_INIT;
	const cJSON *row;
	char *label, *cur, *s;
	size_t i = 0;

	*n = (size_t)cJSON_GetArraySize(r->rows);
	*money = 0;
	v = *out = crm_xcalloc(*n + 1, sizeof(*v));
	cJSON_ArrayForEach(row, r->rows) {
		label = field_text(row, r->label);
		cur = per_currency ? field_text(row, "currency") :
		    crm_xstrdup("");
		if (*label == '\0') {
			free(label);
			label = crm_xstrdup("(none)");
		}
		v[i].label = label;
		v[i].currency = cur;
		s = r->series != NULL ? field_text(row, r->series) : NULL;
		crm_buf_addf(&ser, "%s%s%s", s != NULL ? s : "",
		    s != NULL && *cur != '\0' ? " " : "", cur);
		free(s);
		v[i].series = crm_buf_detach(&ser);
		v[i].text = field_text(row, r->value);
		v[i].scale = "";
		if (*cur != '\0' && cJSON_IsString(
		    cJSON_GetObjectItemCaseSensitive(row, r->value))) {
			v[i].scale = cur;
			*money = 1;
		}
		v[i].value = strtod(v[i].text, NULL);
		if (!isfinite(v[i].value))
			v[i].value = 0;
		i++;
	}
}

void
report_points_free(struct report_point *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].series);
		free(v[i].currency);
		free(v[i].text);
	}
	free(v);
}

static int
width_of(const char *s)
{
	return (int)crm_utf8_width(s, strlen(s));
}

/* The bytes of s that fit in w columns ("…" when cut); *shown its width. */
static size_t
fit(const char *s, int w, int *shown, int *cut)
{
	size_t i = 0, len;
	int used = 0, cw;

	*cut = width_of(s) > w;
	if (*cut)
		w--;
	while (s[i] != '\0') {
		for (len = 1; (s[i + len] & 0xc0) == 0x80; len++)
			;
		cw = (int)crm_utf8_width(s + i, len);
		if (used + cw > w)
			break;
		used += cw;
		i += len;
	}
	*shown = used + *cut;
	return i;
}

/* s in exactly w columns: cut with "…" or padded with spaces. */
static void
put_cell(FILE *fp, const char *s, int w, int right)
{
	int shown, cut;
	size_t n = fit(s, w, &shown, &cut);

	if (right)
		fprintf(fp, "%*s", w - shown, "");
	fwrite(s, 1, n, fp);
	if (cut)
		fputs("…", fp);
	if (!right)
		fprintf(fp, "%*s", w - shown, "");
}

/* "name CUR" in exactly w columns: the name is cut, the currency kept. */
static void
put_label(FILE *fp, const struct report_point *p, int w)
{
	int cw = *p->series != '\0' ? width_of(p->series) + 1 : 0;

	if (cw == 0 || w - cw < 2) {
		put_cell(fp, *p->series != '\0' && w - cw < 2 ? p->series :
		    p->label, w, 0);
		return;
	}
	put_cell(fp, p->label, w - cw, 0);
	fprintf(fp, " %s", p->series);
}

static int
label_width(const struct report_point *p)
{
	return width_of(p->label) + (*p->series != '\0' ?
	    width_of(p->series) + 1 : 0);
}

/* The largest value of a scale: amounts of one currency share one. */
static double
scale_max(const struct report_point *v, size_t n, const char *scale)
{
	double max = 0;
	size_t k;

	for (k = 0; k < n; k++)
		if (strcmp(v[k].scale, scale) == 0 && v[k].value > max)
			max = v[k].value;
	return max;
}

static void
bars(FILE *fp, const struct report_point *v, size_t n, int width,
    int colour)
{
	int labw = 1, valw = 1, barw, cells, i;
	double max;
	size_t k;
	long e;

	for (k = 0; k < n; k++) {
		if (label_width(&v[k]) > labw)
			labw = label_width(&v[k]);
		if (width_of(v[k].text) > valw)
			valw = width_of(v[k].text);
	}
	if (labw > width / 3)
		labw = width / 3 > 1 ? width / 3 : 1;
	if ((barw = width - labw - valw - 2) < 1)
		barw = 1;
	for (k = 0; k < n; k++) {
		put_label(fp, &v[k], labw);
		fputc(' ', fp);
		max = scale_max(v, n, v[k].scale);
		e = max > 0 && v[k].value > 0 ?
		    lround(v[k].value / max * barw * 8) : 0;
		cells = (int)(e / 8) + (e % 8 != 0);
		if (colour && e > 0)
			fputs(COLOUR, fp);
		for (i = 0; i < e / 8; i++)
			fputs(eighths[8], fp);
		fputs(eighths[e % 8], fp);
		if (colour && e > 0)
			fputs(PLAIN, fp);
		fprintf(fp, "%*s ", barw - cells, "");
		put_cell(fp, v[k].text, valw, 1);
		fputc('\n', fp);
	}
}

/* The lowest and highest of points idx[first..count) into *lo, *hi. */
static void
extremes(const struct report_point *v, const size_t *idx, size_t first,
    size_t count, size_t *lo, size_t *hi)
{
	size_t k;

	*lo = *hi = idx[first];
	for (k = first; k < count; k++) {
		if (v[idx[k]].value < v[*lo].value)
			*lo = idx[k];
		if (v[idx[k]].value > v[*hi].value)
			*hi = idx[k];
	}
}

/*
 * One sparkline of the points of series s, the last ones that fit:
 * "name CUR  FIRST ▁▃█ LAST  min X  max Y", the extremes left out when
 * they would leave fewer than 12 cells.
 */
static void
spark(FILE *fp, const char *name, const struct report_point *v, size_t n,
    const char *s, int width, int colour)
{
	size_t k, first = 0, count = 0, lo, hi, *idx;
	struct crm_buf head = CRM_BUF_INIT, tail = CRM_BUF_INIT;
	int room, lv, tailw;
	double min, max;

	idx = crm_xcalloc(n, sizeof(*idx));
	for (k = 0; k < n; k++)
		if (strcmp(v[k].series, s) == 0)
			idx[count++] = k;
	crm_buf_addf(&head, "%s%s%s  ", name, *s ? " " : "", s);
	extremes(v, idx, 0, count, &lo, &hi);
	tailw = width_of(v[lo].text) + width_of(v[hi].text) +
	    (int)strlen("  min   max ");
	room = width - width_of(head.buf) - 2 * width_of(v[idx[0]].label) - 2;
	if (room - tailw >= 12 || room - tailw >= (int)count)
		room -= tailw;
	else
		tailw = 0;
	if (room < 1)
		room = 1;
	if (count > (size_t)room)
		first = count - (size_t)room;
	extremes(v, idx, first, count, &lo, &hi);
	if (tailw > 0)
		crm_buf_addf(&tail, "  min %s  max %s", v[lo].text,
		    v[hi].text);
	min = v[lo].value;
	max = v[hi].value;
	fprintf(fp, "%s%s ", head.buf, v[idx[first]].label);
	if (colour)
		fputs(COLOUR, fp);
	for (k = first; k < count; k++) {
		lv = max > min ? (int)lround((v[idx[k]].value - min) /
		    (max - min) * 7) : max > 0 ? 7 : 0;
		fputs(levels[lv], fp);
	}
	if (colour)
		fputs(PLAIN, fp);
	fprintf(fp, " %s%s\n", v[idx[count - 1]].label, crm_buf_str(&tail));
	crm_buf_release(&head);
	crm_buf_release(&tail);
	free(idx);
}

/* Whether point k is the first of its series: series go in that order. */
static int
series_first(const struct report_point *v, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++)
		if (strcmp(v[j].series, v[k].series) == 0)
			return 0;
	return 1;
}

void
report_chart(FILE *fp, const char *title, const char *value,
    const struct report_point *v, size_t n, int periodic, int width,
    int colour)
{
	struct crm_buf head = CRM_BUF_INIT;
	int shown, cut;
	size_t k;

	crm_buf_addf(&head, "%s: %s", title, value);
	k = fit(head.buf, width, &shown, &cut);
	fwrite(head.buf, 1, k, fp);
	fputs(cut ? "…\n" : "\n", fp);
	crm_buf_release(&head);
	if (!periodic) {
		bars(fp, v, n, width, colour);
		return;
	}
	for (k = 0; k < n; k++)
		if (series_first(v, k))
			spark(fp, value, v, n, v[k].series, width, colour);
}

/* XML text: the five escapes, and no control character XML forbids. */
static void
xml_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			fputs("&amp;", fp);
		else if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '"')
			fputs("&quot;", fp);
		else if (*s == '\'')
			fputs("&apos;", fp);
		else if ((unsigned char)*s < 0x20 && *s != '\t')
			fputc(' ', fp);
		else
			fputc(*s, fp);
	}
}

/* A label cut to at most max characters, for the SVG's fixed columns. */
static void
xml_label(FILE *fp, const char *s, int max)
{
	int shown, cut;
	size_t n = fit(s, max, &shown, &cut);
	char *t = crm_xstrdup(s);

	t[n] = '\0';
	xml_text(fp, t);
	if (cut)
		fputs("…", fp);
	free(t);
}

#define SVG_W		720
#define SVG_LABEL	220	/* the bar chart's label column */
#define SVG_ROW		22
#define SVG_TOP		40
#define SVG_H		360	/* the line chart's */

static const char *const palette[] = {
	"#4878a8", "#e07b39", "#3f9f5a", "#c0504d", "#8064a2", "#7f7f7f"
};
#define NPALETTE	(sizeof(palette) / sizeof(palette[0]))

static void
svg_head(FILE *fp, const char *title, const char *value, int h)
{
	fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n<title>",
	    SVG_W, h, SVG_W, h);
	xml_text(fp, title);
	fputs(": ", fp);
	xml_text(fp, value);
	fprintf(fp, "</title>\n<rect width=\"%d\" height=\"%d\" "
	    "fill=\"#ffffff\"/>\n<text x=\"10\" y=\"24\" font-size=\"14\" "
	    "font-weight=\"bold\">", SVG_W, h);
	xml_text(fp, title);
	fputs(": ", fp);
	xml_text(fp, value);
	fputs("</text>\n", fp);
}

static void
svg_bars(FILE *fp, const struct report_point *v, size_t n)
{
	double max, w;
	size_t k;
	int y;

	for (k = 0; k < n; k++) {
		max = scale_max(v, n, v[k].scale);
		y = SVG_TOP + (int)k * SVG_ROW;
		w = max > 0 && v[k].value > 0 ? v[k].value / max *
		    (SVG_W - SVG_LABEL - 110) : 0;
		fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		    SVG_LABEL - 6, y + 13);
		xml_label(fp, v[k].label, 28);
		if (*v[k].series != '\0') {
			fputc(' ', fp);
			xml_text(fp, v[k].series);
		}
		fprintf(fp, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
		    "height=\"16\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%d\">",
		    SVG_LABEL, y + 1, w, palette[0], SVG_LABEL + w + 6, y + 13);
		xml_text(fp, v[k].text);
		fputs("</text>\n", fp);
	}
}

/* The x of the period of point k among the distinct periods. */
static size_t
period_index(const struct report_point *v, size_t k, char **periods,
    size_t np)
{
	size_t i;

	for (i = 0; i < np; i++)
		if (strcmp(periods[i], v[k].label) == 0)
			break;
	return i;
}

/* x and y of point j in the line chart's frame. */
#define LX0	70
#define LX1	(SVG_W - 30)
#define LY0	(SVG_TOP + 20)
#define LY1	(SVG_H - 40)

static double
line_x(size_t i, size_t np)
{
	return np > 1 ? LX0 + (double)(LX1 - LX0) * i / (np - 1) : LX0;
}

static double
line_y(double value, double min, double max)
{
	return LY1 - (value - min) / (max - min) * (LY1 - LY0);
}

/* A dot per point of the series of point k: a lone period still shows. */
static void
svg_dots(FILE *fp, const struct report_point *v, size_t n, size_t k,
    char **periods, size_t np, double min, double max, const char *colour)
{
	size_t j;

	fprintf(fp, "<g fill=\"%s\">\n", colour);
	for (j = k; j < n; j++)
		if (strcmp(v[j].series, v[k].series) == 0)
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" "
			    "r=\"3\"/>\n",
			    line_x(period_index(v, j, periods, np), np),
			    line_y(v[j].value, min, max));
	fputs("</g>\n", fp);
}

static void
svg_lines(FILE *fp, const struct report_point *v, size_t n)
{
	const int x0 = LX0, x1 = LX1, y0 = LY0, y1 = LY1;
	char **periods = crm_xcalloc(n + 1, sizeof(*periods));
	size_t np = 0, k, j, s = 0;
	double min = 0, max = 0, x, y;

	for (k = 0; k < n; k++) {
		if (period_index(v, k, periods, np) == np)
			periods[np++] = v[k].label;
		if (v[k].value < min)
			min = v[k].value;
		if (v[k].value > max)
			max = v[k].value;
	}
	if (max == min)
		max = min + 1;
	fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#999999\"/>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\" stroke=\"#999999\"/>\n", x0, y0, x0, y1, x0, y1, x1,
	    y1);
	fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.15g</text>\n"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.15g</text>\n",
	    x0 - 6, y0 + 4, max, x0 - 6, y1 + 4, min);
	for (k = 0; k < np; k += np > 6 ? (np + 5) / 6 : 1) {
		fprintf(fp, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
		    line_x(k, np), y1 + 18);
		xml_label(fp, periods[k], 12);
		fputs("</text>\n", fp);
	}
	for (k = 0; k < n; k++) {
		if (!series_first(v, k))
			continue;
		fprintf(fp, "<g fill=\"none\" stroke=\"%s\" stroke-width=\"2\">"
		    "\n<polyline points=\"", palette[s % NPALETTE]);
		for (j = k; j < n; j++) {
			if (strcmp(v[j].series, v[k].series) != 0)
				continue;
			x = line_x(period_index(v, j, periods, np), np);
			y = line_y(v[j].value, min, max);
			fprintf(fp, "%s%.1f,%.1f", j == k ? "" : " ", x, y);
		}
		fputs("\"/>\n</g>\n", fp);
		svg_dots(fp, v, n, k, periods, np, min, max, palette[s %
		    NPALETTE]);
		if (*v[k].series != '\0') {
			fprintf(fp, "<text x=\"%d\" y=\"%d\" fill=\"%s\">",
			    x1 - 60, SVG_TOP + 14 * (int)s, palette[s %
			    NPALETTE]);
			xml_text(fp, v[k].series);
			fputs("</text>\n", fp);
		}
		s++;
	}
	free(periods);
}

void
report_svg(FILE *fp, const char *title, const char *value,
    const struct report_point *v, size_t n, int periodic)
{
	if (periodic && n > 0) {
		svg_head(fp, title, value, SVG_H);
		svg_lines(fp, v, n);
	} else {
		svg_head(fp, title, value, SVG_TOP + (int)(n > 0 ? n : 1) *
		    SVG_ROW + 10);
		if (n == 0)
			fprintf(fp, "<text x=\"10\" y=\"%d\">no data</text>\n",
			    SVG_TOP + 13);
		svg_bars(fp, v, n);
	}
	fputs("</svg>\n", fp);
}
