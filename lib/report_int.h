/*
 * The reports of crm_reports[], one function each, kept by subject:
 * report_deal.c (sales), report_customer.c (contacts and customers),
 * report_service.c (activities, tickets, campaigns, due).
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include "crm_report.h"

#define REPORT_FN(name) struct crm_error *name(struct crm_db *db, \
	    const struct crm_report_opts *o, struct crm_report *r)

REPORT_FN(report_pipeline);
REPORT_FN(report_forecast);
REPORT_FN(report_winrate);
REPORT_FN(report_velocity);
REPORT_FN(report_funnel);
REPORT_FN(report_activity);
REPORT_FN(report_tickets);
REPORT_FN(report_campaigns);
REPORT_FN(report_customers);
REPORT_FN(report_cohort);
REPORT_FN(report_clv);
REPORT_FN(report_rfm);
REPORT_FN(report_due);

#endif
