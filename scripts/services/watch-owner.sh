#!/usr/bin/env bash
# watch-owner.sh <owner-pid> <server-pid>
# Kills the server once its owner (the test process that started it) is gone without stopping it:
# a crashed or force-killed Jest worker would otherwise leave brokers running. Ends by itself when
# the server stops first. Started in the background by start-*.sh when WHISKFLOW_OWNER_PID is set.
owner="$1"
server="$2"
while kill -0 "$server" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    kill -KILL "$server" 2>/dev/null
    exit 0
  fi
  sleep 1
done
