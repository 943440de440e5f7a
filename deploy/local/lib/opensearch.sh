# shellcheck shell=bash
# OpenSearch single node from the Maven Central jars, started by our own small
# main (RtOpenSearch.java) since no distribution tarball is reachable.

opensearch_vars() {
    OS_CACHE=$RT_CACHE_DIR/opensearch-$OPENSEARCH_VERSION
    OS_HOMEDIR=$OS_CACHE/home # empty modules/ and plugins/: all plugins come from the classpath
    OS_STATE=$RT_STATE_DIR/opensearch
    OS_CONFIG=$OS_STATE/config
    OS_LOG=$LOG_DIR/opensearch.log
    OS_OUT=$LOG_DIR/opensearch.out
    OS_SRC=$LIB_DIR/RtOpenSearch.java
}

opensearch_logs() { echo "$OS_LOG"; echo "$OS_OUT"; }
opensearch_where() { echo "http://$BIND_HOST:$OPENSEARCH_PORT"; }
opensearch_port() { echo "$OPENSEARCH_PORT"; }
opensearch_pid() { live_pid opensearch "$OS_CONFIG"; }
opensearch_ready() { probe opensearch "$BIND_HOST" "$OPENSEARCH_PORT" 2; }

opensearch_src_hash() { sha256sum "$OS_SRC" | cut -d' ' -f1; }

opensearch_installed() {
    classpath_ok "$OS_CACHE/classpath.txt" &&
        [[ -s $OS_CACHE/classes/RtOpenSearch.class && -s $OS_CACHE/java.args ]] &&
        [[ $(cat "$OS_CACHE/classes/.source-sha256" 2>/dev/null) == "$(opensearch_src_hash)" ]]
}

opensearch_install() {
    if ! classpath_ok "$OS_CACHE/classpath.txt"; then
        # The *-client artifacts are the distribution's modules published for
        # embedding; percolator is there for percolate queries.
        maven_classpath "$OS_CACHE" opensearch \
            "org.opensearch:opensearch:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:transport-netty4-client:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:analysis-common:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:lang-painless:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:mapper-extras-client:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:reindex-client:$OPENSEARCH_VERSION" \
            "org.opensearch.plugin:percolator-client:$OPENSEARCH_VERSION" \
            "org.apache.logging.log4j:log4j-api:$OPENSEARCH_LOG4J_VERSION" \
            "org.apache.logging.log4j:log4j-core:$OPENSEARCH_LOG4J_VERSION"
    fi
    rm -rf "$OS_CACHE/classes"
    mkdir -p "$OS_CACHE/classes" "$OS_HOMEDIR/modules" "$OS_HOMEDIR/plugins"
    run_logged "opensearch: javac RtOpenSearch.java" "$OS_CACHE/javac.log" \
        javac @"$OS_CACHE/classpath.args" -d "$OS_CACHE/classes" "$OS_SRC"
    opensearch_src_hash >"$OS_CACHE/classes/.source-sha256"
    printf -- '-cp "%s:%s"\n' "$OS_CACHE/classes" "$(<"$OS_CACHE/classpath.txt")" >"$OS_CACHE/java.args"
}

opensearch_write_config() {
    mkdir -p "$OS_CONFIG" "$OS_STATE/data" "$OS_STATE/tmp"
    cat >"$OS_CONFIG/opensearch.yml" <<EOF
cluster.name: refactortrack
node.name: refactortrack-node
path.data: $OS_STATE/data
path.logs: $LOG_DIR
network.host: $BIND_HOST
http.port: $OPENSEARCH_PORT
# Any free port in the range: nothing but this node uses the transport layer.
transport.port: 9300-9399
discovery.type: single-node
bootstrap.memory_lock: false
action.auto_create_index: true
# A nearly full disk on a dev machine must not turn indices read-only mid-test.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
    cat >"$OS_CONFIG/log4j2.properties" <<'EOF'
status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:opensearch.logs.base_path}${sys:file.separator}opensearch.log
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.deprecation.name = org.opensearch.deprecation
logger.deprecation.level = error
EOF
}

opensearch_start() {
    opensearch_write_config
    # JVM flags from the distribution's jvm.options that matter without its launcher.
    start_detached opensearch "$OS_OUT" java @"$OS_CACHE/java.args" \
        -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxDirectMemorySize=256m \
        -Djava.io.tmpdir="$OS_STATE/tmp" -Dfile.encoding=UTF-8 \
        -Djava.locale.providers=SPI,COMPAT -Djava.awt.headless=true \
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
        -Dio.netty.recycler.maxCapacityPerThread=0 \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        -Dlog4j2.formatMsgNoLookups=true \
        RtOpenSearch "$OS_HOMEDIR" "$OS_CONFIG"
}

opensearch_stop() {
    local pid
    pid=$(opensearch_pid) || return 0
    stop_pid opensearch "$pid" 30
}
