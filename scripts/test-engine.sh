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
cd "$(dirname "$0")/.."

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
  # The local registry that pulls come from, and what builds the stand-in package index and serves it.
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  # A Slurm cluster for test/e2e/slurm.test.ts: its daemons and commands, munge, and Charliecloud for the jobs.
  command -v slurmctld >/dev/null 2>&1 || missing+=(slurmctld)
  command -v slurmd >/dev/null 2>&1 || missing+=(slurmd)
  command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
  command -v munged >/dev/null 2>&1 || missing+=(munge)
  command -v ch-run >/dev/null 2>&1 || missing+=(charliecloud-runtime)
  command -v ch-convert >/dev/null 2>&1 || missing+=(charliecloud-builders)
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
  mkdir -p "$root/bin" "$root/etc" "$root/home" "$root/root" "$root/tmp" "$root/var" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
  # The users and groups the real image has (docker-library/busybox, Dockerfile.builder: passwd.txt, group.txt);
  # an unprivileged runtime binds its own over them, and refuses an image without them (Charliecloud's ch-run).
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  rm -rf "$root"
}

# A Debian bookworm root with the named Debian packages, imported as TAG; kept as a tarball in the cache so later
# runs only import it. Extra arguments are docker import's changes (-c ...).
debian_image() {
  local tag=$1 name=$2 packages=$3; shift 3
  docker image inspect "$tag" >/dev/null 2>&1 && return
  local tarball=$CACHE_DIR/$name.tar log=$STATE_DIR/debootstrap-$name.log
  if [ ! -s "$tarball" ]; then
    log "building a Debian root for $tag with debootstrap (about two minutes; cached in $CACHE_DIR)"
    local root; root=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$log" 2>&1
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    chroot "$root" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*" >>"$log" 2>&1
    tar -C "$root" -c . > "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  log "importing $tag"
  docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$@" "$tarball" "$tag" >/dev/null
}

# A real Jupyter Notebook image: Debian's jupyter-notebook (Notebook 6).
build_jupyter() {
  debian_image envctl-test/jupyter:bookworm jupyter-bookworm-v2 'jupyter-notebook jupyter-core python3-pip' \
    -c 'ENV PIP_BREAK_SYSTEM_PACKAGES=1'
}

# Python 3.11 and pip (no Jupyter): what the stand-in base images are built from.
build_python_root() {
  debian_image envctl-test/bookworm-python:1 bookworm-python-v1 'python3 python3-pip python3-venv ca-certificates netbase tzdata'
}

STANDIN_LABEL=dev.envctl.test.standin

# docker build, its output (the CLI's notice that the classic builder is deprecated among it) shown only on failure.
quiet_build() {
  local out
  if ! out=$(docker build -q "$@" 2>&1); then echo "$out" >&2; return 1; fi
}

# The built-in templates' default base images, as stand-ins built from their real Dockerfiles' facts
# (test/fixtures/images/*/Dockerfile), so the README's tour and each template build as written. A real image
# of that name already here (a developer's machine) is kept; an older test engine's tag of the Jupyter image
# as python:3.11-slim is replaced.
build_standin() {
  local folder=$1 tag=$2 version=$3
  local label; label=$(docker image inspect -f "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$tag" 2>/dev/null || true)
  [ "$label" = "$folder-$version" ] && return
  if [ -z "$label" ] && docker image inspect "$tag" >/dev/null 2>&1 &&
    [ "$(docker image inspect -f '{{.Id}}' "$tag")" != "$(docker image inspect -f '{{.Id}}' envctl-test/jupyter:bookworm 2>/dev/null)" ]; then
    log "keeping the $tag already on the engine"
    return
  fi
  log "building the stand-in $tag"
  quiet_build --label "$STANDIN_LABEL=$folder-$version" -t "$tag" "test/fixtures/images/$folder"
}

# The stand-in distributions (test/fixtures/pypi) as a PEP 503 index, served on the default bridge's gateway so
# (docker0's address) that builds (which run on that bridge) and this host both reach it: http://<gateway>:$INDEX_PORT/simple/.
INDEX_PORT=3141
index_url() { echo "http://$(ip -4 -o addr show docker0 | awk '{ sub("/.*", "", $4); print $4; exit }'):$INDEX_PORT/simple/"; }
start_index() {
  local url; url=$(index_url)
  if curl -fsS "${url}notebook/" >/dev/null 2>&1; then log "a package index answers at $url"; return; fi
  rm -rf "$STATE_DIR/pypi"
  python3 test/fixtures/pypi/build-index.py "$STATE_DIR/pypi"
  local address=${url#http://}; address=${address%%:*}
  setsid python3 test/fixtures/pypi/serve-index.py "$STATE_DIR/pypi" --bind "$address" --port "$INDEX_PORT" \
    >"$STATE_DIR/index.log" 2>&1 < /dev/null &
  echo $! > "$STATE_DIR/index.pid"
  for _ in $(seq 1 40); do curl -fsS "${url}notebook/" >/dev/null 2>&1 && { log "package index at $url"; return; }; sleep 0.25; done
  echo "the package index did not answer at $url" >&2
  exit 1
}

# Debian's docker-registry on 127.0.0.1:5000 (the engine pulls from loopback over HTTP), holding a multi-layer
# image and the stand-in python image, so that pulls really happen.
REGISTRY=127.0.0.1:5000
start_registry() {
  if ! curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1; then
    mkdir -p "$STATE_DIR/registry"
    printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\nlog:\n  level: warn\n' \
      "$STATE_DIR/registry" "$REGISTRY" > "$STATE_DIR/registry.yml"
    setsid docker-registry serve "$STATE_DIR/registry.yml" >"$STATE_DIR/registry.log" 2>&1 < /dev/null &
    echo $! > "$STATE_DIR/registry.pid"
    for _ in $(seq 1 40); do curl -fsS "http://$REGISTRY/v2/" >/dev/null 2>&1 && break; sleep 0.25; done
    curl -fsS "http://$REGISTRY/v2/" >/dev/null || { tail "$STATE_DIR/registry.log" >&2; exit 1; }
    log "registry at $REGISTRY"
  fi
  curl -fsS "http://$REGISTRY/v2/envctl-test/layers/manifests/3" -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null 2>&1 && return
  log "pushing the test images to $REGISTRY"
  local context; context=$(mktemp -d)
  # Three layers of a few MB each over busybox's one: a pull with progress to show.
  printf 'FROM busybox:latest\nRUN head -c 6000000 /dev/urandom > /one\nRUN head -c 4000000 /dev/urandom > /two\nRUN head -c 2000000 /dev/urandom > /three\n' > "$context/Dockerfile"
  quiet_build -t "$REGISTRY/envctl-test/layers:3" "$context"
  rm -rf "$context"
  docker tag python:3.11-slim "$REGISTRY/library/python:3.11-slim"
  for image in envctl-test/layers:3 library/python:3.11-slim; do
    docker push -q "$REGISTRY/$image" >/dev/null
    docker rmi "$REGISTRY/$image" >/dev/null
  done
}

stop_pidfile() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid; pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$file"
}

case "${1:-start}" in
  start)
    install_packages
    start_dockerd
    build_busybox
    if [ "${ENVCTL_SKIP_JUPYTER_IMAGE:-}" != 1 ]; then
      build_jupyter
      build_python_root
      build_standin python-slim python:3.11-slim 1
      build_standin pytorch pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime 1
      start_index
      start_registry
    fi
    ;;
  stop)
    stop_pidfile "$STATE_DIR/index.pid"
    stop_pidfile "$STATE_DIR/registry.pid"
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
