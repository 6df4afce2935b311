#!/bin/sh
# jscheck.sh checks the web UI's JSDoc types with TypeScript (tsc --checkJs,
# webui/static/jsconfig.json). TypeScript is for this check only: `make deps`
# installs it into scripts/.tsc (git-ignored); nothing is built or shipped.
set -eu
cd "$(dirname "$0")/.."
TSC=scripts/.tsc/node_modules/.bin/tsc
if [ ! -x "$TSC" ]; then
	echo "jscheck: no $TSC; run make deps (needs npm)" >&2
	exit 1
fi
exec "$TSC" -p webui/static/jsconfig.json
