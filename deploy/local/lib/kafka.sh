# shellcheck shell=bash
# Apache Kafka in KRaft single-node mode from the Maven Central jars: the
# release tarball is not on any registry this machine reaches.

kafka_vars() {
    KAFKA_CACHE=$RT_CACHE_DIR/kafka-$KAFKA_VERSION
    KAFKA_HOME=$RT_STATE_DIR/kafka
    KAFKA_DATA=$KAFKA_HOME/data
    KAFKA_CONFIG=$KAFKA_HOME/server.properties
    KAFKA_LOG=$LOG_DIR/kafka.log
    KAFKA_OUT=$LOG_DIR/kafka.out
    # What the storage was formatted for (see kafka_fingerprint).
    KAFKA_FINGERPRINT=$KAFKA_HOME/auth.fingerprint
}

kafka_logs() { echo "$KAFKA_LOG"; echo "$KAFKA_OUT"; }
kafka_where() {
    echo "$BIND_HOST:$KAFKA_PORT SASL_PLAINTEXT $KAFKA_SASL_MECHANISM (controller $BIND_HOST:$KAFKA_CONTROLLER_PORT)"
}
kafka_port() { echo "$KAFKA_PORT"; }
kafka_pid() { live_pid kafka "$KAFKA_CONFIG"; }

# Ready = the admin logs in over SCRAM and Metadata names a broker and a controller.
# The credentials travel in the environment, not on a command line others can read.
kafka_ready() {
    RT_PROBE_SASL_MECHANISM=$KAFKA_SASL_MECHANISM RT_PROBE_SASL_USERNAME=$KAFKA_ADMIN_USERNAME \
        RT_PROBE_SASL_PASSWORD=${KAFKA_ADMIN_PASSWORD:-} \
        python3 "$LIB_DIR/probe.py" kafka "$BIND_HOST" "$KAFKA_PORT" 2
}

# The storage holds the admin's SCRAM credential from format time, so it belongs to
# one mechanism, admin name and password; this digest of them tells whether the
# current secrets still open it. A state dir from before SASL has no fingerprint.
kafka_fingerprint() {
    printf 'v1 %s %s %s' "$KAFKA_SASL_MECHANISM" "$KAFKA_ADMIN_USERNAME" "${KAFKA_ADMIN_PASSWORD:-}" |
        sha256sum | cut -d' ' -f1
}

kafka_formatted_for_us() { [[ $(cat "$KAFKA_FINGERPRINT" 2>/dev/null) == "$(kafka_fingerprint)" ]]; }

# Prints why a running broker must be restarted, or fails when it need not be.
kafka_stale() {
    if ! kafka_formatted_for_us; then
        echo "its storage has no SCRAM credential for the current admin (a PLAINTEXT-era state dir, or new secrets)"
    elif ! cmp -s "$KAFKA_CONFIG" <(kafka_render_config); then
        echo "its server.properties differs from the one this stack.sh writes"
    else
        return 1
    fi
}

# The jars can vanish under us (someone clears ~/.m2), so a cache hit means
# every jar on the recorded classpath still exists.
classpath_ok() {
    local file=$1 jar
    [[ -s $file ]] || return 1
    while IFS= read -r -d: jar; do
        [[ -e $jar ]] || return 1
    done < <(tr -d '\n' <"$file"; printf ':')
}

# Resolves DEPENDENCIES (groupId:artifactId:version ...) with Maven into
# DIR/classpath.txt and a java @argfile DIR/classpath.args.
maven_classpath() {
    local dir=$1 what=$2
    shift 2
    local dep g a v deps=""
    for dep in "$@"; do
        IFS=: read -r g a v <<<"$dep"
        deps+="    <dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency>"$'\n'
    done
    mkdir -p "$dir"
    cat >"$dir/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.refactortrack.stack</groupId>
  <artifactId>$what-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps  </dependencies>
</project>
EOF
    note "$what: resolving jars from Maven Central (first run only)"
    run_logged "$what: mvn dependency:build-classpath" "$dir/mvn.log" \
        mvn -B -q -f "$dir/pom.xml" "$MVN_DEPENDENCY_PLUGIN:build-classpath" \
        -Dmdep.outputFile="$dir/classpath.txt.tmp" -Dmdep.includeScope=runtime
    mv "$dir/classpath.txt.tmp" "$dir/classpath.txt"
    printf -- '-cp "%s"\n' "$(<"$dir/classpath.txt")" >"$dir/classpath.args"
}

kafka_installed() { classpath_ok "$KAFKA_CACHE/classpath.txt" && [[ -s $KAFKA_CACHE/classpath.args ]]; }

kafka_install() {
    # Kafka 4.1 logs through slf4j 1.7, so the log4j binding is the slf4j-1
    # one (log4j-slf4j-impl), not log4j-slf4j2-impl.
    maven_classpath "$KAFKA_CACHE" kafka \
        "org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
        "org.apache.kafka:kafka-tools:$KAFKA_VERSION" \
        "org.apache.logging.log4j:log4j-core:$KAFKA_LOG4J_VERSION" \
        "org.apache.logging.log4j:log4j-slf4j-impl:$KAFKA_LOG4J_VERSION"
}

