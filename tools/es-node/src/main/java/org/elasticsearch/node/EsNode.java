package org.elasticsearch.node;

import commerce.esnode.CommercePlugin;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Elasticsearch 8 for development and CI, started in-process from the Maven Central jars.
 *
 * <p>The real distribution loads its modules from a modules/ directory that only the tarball has. Elasticsearch's
 * own test framework starts nodes differently: a {@link Node} whose PluginsService lists plugin classes found on
 * the classpath (MockNode + MockPluginsService). This class does the same, without MockNode itself, whose
 * constructors initialise the JUnit test base class (randomized testing, test security policy, jar-hell checks).
 * It lives in org.elasticsearch.node because the Node constructor and NodeServiceProvider it needs are
 * package-private; on the classpath that is allowed.
 *
 * <p>Usage: {@code java -cp 'lib/*' org.elasticsearch.node.EsNode HOME HOST HTTP_PORT TRANSPORT_PORT [key=value...]}
 * where HOME is a directory owned by the user running it (data/ and logs/ go under it) and the extra key=value
 * pairs are further node settings. Stop it with SIGTERM: a shutdown hook closes the node cleanly.
 */
public final class EsNode extends Node {

    /** The plugins loaded from the classpath: HTTP/transport (Netty) and our stand-ins for missing modules. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, CommercePlugin.class);

    private EsNode(Environment environment) {
        super(
            NodeConstruction.prepareConstruction(
                environment,
                null, // no PluginsLoader: nothing is read from modules/ or plugins/ directories
                new NodeServiceProvider() {
                    @Override
                    PluginsService newPluginService(Environment env, PluginsLoader loader) {
                        return new MockPluginsService(env.settings(), env, PLUGINS);
                    }
                },
                true // forbid private index settings (index.version.created...), as a production node does
            )
        );
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: EsNode HOME HOST HTTP_PORT TRANSPORT_PORT [setting=value...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));

        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "commerce-dev")
            // Without a log4j2.properties log4j would print errors only; INFO shows start-up, index creation...
            .put("logger.level", "INFO")
            .put("node.name", "es-node")
            // One node, no cluster formation: it elects itself master and never looks for peers.
            .put("discovery.type", "single-node")
            // HTTP and transport both bound to loopback only (network.host covers both).
            .put("network.host", args[1])
            .put("http.port", args[2])
            // Nothing ever connects to the transport port, but it is always opened; keep it off the 9300 default.
            .put("transport.port", args[3])
            // A dev box or CI disk may well be over 90% full; the disk watermarks would then make every
            // index read-only. Disk protection is pointless for throw-away data.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        // No security setting: security lives in x-pack, which is not on the classpath (xpack.* settings would even
        // be rejected as unknown). So: plain HTTP, no TLS, no users, which is what the dev/CI setup wants.
        for (int i = 4; i < args.length; i++) { // extra settings: key=value
            int eq = args[i].indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected key=value, got " + args[i]);
            settings.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Settings nodeSettings = settings.build();

        // Elasticsearch's log4j set-up without a log4j2.properties: INFO to the console (our log file).
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(nodeSettings);

        // Reads config/elasticsearch.yml if someone put one there, applies defaults, checks paths.
        Environment environment = InternalSettingsPreparer.prepareEnvironment(nodeSettings, Map.of(), null, () -> "es-node");
        EsNode node = new EsNode(environment);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS); // flushes shards so the next start needs no recovery
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "es-node-shutdown"));

        node.start();
        stopped.await(); // the node's threads are daemons: keep the JVM alive until SIGTERM
    }
}
