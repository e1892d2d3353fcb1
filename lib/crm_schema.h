/*
 * The ordered migrations, one list for the whole database; each domain
 * module provides the SQL for its own tables and schema.c orders them.
 * Migration N takes user_version from N-1 to N.
 */
#ifndef CRM_SCHEMA_H
#define CRM_SCHEMA_H

#include <stddef.h>

struct crm_migration {
	const char	*module;
	const char	*sql;
};

/* The migrations in order; *n is their count (the schema version). */
const struct crm_migration *crm_schema_migrations(size_t *n);

extern const char crm_db_schema_1[];		/* events */
extern const char crm_contact_schema_1[];	/* contacts, tags */
extern const char crm_activity_schema_1[];	/* activities */
extern const char crm_search_schema_1[];	/* contact_search (FTS5) */
extern const char crm_privacy_schema_1[];	/* suppressions, consent */
extern const char crm_pipeline_schema_1[];	/* pipelines, stages */
extern const char crm_deal_schema_1[];		/* deals, tags, history */
extern const char crm_money_schema_1[];		/* rates */
extern const char crm_ticket_schema_1[];	/* tickets, comments */
extern const char crm_kb_schema_1[];		/* kb_articles, kb_fts */
extern const char crm_ticket_schema_2[];	/* tickets' SLA due times */
extern const char crm_sla_schema_1[];	/* sla_policies, calendars ... */
extern const char crm_ticket_ingest_schema_1[];	/* attachments, mail refs */
extern const char crm_search_schema_2[];	/* search_backlog */
extern const char crm_segment_schema_1[];	/* segments, members */
extern const char crm_score_schema_1[];	/* score_rules, contact_scores */
extern const char crm_campaign_schema_1[];	/* campaigns, campaign_sends */
extern const char crm_campaign_schema_2[];	/* campaigns.send_boot */

#endif