# server.properties on stdout. It holds the admin's and the controller's passwords,
# so it is written with mode 600 (kafka_write_config); Kafka logs them as [hidden].
kafka_render_config() {
    local mech_lower=${KAFKA_SASL_MECHANISM,,}
    cat <<EOF
process.roles=broker,controller
node.id=1
# Static voters rather than a formatted dynamic quorum, so the controller port
# can change in .env without reformatting.
controller.quorum.voters=1@$BIND_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
# No listener without authentication: clients (and the broker itself) log in over
# SCRAM on CLIENT; the controller listener takes SASL PLAIN from a static JAAS user,
# since a KRaft controller cannot look SCRAM credentials up in the metadata it serves.
listeners=CLIENT://$BIND_HOST:$KAFKA_PORT,CONTROLLER://$BIND_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=CLIENT://$BIND_HOST:$KAFKA_PORT
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=$KAFKA_SASL_MECHANISM
sasl.mechanism.inter.broker.protocol=$KAFKA_SASL_MECHANISM
listener.name.client.$mech_lower.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_ADMIN_USERNAME" password="$KAFKA_ADMIN_PASSWORD";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$KAFKA_CONTROLLER_PASSWORD" user_controller="$KAFKA_CONTROLLER_PASSWORD";
# Nothing is allowed that no ACL allows; refactortrack migrate writes the ACLs.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:$KAFKA_ADMIN_USERNAME;User:controller
log.dirs=$KAFKA_DATA

num.partitions=4
auto.create.topics.enable=true
delete.topic.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: the first consumer group of a test run waits for
# them all to be created.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
# Tests join groups constantly; the default 3 s delay would be paid each time.
group.initial.rebalance.delay.ms=0
EOF
}

kafka_write_config() {
    mkdir -p "$KAFKA_DATA"
    (umask 077 && kafka_render_config >"$KAFKA_CONFIG.tmp")
    mv "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
    cat >"$KAFKA_HOME/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_LOG
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.statechange.name = state.change.logger
logger.statechange.level = warn
EOF
}

kafka_java() {
    java @"$KAFKA_CACHE/classpath.args" \
        -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
        -Dkafka.logs.dir="$LOG_DIR" -Djava.awt.headless=true "$@"
}

kafka_start() {
    local secret
    for secret in KAFKA_ADMIN_PASSWORD KAFKA_CONTROLLER_PASSWORD; do
        [[ -n ${!secret:-} ]] || die "kafka: $secret is empty; 'stack.sh up' makes it in $(secrets_file)"
    done
    kafka_write_config
    # Data formatted without SASL (or for an admin whose password is gone) cannot be
    # opened with the current secrets. Kafka holds only the local stack's disposable
    # topics and offsets (the records live in Postgres), so it is formatted afresh.
    if [[ -s $KAFKA_DATA/meta.properties ]] && ! kafka_formatted_for_us; then
        note "kafka: $KAFKA_DATA has no SCRAM credential for admin '$KAFKA_ADMIN_USERNAME' (formatted before SASL, or the secrets changed); formatting it afresh: its topics and offsets are dropped"
        rm -rf "${KAFKA_DATA:?}" "$KAFKA_FINGERPRINT"
        mkdir -p "$KAFKA_DATA"
    fi
    if [[ ! -s $KAFKA_DATA/meta.properties ]]; then
        local cluster_id
        cluster_id=$(python3 -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))')
        note "kafka: formatting $KAFKA_DATA (cluster $cluster_id) with the SCRAM credential of '$KAFKA_ADMIN_USERNAME'"
        # The first credential can only be written here: nobody could log in to add it.
        kafka_java -Xmx256m kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONFIG" \
            --add-scram "$KAFKA_SASL_MECHANISM=[name=$KAFKA_ADMIN_USERNAME,password=$KAFKA_ADMIN_PASSWORD]" \
            >>"$KAFKA_OUT" 2>&1 || { show_logs 30 "$KAFKA_OUT"; die "kafka: storage format failed; log: $KAFKA_OUT"; }
        (umask 077 && kafka_fingerprint >"$KAFKA_FINGERPRINT")
    fi
    start_detached kafka "$KAFKA_OUT" java @"$KAFKA_CACHE/classpath.args" \
        -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:MaxDirectMemorySize=256m \
        -Djava.io.tmpdir="$KAFKA_HOME" \
        -Dlog4j2.configurationFile="$KAFKA_HOME/log4j2.properties" \
        -Dkafka.logs.dir="$LOG_DIR" -Djava.awt.headless=true \
        kafka.Kafka "$KAFKA_CONFIG"
}

kafka_stop() {
    local pid
    pid=$(kafka_pid) || return 0
    # Controlled shutdown of a single node is quick but not instant.
    stop_pid kafka "$pid" 30
}
