# shellcheck shell=bash
# Shared defaults for every script and for the apps' environment. Sourced, never run.
# Every value can be overridden from the caller's environment.
# Ports are off the usual defaults so a developer's own PostgreSQL/Redis/RabbitMQ keep theirs.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export ROOT
export DATA_DIR="${DATA_DIR:-$ROOT/.data}"           # git-ignored: databases, logs, pid files
export RUN_DIR="$DATA_DIR/run"
export LOG_DIR="$DATA_DIR/logs"
export SENTRY_DIR="$DATA_DIR/sentry"                 # the mesh's root and issuer certificates (Sentry makes them)
export CACHE_DIR="${DAPR_COMMERCE_CACHE:-$HOME/.cache/dapr-commerce}"   # heavy builds, shared by clones
export SERVICE_USER="${SERVICE_USER:-commerce}"      # PostgreSQL and Elasticsearch refuse root

export PG_HOST="${PG_HOST:-127.0.0.1}" PG_PORT="${PG_PORT:-15432}"
export PG_USER="${PG_USER:-commerce}" PG_PASSWORD="${PG_PASSWORD:-commerce}" PG_DATABASE="${PG_DATABASE:-commerce}"
# The hot standby (scripts/infra/postgres.sh) the apps read from; PG_REPLICA=0 runs without one.
if [ "${PG_REPLICA:-1}" = 0 ]; then unset PG_REPLICA_PORT; else export PG_REPLICA_PORT="${PG_REPLICA_PORT:-15433}"; fi
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-63799}"
export RABBITMQ_HOST="${RABBITMQ_HOST:-127.0.0.1}" RABBITMQ_PORT="${RABBITMQ_PORT:-15674}"
export RABBITMQ_USER="${RABBITMQ_USER:-commerce}" RABBITMQ_PASSWORD="${RABBITMQ_PASSWORD:-commerce}"
export ES_HOST="${ES_HOST:-127.0.0.1}" ES_PORT="${ES_PORT:-9250}"
export STRIPE_MOCK_PORT="${STRIPE_MOCK_PORT:-12111}"
export SMTP_PORT="${SMTP_PORT:-2525}"                 # aiosmtpd (scripts/infra/smtp.sh), Maildir in $DATA_DIR/mail
# The user sidecar's SMTP binding (components/smtp.yaml) reads the port through envsecrets.
export COMMERCE_SMTP_PORT="$SMTP_PORT"
# Monitoring (scripts/infra/prometheus.sh): Prometheus, the PostgreSQL exporter, RabbitMQ's plugin.
export PROMETHEUS_HOST="${PROMETHEUS_HOST:-127.0.0.1}" PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
export PG_EXPORTER_PORT="${PG_EXPORTER_PORT:-9187}" RABBITMQ_PROMETHEUS_PORT="${RABBITMQ_PROMETHEUS_PORT:-15692}"
# Traces (scripts/infra/jaeger.sh): every sidecar exports over OTLP/HTTP to Jaeger on 4318
# (components/config/<app>.yaml names that port: a sidecar configuration takes no variables).
export JAEGER_HOST="${JAEGER_HOST:-127.0.0.1}" JAEGER_UI_PORT="${JAEGER_UI_PORT:-16686}"
export JAEGER_OTLP_PORT=4318 JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-4317}"
export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}" JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
# Helm for the chart tests (scripts/infra/helm.sh builds it into the cache).
export HELM_VERSION="${HELM_VERSION:-v3.16.4}"
export HELM="${HELM:-$CACHE_DIR/helm-$HELM_VERSION/helm}"

export DAPR_VERSION=1.18.3 DAPR_CLI_VERSION=1.16.5
export DAPR_PLACEMENT_PORT="${DAPR_PLACEMENT_PORT:-25005}" DAPR_SCHEDULER_PORT="${DAPR_SCHEDULER_PORT:-25006}"
# Sidecars announce themselves on loopback (mDNS would otherwise pick the machine's interface address).
export DAPR_HOST_IP="${DAPR_HOST_IP:-127.0.0.1}"
