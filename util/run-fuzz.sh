#!/bin/sh
# run-fuzz.sh SECONDS BINARY...: each libFuzzer target for SECONDS, from its
# seed corpus; new inputs go to a scratch corpus, never into the repository.

seconds=$1
shift
status=0

for bin in "$@"; do
    name=$(basename "$bin")
    seeds=tests/fuzz/corpus/$name
    work=$(dirname "$bin")/corpus-$name
    mkdir -p "$work"

    echo "fuzz: $name for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -print_final_stats=0 \
            -artifact_prefix="$(dirname "$bin")/$name-" \
            "$work" $( [ -d "$seeds" ] && echo "$seeds" ) \
            > "$(dirname "$bin")/$name.log" 2>&1
    then
        tail -40 "$(dirname "$bin")/$name.log"
        echo "fuzz: $name FAILED"
        status=1
    else
        grep -E '^#[0-9]+.*DONE' "$(dirname "$bin")/$name.log" | tail -1
    fi
done

exit $status
