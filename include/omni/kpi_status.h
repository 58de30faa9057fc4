/*
 * The status of the KPI counters, rendered from a view (omni_kpi_view()):
 * JSON for the dashboard and for scripts, and the Prometheus text format.
 * Both schemas are documented in README.md ("Status JSON", "Prometheus
 * metrics"); the JSON schema number changes only with incompatible
 * changes.
 */

#ifndef OMNI_KPI_STATUS_H_INCLUDED
#define OMNI_KPI_STATUS_H_INCLUDED


#include <omni/kpi.h>
#include <omni/prom.h>


#define OMNI_KPI_STATUS_SCHEMA  1


typedef struct {
    const char  *zone;                  /* zone name */
    size_t       zone_size;             /* bytes */
    int64_t      attribution_window;    /* seconds */
    const char  *generator;             /* "ngx_omni_module/1.0" */
} omni_kpi_info_t;


/*
 * The status as JSON, in a malloc()ed buffer (not NUL-terminated) that the
 * caller frees.  OMNI_ERROR on allocation failure.
 */
int omni_kpi_status_json(const omni_kpi_view_t *view,
    const omni_kpi_info_t *info, char **out, size_t *len);

/* The status in the Prometheus text format; see omni_prom_finish() */
int omni_kpi_status_prometheus(const omni_kpi_view_t *view,
    const omni_kpi_info_t *info, omni_prom_t *w);


#endif /* OMNI_KPI_STATUS_H_INCLUDED */
