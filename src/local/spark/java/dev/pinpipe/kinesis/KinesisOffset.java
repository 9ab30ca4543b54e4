// The source's offset: for every shard of every stream, where reading stands. `after` is the sequence
// number of the last record taken (null: none yet, start at `start`); `ended` marks a closed shard read to
// its end (its children, found by listing, start at TRIM_HORIZON). Kept as JSON in the checkpoint.
package dev.pinpipe.kinesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.spark.sql.connector.read.streaming.Offset;

public final class KinesisOffset extends Offset {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static final class Pos {
    public final String after;
    /** trim_horizon or at_timestamp: where a shard with no record taken yet starts. */
    public final String start;
    public final long ts;
    public final boolean ended;

    public Pos(String after, String start, long ts, boolean ended) {
      this.after = after;
      this.start = start;
      this.ts = ts;
      this.ended = ended;
    }

    Pos withAfter(String seq) {
      return new Pos(seq, start, ts, ended);
    }

    Pos withEnded() {
      return new Pos(after, start, ts, true);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Pos p && Objects.equals(after, p.after) && start.equals(p.start) && ts == p.ts && ended == p.ended;
    }

    @Override
    public int hashCode() {
      return Objects.hash(after, start, ts, ended);
    }
  }

  /** stream -> shardId -> position, sorted so that equal offsets have equal JSON. */
  public final TreeMap<String, TreeMap<String, Pos>> shards;

  public KinesisOffset(TreeMap<String, TreeMap<String, Pos>> shards) {
    this.shards = shards;
  }

  public Pos get(String stream, String shard) {
    TreeMap<String, Pos> s = shards.get(stream);
    return s == null ? null : s.get(shard);
  }

  public KinesisOffset copy() {
    TreeMap<String, TreeMap<String, Pos>> out = new TreeMap<>();
    shards.forEach((k, v) -> out.put(k, new TreeMap<>(v)));
    return new KinesisOffset(out);
  }

  @Override
  public String json() {
    ObjectNode root = JSON.createObjectNode();
    for (Map.Entry<String, TreeMap<String, Pos>> s : shards.entrySet()) {
      ObjectNode stream = root.putObject(s.getKey());
      for (Map.Entry<String, Pos> e : s.getValue().entrySet()) {
        Pos p = e.getValue();
        ObjectNode n = stream.putObject(e.getKey());
        if (p.after != null) n.put("after", p.after);
        n.put("start", p.start);
        if (p.start.equals("at_timestamp")) n.put("ts", p.ts);
        if (p.ended) n.put("ended", true);
      }
    }
    return root.toString();
  }

  public static KinesisOffset parse(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      TreeMap<String, TreeMap<String, Pos>> out = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> s = it.next();
        TreeMap<String, Pos> shards = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> jt = s.getValue().fields(); jt.hasNext(); ) {
          Map.Entry<String, JsonNode> e = jt.next();
          JsonNode n = e.getValue();
          shards.put(e.getKey(), new Pos(n.hasNonNull("after") ? n.get("after").asText() : null, n.path("start").asText("trim_horizon"), n.path("ts").asLong(0), n.path("ended").asBoolean(false)));
        }
        out.put(s.getKey(), shards);
      }
      return new KinesisOffset(out);
    } catch (Exception e) {
      throw new IllegalArgumentException("kinesis: the checkpoint's offset " + json + " cannot be read: " + e.getMessage(), e);
    }
  }
}
