#include <stddef.h>

#include "crm_schema.h"

/* Append only: a released migration never changes. */
static const struct crm_migration migrations[] = {
	{ "db", crm_db_schema_1 },
	{ "contact", crm_contact_schema_1 },
	{ "activity", crm_activity_schema_1 },
	{ "search", crm_search_schema_1 },
	{ "privacy", crm_privacy_schema_1 },
	{ "pipeline", crm_pipeline_schema_1 },
	{ "deal", crm_deal_schema_1 },
	{ "money", crm_money_schema_1 },
	{ "ticket", crm_ticket_schema_1 },
	{ "kb", crm_kb_schema_1 },
	{ "ticket", crm_ticket_schema_2 },
	{ "sla", crm_sla_schema_1 },
	{ "ticket_ingest", crm_ticket_ingest_schema_1 },
	{ "search backlog", crm_search_schema_2 },
	{ "segment", crm_segment_schema_1 },
	{ "score", crm_score_schema_1 },
	{ "campaign", crm_campaign_schema_1 },
	{ "campaign", crm_campaign_schema_2 },
};

const struct crm_migration *
crm_schema_migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}
