#!/bin/sh
# Load for the installed-tools test: files, processes, sleeps, syncs, signals and name lookups,
# so that bpftrace's tools have events to show. Runs for $1 seconds (default 3).
end=$(( $(date +%s) + ${1:-3} ))
while [ "$(date +%s)" -lt "$end" ]; do
  ls / >/dev/null; stat /etc/hostname >/dev/null; cat /proc/loadavg >/dev/null
  sleep 0.02; sync; kill -0 $$; getent hosts localhost >/dev/null
  dd if=/dev/zero of=/tmp/swiftrace-load.dat bs=4k count=8 conv=fsync 2>/dev/null
done
rm -f /tmp/swiftrace-load.dat
