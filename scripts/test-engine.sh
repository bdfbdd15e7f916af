#!/usr/bin/env bash
# The test engine: a real Docker Engine for the tests, and the images they use, built locally (no registry
# is reachable). Idempotent; stops only what it started.
#
#   scripts/test-engine.sh start   install what is missing, start dockerd if no engine answers, build images
#   scripts/test-engine.sh stop    stop the dockerd this script started (if it did)
#
# dockerd starts with a stand-in nvidia-container-runtime-hook on its PATH, so it registers its NVIDIA device
# driver and honours GPU requests: a container then sees NVIDIA_VISIBLE_DEVICES set to the ids it was given.
set -euo pipefail

STATE_DIR=${ENVCTL_TEST_ENGINE_DIR:-/tmp/envctl-test-engine}
CACHE_DIR=${ENVCTL_IMAGE_CACHE:-/var/cache/envctl-test-images}
PIDFILE=$STATE_DIR/dockerd.pid
mkdir -p "$STATE_DIR" "$CACHE_DIR"

log() { echo "--- test engine: $*"; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  [ -x /bin/busybox ] && /bin/busybox --list | grep -qx httpd || missing+=(busybox-static)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  # The "remote GPU server" of test/e2e/remote.test.ts: its sshd, the laptop's ssh, and unison on both.
  command -v sshd >/dev/null 2>&1 || missing+=(openssh-server)
  command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
  command -v unison >/dev/null 2>&1 || missing+=(unison)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

engine_answers() { docker info >/dev/null 2>&1; }

start_dockerd() {
  if engine_answers; then
    log "an engine already answers; using it"
    return
  fi
  local hookdir=$STATE_DIR/bin
  mkdir -p "$hookdir"
  printf '#!/bin/sh\n# stand-in for the NVIDIA Container Toolkit hook: lets dockerd honour GPU requests on a machine without GPUs\nexit 0\n' > "$hookdir/nvidia-container-runtime-hook"
  chmod +x "$hookdir/nvidia-container-runtime-hook"
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  PATH="$hookdir:$PATH" setsid dockerd >"$STATE_DIR/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 60); do
    engine_answers && { log "dockerd answers ($(docker version --format '{{.Server.Version}}'))"; return; }
    sleep 0.5
  done
  tail -20 "$STATE_DIR/dockerd.log" >&2
  echo "dockerd did not answer within 30 s" >&2
  exit 1
}

build_busybox() {
  docker image inspect busybox:latest >/dev/null 2>&1 && return
  log "building busybox:latest from Debian's busybox-static"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  rm -rf "$root"
}

# A real Jupyter Notebook image: a Debian bookworm root with Debian's jupyter-notebook (Notebook 6), kept as a tarball in
# the cache so later runs only import it. Tagged with the name the jupyter template's base_image uses.
build_jupyter() {
  local tag=envctl-test/jupyter:bookworm
  docker image inspect "$tag" >/dev/null 2>&1 && return
  local tarball=$CACHE_DIR/jupyter-bookworm-v2.tar
  if [ ! -s "$tarball" ]; then
    log "building a Debian Jupyter root with debootstrap (about two minutes; cached in $CACHE_DIR)"
    local root; root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$STATE_DIR/debootstrap.log" 2>&1
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook jupyter-core python3-pip >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*' >>"$STATE_DIR/debootstrap.log" 2>&1
    tar -C "$root" -c . > "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "importing $tag"
  docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' "$tarball" "$tag" >/dev/null
}

# The jupyter template's default base image, so the README's tour runs as written on the test engine.
tag_template_images() {
  docker image inspect python:3.11-slim >/dev/null 2>&1 || docker tag envctl-test/jupyter:bookworm python:3.11-slim
}

case "${1:-start}" in
  start)
    install_packages
    start_dockerd
    build_busybox
    if [ "${ENVCTL_SKIP_JUPYTER_IMAGE:-}" != 1 ]; then
      build_jupyter
      tag_template_images
    fi
    ;;
  stop)
    if [ -s "$PIDFILE" ]; then
      pid=$(cat "$PIDFILE")
      if kill -0 "$pid" 2>/dev/null; then
        log "stopping the dockerd it started (pid $pid)"
        kill "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      fi
      rm -f "$PIDFILE"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
