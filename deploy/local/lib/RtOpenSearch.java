// Single-node OpenSearch built from the Maven Central jars: the project ships no
// distribution tarball, so this main does what bin/opensearch + Bootstrap would,
// minus the security manager, JarHell and production bootstrap checks.
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

public final class RtOpenSearch {

    // The modules a stock distribution loads from modules/ that the project relies on.
    private static final List<Class<? extends Plugin>> PLUGINS = Arrays.asList(
        org.opensearch.transport.Netty4Plugin.class,
        org.opensearch.analysis.common.CommonAnalysisPlugin.class,
        org.opensearch.painless.PainlessPlugin.class,
        org.opensearch.index.mapper.MapperExtrasPlugin.class,
        org.opensearch.index.reindex.ReindexPlugin.class,
        org.opensearch.percolator.PercolatorPlugin.class
    );

    // Node's plugin-taking constructor is protected: it exists for embedding.
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: RtOpenSearch <home> <config dir>");
            System.exit(2);
        }
        Path home = Paths.get(args[0]).toAbsolutePath();
        Path config = Paths.get(args[1]).toAbsolutePath();
        Settings input = Settings.builder().put("path.home", home.toString()).build();
        Environment env = InternalSettingsPreparer.prepareEnvironment(
            input, Collections.emptyMap(), config, () -> "refactortrack-node");
        LogConfigurator.registerErrorListener();
        // Bootstrap does this too: log patterns carry the node name.
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env);

        Node node = new EmbeddedNode(env, PLUGINS);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "rt-opensearch-shutdown"));
        node.start();
        // OpenSearch's own threads are daemons; without this the JVM would exit.
        stopped.await();
    }
}
