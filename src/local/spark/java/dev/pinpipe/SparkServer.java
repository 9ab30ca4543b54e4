// The local Spark runtime's server: one warm SparkSession (Spark 4 + Delta Lake + a Derby-backed Hive
// metastore under the lake) that pinpipe's TypeScript code drives over HTTP on 127.0.0.1.
//
// POST /sql      {"statement": "...", "args": {"name": value}, "group": "id", "maxRows": n}
//                -> {"columns": [{"name","type"}], "rows": [{...}], "rowCount": n, "truncated": bool}
//                   errors -> HTTP 400 {"error": message, "errorClass": ..., "sqlState": ...}
// POST /cancel   {"group": "id"}      cancels the Spark jobs of a running statement
// GET  /health   {"ok": true, "sparkVersion": ...}
// POST /shutdown stops the session and exits
//
// Every request must carry `Authorization: Bearer <token>`, the secret of this start (given in the
// mode-600 file named by --token-file, read once and removed at start): 401 otherwise. A
// request with an Origin header (a web page's) is refused 403, a POST whose body is not application/json
// 415, a wrong method 405: no other local process and no browser can run SQL as the user. The HTTP server,
// the driver and its block manager bind 127.0.0.1 only.
package dev.pinpipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

public final class SparkServer {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) throws Exception {
    Map<String, String> opts = parseArgs(argv);
    Path lake = Path.of(require(opts, "lake")).toAbsolutePath();
    Files.createDirectories(lake);
    int port = Integer.parseInt(opts.getOrDefault("port", "0"));
    String master = opts.getOrDefault("master", "local[*]");
    String shuffle = opts.getOrDefault("shuffle-partitions", "64");
    // The token file is read once and removed: the launcher keeps its own copy where it needs one.
    Path tokenFile = Path.of(require(opts, "token-file"));
    String token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
    Files.deleteIfExists(tokenFile);
    if (token.length() < 32) throw new IllegalArgumentException("the token in --token-file must have 32+ characters");
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);

    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("pinpipe-local")
            .master(master)
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.ansi.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", shuffle)
            // File listings in parallel (VACUUM's, a partition discovery) in 8 tasks, not
            // Spark's 10,000: on a local machine those tasks made a VACUUM of a small table take 20 s.
            .config("spark.sql.sources.parallelPartitionDiscovery.parallelism", "8")
            .config("spark.sql.warehouse.dir", lake.resolve("warehouse").toString())
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            // As on Databricks: a table created without USING is a Delta table.
            .config("spark.sql.sources.default", "delta")
            .config("spark.sql.jsonGenerator.ignoreNullFields", "false")
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                "jdbc:derby:;databaseName=" + lake.resolve("metastore_db") + ";create=true")
            .config("spark.driver.extraJavaOptions", "-Dderby.system.home=" + lake)
            .enableHiveSupport();
    // Spark Connect in this JVM, for Python notebooks: bound to 127.0.0.1 and authenticated by the token the
    // launcher puts in SPARK_CONNECT_AUTHENTICATE_TOKEN (which the Python workers it starts inherit).
    int connectPort = Integer.parseInt(opts.getOrDefault("connect-port", "0"));
    if (connectPort > 0) {
      String connectToken = System.getenv("SPARK_CONNECT_AUTHENTICATE_TOKEN");
      if (connectToken == null || connectToken.length() < 32) throw new IllegalArgumentException("--connect-port needs SPARK_CONNECT_AUTHENTICATE_TOKEN (32+ characters) in the environment");
      builder
          .config("spark.plugins", "org.apache.spark.sql.connect.SparkConnectPlugin")
          .config("spark.connect.grpc.binding.address", "127.0.0.1")
          .config("spark.connect.grpc.binding.port", String.valueOf(connectPort))
          .config("spark.connect.grpc.port.maxRetries", "0")
          .config("spark.sql.streaming.stopTimeout", "60s");
    }
    System.setProperty("derby.system.home", lake.toString());
    System.setProperty("derby.stream.error.file", lake.resolve("derby.log").toString());
    SparkSession spark = builder.getOrCreate();
    spark.sparkContext().setLogLevel("WARN");

    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/health", ex -> {
      if (!allowed(ex, expected, "GET")) return;
      ObjectNode body = JSON.createObjectNode();
      body.put("ok", true);
      body.put("sparkVersion", spark.version());
      body.put("lake", lake.toString());
      reply(ex, 200, body);
    });
    server.createContext("/sql", ex -> {
      if (allowed(ex, expected, "POST")) handleSql(spark, ex);
    });
    server.createContext("/cancel", ex -> {
      if (!allowed(ex, expected, "POST")) return;
      JsonNode req = readJson(ex);
      String group = req.path("group").asText("");
      if (!group.isEmpty()) spark.sparkContext().cancelJobGroup(group);
      ObjectNode body = JSON.createObjectNode();
      body.put("cancelled", group);
      reply(ex, 200, body);
    });
    server.createContext("/shutdown", ex -> {
      if (!allowed(ex, expected, "POST")) return;
      ObjectNode body = JSON.createObjectNode();
      body.put("stopping", true);
      reply(ex, 200, body);
      new Thread(() -> {
        server.stop(0);
        spark.stop();
        System.exit(0);
      }).start();
    });
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(spark::stop));
    // The TypeScript launcher waits for this line; it carries the port actually bound.
    System.out.println("PINPIPE_SPARK_READY port=" + server.getAddress().getPort() + " version=" + spark.version() + " connect=" + connectPort);
    System.out.flush();
  }

  private static void handleSql(SparkSession spark, HttpExchange ex) throws IOException {
    JsonNode req;
    try {
      req = readJson(ex);
    } catch (IOException e) {
      reply(ex, 400, error("request body is not JSON: " + e.getMessage(), null, null));
      return;
    }
    String statement = req.path("statement").asText("");
    String group = req.path("group").asText("");
    int maxRows = req.path("maxRows").asInt(100_000);
    Map<String, Object> args = new HashMap<>();
    Object[] positional = null;
    JsonNode argsNode = req.get("args");
    if (argsNode != null && argsNode.isObject()) {
      @SuppressWarnings("unchecked")
      Map<String, Object> given = JSON.convertValue(argsNode, Map.class);
      args.putAll(given);
    } else if (argsNode != null && argsNode.isArray()) {
      // Positional parameters (`?` markers), in order.
      positional = JSON.convertValue(argsNode, Object[].class);
    }
    boolean decimalsAsText = req.path("decimalsAsText").asBoolean(false);
    try {
      if (!group.isEmpty()) spark.sparkContext().setJobGroup(group, "pinpipe statement", true);
      Dataset<Row> df = positional != null && positional.length > 0 ? spark.sql(statement, positional)
          : args.isEmpty() ? spark.sql(statement) : spark.sql(statement, args);
      if (decimalsAsText) {
        // Decimals keep every digit as text (a JSON number would go through a double on the client's side).
        StructField[] fields = df.schema().fields();
        org.apache.spark.sql.Column[] cols = new org.apache.spark.sql.Column[fields.length];
        boolean any = false;
        for (int i = 0; i < fields.length; i++) {
          org.apache.spark.sql.Column c = df.col("`" + fields[i].name().replace("`", "``") + "`");
          if (fields[i].dataType() instanceof org.apache.spark.sql.types.DecimalType) { c = c.cast("string"); any = true; }
          cols[i] = c.as(fields[i].name());
        }
        if (any) {
          ObjectNode types = JSON.createObjectNode();
          for (StructField f : fields) types.put(f.name(), f.dataType().simpleString());
          Dataset<Row> text = df.select(cols);
          df = text;
          req = ((ObjectNode) req).set("originalTypes", types);
        }
      }
      ObjectNode body = JSON.createObjectNode();
      ArrayNode columns = body.putArray("columns");
      JsonNode originalTypes = req.get("originalTypes");
      for (StructField f : df.schema().fields()) {
        ObjectNode c = columns.addObject();
        c.put("name", f.name());
        c.put("type", originalTypes != null && originalTypes.has(f.name()) ? originalTypes.get(f.name()).asText() : f.dataType().simpleString());
      }
      ArrayNode rows = body.putArray("rows");
      boolean truncated = false;
      if (df.schema().fields().length > 0) {
        List<String> lines = df.toJSON().takeAsList(maxRows + 1);
        truncated = lines.size() > maxRows;
        for (int i = 0; i < Math.min(lines.size(), maxRows); i++) rows.add(JSON.readTree(lines.get(i)));
      }
      body.put("rowCount", rows.size());
      body.put("truncated", truncated);
      reply(ex, 200, body);
    } catch (Throwable t) {
      String cls = null;
      String state = null;
      Throwable root = t;
      while (!(root instanceof SparkThrowable) && root.getCause() != null && root.getCause() != root) root = root.getCause();
      if (root instanceof SparkThrowable st) {
        cls = st.getCondition();
        state = st.getSqlState();
      }
      String msg = t.getMessage() == null ? t.toString() : t.getMessage();
      reply(ex, 400, error(msg, cls, state));
    } finally {
      if (!group.isEmpty()) spark.sparkContext().clearJobGroup();
    }
  }

  /** Checks origin, token, method and content type; answers the refusal itself and returns false. */
  private static boolean allowed(HttpExchange ex, byte[] expected, String method) throws IOException {
    String why = null;
    int status = 0;
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (ex.getRequestHeaders().containsKey("Origin")) { status = 403; why = "cross-origin requests are refused"; }
    else if (auth == null || !MessageDigest.isEqual(auth.getBytes(StandardCharsets.UTF_8), expected)) { status = 401; why = "a valid Authorization: Bearer token is required"; }
    else if (!ex.getRequestMethod().equals(method)) { status = 405; why = "use " + method; }
    else if (method.equals("POST")) {
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      if (type == null || !type.toLowerCase().split(";")[0].trim().equals("application/json")) { status = 415; why = "the body must be application/json"; }
    }
    if (why == null) return true;
    ex.getRequestBody().close();
    reply(ex, status, error(why, null, null));
    return false;
  }

  private static ObjectNode error(String message, String errorClass, String sqlState) {
    ObjectNode body = JSON.createObjectNode();
    body.put("error", message);
    if (errorClass != null) body.put("errorClass", errorClass);
    if (sqlState != null) body.put("sqlState", sqlState);
    return body;
  }

  private static JsonNode readJson(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readAllBytes();
      return bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
    }
  }

  private static void reply(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static Map<String, String> parseArgs(String[] argv) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + argv[i]);
      out.put(argv[i].substring(2), argv[i + 1]);
    }
    return out;
  }

  private static String require(Map<String, String> opts, String key) {
    String v = opts.get(key);
    if (v == null) throw new IllegalArgumentException("missing --" + key);
    return v;
  }

  private SparkServer() {}
}
