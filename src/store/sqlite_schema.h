/* sqlite_schema.h - the migration steps of facecluster.db (sqlite_schema.c). */
#ifndef FC_STORE_SQLITE_SCHEMA_H
#define FC_STORE_SQLITE_SCHEMA_H

/* fc_sqlite_migrations[i] takes the schema from version i to i + 1. */
extern const char *const fc_sqlite_migrations[];
extern const int fc_sqlite_n_migrations;

#endif
