/*
 * Helpers for the record and store tests.
 */

#ifndef STORE_SUPPORT_H_INCLUDED
#define STORE_SUPPORT_H_INCLUDED


#include <stddef.h>
#include <stdint.h>


/* a fresh directory under /tmp (the test fails if none can be made) */
char *test_tmpdir(void);
void test_rmtree(const char *dir);

/* recomputes a record frame's checksum after the test changed the body */
void test_reseal(uint8_t *rec, size_t len);


#endif /* STORE_SUPPORT_H_INCLUDED */
