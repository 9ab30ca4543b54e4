// The options of Databricks' Kinesis connector that the local source reads, checked when the query starts:
// a missing stream name or a bad value fails with the option's name.
package dev.pinpipe.kinesis;

import java.io.Serializable;
import java.net.URI;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

public final class KinesisOptions implements Serializable {
  public List<String> streams = new ArrayList<>();
  public String region;
  public String endpoint;
  public String accessKey;
  public String secretKey;
  /** latest, trim_horizon (earliest) or at_timestamp. */
  public String initialPosition;
  /** For at_timestamp: the instant, in epoch milliseconds. */
  public long atTimestampMillis;
  public int maxRecordsPerFetch;
  public long shardFetchIntervalMillis;

  static KinesisOptions parse(CaseInsensitiveStringMap o) {
    KinesisOptions k = new KinesisOptions();
    String names = o.get("streamName");
    if (names == null || names.isBlank()) throw new IllegalArgumentException("kinesis: the option streamName is required (a comma-separated list of stream names)");
    for (String s : names.split(",")) if (!s.isBlank()) k.streams.add(s.trim());
    k.region = o.getOrDefault("region", System.getenv().getOrDefault("AWS_REGION", "us-east-1"));
    k.endpoint = o.get("endpoint");
    if (k.endpoint != null) URI.create(k.endpoint);
    k.accessKey = o.get("awsAccessKey");
    k.secretKey = o.get("awsSecretKey");
    if ((k.accessKey == null) != (k.secretKey == null)) throw new IllegalArgumentException("kinesis: awsAccessKey and awsSecretKey go together");
    String pos = o.getOrDefault("initialPosition", "latest").trim();
    if (pos.startsWith("{")) {
      // Databricks' form: {"at_timestamp": "06/25/2020 10:23:45 PDT", "format": "MM/dd/yyyy HH:mm:ss ZZZ"}
      try {
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pos);
        String at = j.path("at_timestamp").asText("");
        String format = j.path("format").asText("");
        Instant when = format.isEmpty() ? Instant.parse(at) : ZonedDateTime.parse(at, DateTimeFormatter.ofPattern(format, Locale.ROOT)).toInstant();
        k.initialPosition = "at_timestamp";
        k.atTimestampMillis = when.toEpochMilli();
      } catch (Exception e) {
        throw new IllegalArgumentException("kinesis: initialPosition " + pos + " is not {\"at_timestamp\": \"...\", \"format\": \"...\"}: " + e.getMessage());
      }
    } else {
      String p = pos.toLowerCase(Locale.ROOT);
      if (p.equals("earliest")) p = "trim_horizon";
      if (!p.equals("latest") && !p.equals("trim_horizon")) throw new IllegalArgumentException("kinesis: initialPosition " + pos + " is not latest, trim_horizon, earliest or {\"at_timestamp\": ...}");
      k.initialPosition = p;
    }
    k.maxRecordsPerFetch = intOption(o, "maxRecordsPerFetch", 10000, 1, 10000);
    k.shardFetchIntervalMillis = durationMillis(o.getOrDefault("shardFetchInterval", "1s"), "shardFetchInterval");
    return k;
  }

  private static int intOption(CaseInsensitiveStringMap o, String name, int dflt, int min, int max) {
    String v = o.get(name);
    if (v == null) return dflt;
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("kinesis: option " + name + " = " + v + " is not an integer from " + min + " to " + max);
    }
  }

  /** `1s`, `500ms`, `2m` or a number of milliseconds. */
  static long durationMillis(String v, String name) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*(\\d+)\\s*(ms|s|m)?\\s*$").matcher(v);
    if (!m.matches()) throw new IllegalArgumentException("kinesis: option " + name + " = " + v + " is not a duration such as 500ms or 1s");
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return unit.equals("ms") ? n : unit.equals("s") ? n * 1000 : n * 60_000;
  }
}
