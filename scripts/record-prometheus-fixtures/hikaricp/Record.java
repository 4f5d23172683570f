// Records HikariCP's Prometheus exposition (three common set-ups) after a burst that makes
// threads wait for the pool and some time out. Usage: java -cp <classpath> Record.java <jdbcUrl> <outDir>
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import com.zaxxer.hikari.metrics.prometheus.PrometheusHistogramMetricsTrackerFactory;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;

public class Record {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    Path out = Path.of(args[1]);

    // 1. Micrometer, as Spring Boot sets it up by default: the acquire timer is a summary.
    PrometheusMeterRegistry plain = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // 2. Micrometer with management.metrics.distribution.percentiles-histogram.hikaricp=true.
    PrometheusMeterRegistry histogram = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    histogram.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().startsWith("hikaricp.")) return config;
        return DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config);
      }
    });
    // 3. HikariCP's own tracker on the simpleclient, histogram flavour.
    CollectorRegistry simple = new CollectorRegistry(true);

    List<HikariDataSource> pools = new ArrayList<>();
    pools.add(pool(url, "micrometer", new MicrometerMetricsTrackerFactory(plain)));
    pools.add(pool(url, "micrometer-histogram", new MicrometerMetricsTrackerFactory(histogram)));
    pools.add(pool(url, "simpleclient", new PrometheusHistogramMetricsTrackerFactory(simple)));
    for (HikariDataSource ds : pools) burst(ds);

    Files.writeString(out.resolve("hikaricp-micrometer.txt"), plain.scrape());
    Files.writeString(out.resolve("hikaricp-micrometer-histogram.txt"), histogram.scrape());
    Files.writeString(out.resolve("hikaricp-micrometer-histogram.openmetrics.txt"),
        histogram.scrape("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    StringWriter text = new StringWriter();
    TextFormat.write004(text, simple.metricFamilySamples());
    Files.writeString(out.resolve("hikaricp-simpleclient-histogram.txt"), text.toString());
    for (HikariDataSource ds : pools) ds.close();
  }

  static HikariDataSource pool(String url, String name, com.zaxxer.hikari.metrics.MetricsTrackerFactory metrics) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setPoolName(name);
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(2);
    config.setConnectionTimeout(250);
    config.setMetricsTrackerFactory(metrics);
    return new HikariDataSource(config);
  }

  /** 6 threads × 20 checkouts holding a connection 30 ms each: waits, and a few timeouts. */
  static void burst(HikariDataSource ds) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 20; i++) {
          try (Connection c = ds.getConnection()) {
            c.createStatement().execute("SELECT pg_sleep(0.03)");
          } catch (Exception timedOut) {
            // SQLTransientConnectionException after connectionTimeout: counted by the tracker
          }
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) thread.join();
  }
}
