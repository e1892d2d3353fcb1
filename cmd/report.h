/*
 * crm-report's drawings of a report (cmd/report_chart.c): what
 * crm-report.c hands over once the report has run.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "crm_report.h"

/* A row's name and value as a chart reads them (report_points()). */
struct report_point {
	char		*label;		/* the label column; null: "(none)" */
	char		*series;	/* r->series's value and the currency */
	char		*currency;	/* rows per currency: the currency */
	const char	*scale;		/* amounts: the currency, a scale each */
	char		*text;		/* the value as the records print it */
	double		 value;
};

/*
 * The points of r: label from r->label, series from r->series and the
 * row's currency when per_currency is set, value from r->value, a number or a decimal
 * string (null or text that is not a number: 0).  Amounts in different
 * currencies are not drawn to one scale; *money says there are some.
 * *v is the caller's, freed with report_points_free().
 */
void	 report_points(const struct crm_report *r, int per_currency,
	    struct report_point **v, size_t *n, int *money);
void	 report_points_free(struct report_point *v, size_t n);

/*
 * The terminal chart on fp, width columns wide, under the line "title:
 * value": a bar per point ("label series"; the bars of one scale share
 * it), or a sparkline per series when periodic.  colour: ANSI colour on
 * the bars.
 */
void	 report_chart(FILE *fp, const char *title, const char *value,
	    const struct report_point *v, size_t n, int periodic, int width,
	    int colour);

/*
 * A standalone SVG 1.1 document on fp: horizontal bars, or a line per
 * series when periodic.  No script, no external reference, every text
 * escaped.
 */
void	 report_svg(FILE *fp, const char *title, const char *value,
	    const struct report_point *v, size_t n, int periodic);

#endif
