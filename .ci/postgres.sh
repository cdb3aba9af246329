#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the tests: `source .ci/postgres.sh` exports NUDGEBOT_TEST_PG
# and stops the cluster (and removes its files) when the sourcing shell exits. Installs Debian's postgresql if
# it is missing. Root cannot run postgres, so the cluster runs as the `postgres` user (or the caller). fsync is
# off for speed (the data is thrown away); NUDGEBOT_PG_FSYNC=on for benchmarks.

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
    mkdir -p /etc/postgresql-common/createcluster.d  # no default cluster: this script starts its own
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/nudgebot-ci.conf
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

pg_dir=$(mktemp -d /tmp/nudgebot-pg.XXXXXX)
chmod 0755 "$pg_dir"
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U nudgebot --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories=$pg_dir -c fsync=${NUDGEBOT_PG_FSYNC:-off}" start >/dev/null

stop_postgres() {
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap stop_postgres EXIT

export NUDGEBOT_TEST_PG="postgresql://nudgebot@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL for the tests at $NUDGEBOT_TEST_PG"
