#ifndef CLINLOAD_CLIBPQ_SHIM_H
#define CLINLOAD_CLIBPQ_SHIM_H
#include <libpq-fe.h>

/* The PG_DIAG_* field codes are character-literal macros, which Swift does not
 * import. Re-export the ones clinload reads: all of them are safe to log (codes
 * and object names), unlike the message and DETAIL fields, which quote values. */
static inline int clinload_pg_diag_sqlstate(void) { return 'C'; }          /* PG_DIAG_SQLSTATE */
static inline int clinload_pg_diag_schema_name(void) { return 's'; }       /* PG_DIAG_SCHEMA_NAME */
static inline int clinload_pg_diag_table_name(void) { return 't'; }        /* PG_DIAG_TABLE_NAME */
static inline int clinload_pg_diag_column_name(void) { return 'c'; }       /* PG_DIAG_COLUMN_NAME */
static inline int clinload_pg_diag_constraint_name(void) { return 'n'; }   /* PG_DIAG_CONSTRAINT_NAME */
static inline int clinload_pg_diag_severity(void) { return 'V'; }          /* PG_DIAG_SEVERITY_NONLOCALIZED */

#endif
