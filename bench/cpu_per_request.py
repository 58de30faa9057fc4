#!/usr/bin/env python3
"""Worker CPU time per request of several locations of one running nginx,
measured the same way, interleaved, so that the load of a shared machine
hits every location alike.

    bench/cpu_per_request.py PID ROUNDS URL... [-H 'Name: value']...

PID is the nginx master (one worker: pin it with taskset -pc 1 WORKER);
wrk runs pinned to core 0 for 2 s per URL per round.  Prints the median
and every run of utime+stime per request, from /proc/WORKER/stat.  Used
for the rewriting paths in the README (sendfile split or memory).
"""

import os
import re
import statistics
import subprocess
import sys


def main():
    args = sys.argv[1:]
    headers = []
    while "-H" in args:
        i = args.index("-H")
        headers += ["-H", args[i + 1]]
        del args[i:i + 2]
    master, rounds, urls = int(args[0]), int(args[1]), args[2:]
    worker = int(subprocess.check_output(["pgrep", "-P", str(master)])
                 .split()[0])
    hz = os.sysconf("SC_CLK_TCK")

    def cpu():
        with open("/proc/%d/stat" % worker) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / hz

    runs = {u: [] for u in urls}
    for r in range(rounds):
        for url in (urls if r % 2 == 0 else urls[::-1]):
            before = cpu()
            out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c8",
                                  "-d2s"] + headers + [url],
                                 capture_output=True, text=True).stdout
            after = cpu()
            n = int(re.search(r"(\d+) requests in", out).group(1))
            runs[url].append((after - before) / n * 1e6)

    for url in urls:
        print("%-50s median %6.2f us/req  runs %s"
              % (url, statistics.median(runs[url]),
                 " ".join("%.1f" % x for x in sorted(runs[url]))))


if __name__ == "__main__":
    main()
