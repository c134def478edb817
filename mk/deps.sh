#!/bin/sh
# Installs the Debian packages that building and testing facteur need.
# As root it runs apt-get; otherwise it prints the one command that would.
# Tests that need an extra peer (postfix, fetchmail, ...) install it
# themselves through tests/integration/conftest.py's `need_package`.
set -u
BUILD_PKGS="gcc make pkg-config libc6-dev libssl-dev libbsd-dev libcrypt-dev libcmocka-dev libc-ares-dev libpam0g-dev libseccomp-dev"
TEST_PKGS="python3 python3-pytest openssl swaks libnet-ssleay-perl curl procps strace"
# mk/check.sh: the ASan+UBSan integration pass in a network namespace
TEST_PKGS="$TEST_PKGS iproute2"
# test_power_loss.py: the disk that loses power (a FUSE file under a loop
# device; e2fsprogs and util-linux are already on every Debian system)
TEST_PKGS="$TEST_PKGS python3-fuse"
# The remote delivery tests' scripted SMTP peers (remote_fixtures.py
# imports aiosmtpd when the test files are collected, so it cannot be a
# test's own need_package)
TEST_PKGS="$TEST_PKGS python3-aiosmtpd"
# The fuzz targets (mk/fuzz.sh, run by `make check`): clang and libFuzzer.
FUZZ_PKGS="clang libclang-rt-14-dev"

missing=""
for p in $BUILD_PKGS $TEST_PKGS $FUZZ_PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing (not a Debian system: install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages. Run:" >&2
	echo "    sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
apt-get install -y -qq --no-install-recommends $missing || exit 1
