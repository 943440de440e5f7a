#!/usr/bin/env bash
# Entrypoint of the `kafka` service in docker-compose.yml (the official apache/kafka
# image). On the first start it formats the KRaft storage with the SCRAM credentials of
# the admin and of the service principals, which only the storage format can write: on
# a broker that admits nobody without a login, the first user cannot be added later.
# Then it hands over to the image's own start-up, whose format step finds the storage
# formatted and goes on. It also writes the admin's client settings for the healthcheck.
#
# Inputs (environment): the KAFKA_* broker settings the image turns into
# server.properties, CLUSTER_ID, and RT_SCRAM_MECHANISM plus
# RT_SCRAM_<ROLE>_USERNAME/_PASSWORD for ROLE in ADMIN GATEWAY WORKER JOBS (the jobs
# principal is optional). These are not KAFKA_* on purpose: the image would write every
# KAFKA_* variable into server.properties. RT_KAFKA_HOME and RT_KAFKA_RUN exist only so
# the script can be tried outside the image.
set -euo pipefail

kafka_home=${RT_KAFKA_HOME:-/opt/kafka}
image_run=${RT_KAFKA_RUN:-/etc/kafka/docker/run}
data=${KAFKA_LOG_DIRS:?set KAFKA_LOG_DIRS}
mechanism=${RT_SCRAM_MECHANISM:-SCRAM-SHA-512}
: "${CLUSTER_ID:?set CLUSTER_ID}"
: "${RT_SCRAM_ADMIN_USERNAME:?}" "${RT_SCRAM_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD}"

# --add-scram takes name=...,password=... unquoted: a ',', ']' or '"' would cut it short
# (and a '"' would break the JAAS line the broker logs in with).
for role in ADMIN GATEWAY WORKER JOBS; do
    password_var=RT_SCRAM_${role}_PASSWORD
    if [[ ${!password_var:-} =~ [],\"\\[:space:]] ]]; then
        echo "kafka-entrypoint: KAFKA_${role}_PASSWORD may not contain ',', ']', '\"', '\\' or spaces" >&2
        exit 2
    fi
done

scram_args=()
principals=()
for role in ADMIN GATEWAY WORKER JOBS; do
    user_var=RT_SCRAM_${role}_USERNAME
    password_var=RT_SCRAM_${role}_PASSWORD
    [[ -n ${!password_var:-} ]] || continue
    scram_args+=(--add-scram "$mechanism=[name=${!user_var},password=${!password_var}]")
    principals+=("${!user_var}")
done

if [[ ! -s $data/meta.properties ]]; then
    echo "kafka-entrypoint: formatting $data with the SCRAM credentials of ${principals[*]}"
    format_config=$(mktemp)
    trap 'rm -f "$format_config"' EXIT
    # What the storage format reads; the broker itself runs with the image's full
    # server.properties, made from the same variables.
    cat >"$format_config" <<PROPERTIES
process.roles=${KAFKA_PROCESS_ROLES:?}
node.id=${KAFKA_NODE_ID:?}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS:?}
controller.listener.names=${KAFKA_CONTROLLER_LISTENER_NAMES:?}
listeners=${KAFKA_LISTENERS:?}
advertised.listeners=${KAFKA_ADVERTISED_LISTENERS:?}
listener.security.protocol.map=${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:?}
inter.broker.listener.name=${KAFKA_INTER_BROKER_LISTENER_NAME:?}
sasl.enabled.mechanisms=${KAFKA_SASL_ENABLED_MECHANISMS:?}
sasl.mechanism.inter.broker.protocol=${KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL:?}
sasl.mechanism.controller.protocol=${KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL:?}
listener.name.controller.sasl.enabled.mechanisms=${KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS:?}
log.dirs=$data
PROPERTIES
    "$kafka_home/bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" \
        --config "$format_config" "${scram_args[@]}"
    rm -f "$format_config"
    trap - EXIT
fi

# The healthcheck logs in as the admin, like any other client.
(
    umask 077
    cat >/tmp/refactortrack-admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$mechanism
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$RT_SCRAM_ADMIN_USERNAME" password="$RT_SCRAM_ADMIN_PASSWORD";
PROPERTIES
)

# The image's start-up must not see our variables (it would pass them on to the broker).
unset RT_SCRAM_ADMIN_PASSWORD RT_SCRAM_GATEWAY_PASSWORD RT_SCRAM_WORKER_PASSWORD \
    RT_SCRAM_JOBS_PASSWORD
exec "$image_run"
