#!/bin/sh
# contrib/docker-entrypoint.sh — entry point of the omniroute container image:
#   (no arguments), "" or -flags ...  → omnirouted with those flags
#   omnirctl ARGS...                  → the control client
#   anything else                     → run it as given (sh, ls /data, ...)
# Always exec, so the program becomes PID 1 and receives docker stop's
# SIGTERM itself (omnirouted then drains its workers and exits).
set -eu

case "${1-}" in
'')
	# No argument, or an empty first one: drop it, start the daemon.
	if [ "$#" -gt 0 ]; then
		shift
	fi
	exec omnirouted "$@"
	;;
-*)
	exec omnirouted "$@"
	;;
omnirctl)
	shift
	exec omnirctl "$@"
	;;
*)
	exec "$@"
	;;
esac
