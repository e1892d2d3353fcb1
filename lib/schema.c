#include <stddef.h>

#include "crm_schema.h"

/* Append only: a released migration never changes. */
static const struct crm_migration migrations[] = {
	{ "db", crm_db_schema_1 },
	{ "contact", crm_contact_schema_1 },
};

const struct crm_migration *
crm_schema_migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}
