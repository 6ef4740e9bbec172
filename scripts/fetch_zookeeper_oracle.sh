#!/usr/bin/env bash
# Fetches Apache ZooKeeper 3.9.3 (Debian trixie's libzookeeper-java) into .oracle/zookeeper-3.9.3/
# without touching the system's apt sources: a private sources list naming this machine's own
# Debian mirror with the trixie suite, private lists and cache. The jars run on Java 17 with
# bookworm's dependency jars (apt-get install zookeeper puts those in /usr/share/java).
# Idempotent: does nothing when the jars are already there. Exit 0 with a message if it cannot.
set -euo pipefail

cd "$(dirname "$0")/.."
VERSION=3.9.3
PACKAGE_VERSION="${VERSION}-1+deb13u1"
dest="${PADDOCK_ORACLE_DIR:-$PWD/.oracle}/zookeeper-${VERSION}"
if [ -f "$dest/zookeeper-${VERSION}.jar" ] && [ -f "$dest/zookeeper-jute-${VERSION}.jar" ]; then
  echo "oracle: ZooKeeper ${VERSION} already in $dest"
  exit 0
fi

# The mirror the machine already uses (deb822 .sources or a classic sources.list).
mirror="$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2> /dev/null || true) | awk '{print $2}' | grep -v security | head -n 1)"
if [ -z "$mirror" ]; then
  mirror="$( (grep -hE '^deb ' /etc/apt/sources.list 2> /dev/null || true) | awk '{print $2}' | grep -v security | head -n 1)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work="$(mktemp -d "${TMPDIR:-/tmp}/paddock-oracle.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb $mirror trixie main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root" -q)
if ! apt-get "${apt_opts[@]}" update > "$work/update.log" 2>&1; then
  echo "oracle: apt-get update of trixie from $mirror failed; ZooKeeper ${VERSION} not fetched"
  tail -n 5 "$work/update.log"
  exit 0
fi
(cd "$work" && apt-get "${apt_opts[@]}" download "libzookeeper-java=${PACKAGE_VERSION}" > "$work/download.log" 2>&1) || {
  echo "oracle: apt-get download libzookeeper-java=${PACKAGE_VERSION} failed"
  tail -n 5 "$work/download.log"
  exit 0
}
dpkg-deb -x "$work"/libzookeeper-java_*.deb "$work/x"
mkdir -p "$dest"
cp "$work/x/usr/share/java/zookeeper-${VERSION}.jar" "$work/x/usr/share/java/zookeeper-jute-${VERSION}.jar" "$dest/"
echo "oracle: ZooKeeper ${VERSION} in $dest"
