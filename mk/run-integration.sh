#!/bin/sh
# Runs the pytest integration suite against the programs in $FACTEUR_BUILD.
set -u
cd tests/integration || exit 1
/usr/bin/python3 -m pytest -q -p no:cacheprovider -rs "$@"
rc=$?
# exit 5 is "no tests collected": that is a failure here, never a pass.
exit $rc
