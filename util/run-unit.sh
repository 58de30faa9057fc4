#!/bin/sh
# Runs every unit test binary given and sums their results; cmocka prints
# its own report per binary.

status=0
for t in "$@"; do
    "$t" || status=1
done

exit $status
