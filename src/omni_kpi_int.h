/*
 * The layout of a KPI table, shared by the files of libomni that read
 * it (the counters, the snapshot file).  Not a public header.
 */

#ifndef OMNI_KPI_INT_H_INCLUDED
#define OMNI_KPI_INT_H_INCLUDED


#include <omni/kpi.h>


#define OMNI_KPI_MAGIC          0x49504b4fu     /* "OKPI" */
#define OMNI_KPI_ALIGN          64

#define OMNI_KPI_KEY_MAX        (OMNI_KPI_NAME_MAX + OMNI_KPI_SHORT_MAX)

#define OMNI_KPI_ROW_EMPTY      0
#define OMNI_KPI_ROW_BUSY       1               /* key being written */
#define OMNI_KPI_ROW_READY      2

/* a series bucket: the hour (mod 2^24) in the top bits, the count below */
#define OMNI_KPI_STAMP_SHIFT    40
#define OMNI_KPI_STAMP_MASK     0xffffffu
#define OMNI_KPI_COUNT_MASK     ((UINT64_C(1) << OMNI_KPI_STAMP_SHIFT) - 1)


/*
 * One row: 192 bytes, three cache lines.  A lookup reads the first (state,
 * hash and, for keys under 48 bytes, the whole key); an increment writes
 * one counter.
 */
typedef struct {
    uint32_t   state;
    uint32_t   hash;
    uint8_t    dim;
    uint8_t    name_len;
    uint8_t    variant_len;
    uint8_t    pad0[5];
    char       key[OMNI_KPI_KEY_MAX];           /* name, then variant */
    uint64_t   v[OMNI_KPI_NMETRICS];
    uint8_t    pad1[8];
} omni_kpi_slot_t;


struct omni_kpi_s {
    uint32_t         magic;
    uint32_t         version;
    uint32_t         nrows;
    uint32_t         slot_size;
    uint64_t         size;
    int64_t          since;
    int64_t          persisted;
    uint32_t         used;
    uint32_t         pad0[5];

    uint64_t         total[OMNI_KPI_NMETRICS] __attribute__((aligned(64)));
    uint64_t         ops[OMNI_KPI_NOPS] __attribute__((aligned(64)));
    uint64_t         series[OMNI_KPI_HOURS][OMNI_KPI_NSERIES]
                         __attribute__((aligned(64)));

    omni_kpi_slot_t  rows[] __attribute__((aligned(64)));
};


#define omni_kpi_load64(p)      __atomic_load_n(p, __ATOMIC_RELAXED)
#define omni_kpi_add64(p, n)    __atomic_fetch_add(p, n, __ATOMIC_RELAXED)


int omni_kpi_key_valid(const char *s, size_t len, size_t max);
omni_kpi_slot_t *omni_kpi_find(omni_kpi_t *t, omni_kpi_dim_e dim,
    omni_str_t name, omni_str_t variant, int *rc);
void omni_kpi_series_add(omni_kpi_t *t, omni_kpi_series_e s, int64_t hour,
    uint64_t n);


#endif /* OMNI_KPI_INT_H_INCLUDED */
