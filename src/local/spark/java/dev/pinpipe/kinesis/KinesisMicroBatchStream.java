// The micro-batch stream: lists the shards of the streams, fetches records on the driver (GetRecords,
// up to maxRecordsPerFetch a shard a batch, each shard at most once per shardFetchInterval) and hands each
// batch's records to its tasks. Offsets per shard live in the checkpoint, so a restarted query re-reads
// exactly the range of an uncommitted batch and goes on after the last committed one. New shards (a split
// or a merge) are found by listing and read from TRIM_HORIZON; a closed shard read to its end is marked.
package dev.pinpipe.kinesis;

import java.math.BigInteger;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.streaming.MicroBatchStream;
import org.apache.spark.sql.connector.read.streaming.Offset;
import org.apache.spark.sql.connector.read.streaming.ReadLimit;
import org.apache.spark.sql.connector.read.streaming.SupportsTriggerAvailableNow;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.KinesisClientBuilder;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

public final class KinesisMicroBatchStream implements MicroBatchStream, SupportsTriggerAvailableNow {
  static {
    // kinesalite and every Kinesis API speak JSON; the SDK's default CBOR is not needed.
    System.setProperty("aws.cborEnabled", "false");
  }

  private static final long LIST_EVERY_MILLIS = 10_000;

  /** What the driver has fetched of one shard beyond the last committed position. */
  private static final class Fetch {
    KinesisOffset.Pos base;
    String iterator;
    final List<KinesisRecord> pending = new ArrayList<>();
    boolean drained;
    boolean caughtUp;
    long lastFetch;
  }

  private final KinesisOptions opts;
  private KinesisClient client;
  private final Map<String, Fetch> fetches = new HashMap<>();
  private long lastList;
  private Long availableNowUntil;

  KinesisMicroBatchStream(KinesisOptions opts) {
    this.opts = opts;
  }

  private synchronized KinesisClient client() {
    if (client == null) {
      KinesisClientBuilder b = KinesisClient.builder().region(Region.of(opts.region)).httpClient(UrlConnectionHttpClient.builder().build());
      if (opts.endpoint != null) b.endpointOverride(URI.create(opts.endpoint));
      b.credentialsProvider(opts.accessKey != null ? StaticCredentialsProvider.create(AwsBasicCredentials.create(opts.accessKey, opts.secretKey)) : DefaultCredentialsProvider.builder().build());
      client = b.build();
    }
    return client;
  }

  private static String key(String stream, String shard) {
    return stream + "/" + shard;
  }

  private List<Shard> listShards(String stream) {
    List<Shard> out = new ArrayList<>();
    String token = null;
    try {
      do {
        ListShardsRequest req = token == null ? ListShardsRequest.builder().streamName(stream).build() : ListShardsRequest.builder().nextToken(token).build();
        ListShardsResponse res = client().listShards(req);
        out.addAll(res.shards());
        token = res.nextToken();
      } while (token != null);
    } catch (ResourceNotFoundException e) {
      throw new IllegalStateException("kinesis: stream " + stream + " does not exist" + (opts.endpoint != null ? " at " + opts.endpoint : " in " + opts.region) + " (" + e.awsErrorDetails().errorMessage() + ")", e);
    }
    return out;
  }

  /** Adds the shards not in the offset yet: at the start, the initial position; later (a reshard), TRIM_HORIZON. */
  private KinesisOffset withShards(KinesisOffset off, boolean initial) {
    KinesisOffset out = off.copy();
    long now = System.currentTimeMillis();
    for (String stream : opts.streams) {
      TreeMap<String, KinesisOffset.Pos> shards = out.shards.computeIfAbsent(stream, s -> new TreeMap<>());
      for (Shard s : listShards(stream)) {
        if (shards.containsKey(s.shardId())) continue;
        KinesisOffset.Pos p;
        if (!initial || opts.initialPosition.equals("trim_horizon")) p = new KinesisOffset.Pos(null, "trim_horizon", 0, false);
        else if (opts.initialPosition.equals("at_timestamp")) p = new KinesisOffset.Pos(null, "at_timestamp", opts.atTimestampMillis, false);
        else p = new KinesisOffset.Pos(null, "at_timestamp", now, false); // latest: what arrives from now on
        shards.put(s.shardId(), p);
      }
    }
    lastList = now;
    return out;
  }

  @Override
  public Offset initialOffset() {
    return withShards(new KinesisOffset(new TreeMap<>()), true);
  }

  @Override
  public Offset deserializeOffset(String json) {
    return KinesisOffset.parse(json);
  }

  @Override
  public ReadLimit getDefaultReadLimit() {
    return ReadLimit.allAvailable();
  }

  @Override
  public void prepareForTriggerAvailableNow() {
    availableNowUntil = System.currentTimeMillis();
  }

  @Override
  public Offset latestOffset() {
    throw new UnsupportedOperationException("latestOffset(start, limit) is used");
  }

  @Override
  public synchronized Offset latestOffset(Offset startOffset, ReadLimit limit) {
    KinesisOffset start = (KinesisOffset) startOffset;
    if (System.currentTimeMillis() - lastList >= LIST_EVERY_MILLIS) start = withShards(start, false);
    KinesisOffset end = start.copy();
    for (Map.Entry<String, TreeMap<String, KinesisOffset.Pos>> s : start.shards.entrySet()) {
      for (Map.Entry<String, KinesisOffset.Pos> e : s.getValue().entrySet()) {
        KinesisOffset.Pos pos = e.getValue();
        if (pos.ended) continue;
        Fetch f = fetchFrom(s.getKey(), e.getKey(), pos);
        fill(s.getKey(), e.getKey(), f, false);
        KinesisOffset.Pos next = pos;
        int take = Math.min(f.pending.size(), opts.maxRecordsPerFetch);
        if (take > 0) next = next.withAfter(f.pending.get(take - 1).sequenceNumber);
        if (f.drained && take == f.pending.size()) next = next.withEnded();
        end.shards.get(s.getKey()).put(e.getKey(), next);
      }
    }
    return end;
  }

  /** The fetch state of a shard, positioned just after `pos` (reset when it was elsewhere, as after a restart). */
  private Fetch fetchFrom(String stream, String shard, KinesisOffset.Pos pos) {
    Fetch f = fetches.get(key(stream, shard));
    if (f != null && !f.base.equals(pos)) {
      int drop = -1;
      if (java.util.Objects.equals(pos.after, f.base.after) && pos.start.equals(f.base.start)) {
        f.base = pos;
        return f;
      }
      if (pos.after != null && pos.start.equals(f.base.start)) {
        for (int i = 0; i < f.pending.size(); i++) if (f.pending.get(i).sequenceNumber.equals(pos.after)) drop = i;
      }
      if (drop >= 0) {
        f.pending.subList(0, drop + 1).clear();
        f.base = pos;
      } else {
        f = null;
      }
    }
    if (f == null) {
      f = new Fetch();
      f.base = pos;
      fetches.put(key(stream, shard), f);
    }
    return f;
  }

  private String iteratorAt(String stream, String shard, KinesisOffset.Pos pos) {
    GetShardIteratorRequest.Builder b = GetShardIteratorRequest.builder().streamName(stream).shardId(shard);
    if (pos.after != null) b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(pos.after);
    else if (pos.start.equals("at_timestamp")) b.shardIteratorType(ShardIteratorType.AT_TIMESTAMP).timestamp(Instant.ofEpochMilli(pos.ts));
    else b.shardIteratorType(ShardIteratorType.TRIM_HORIZON);
    return client().getShardIterator(b.build()).shardIterator();
  }

  /** One GetRecords on the shard (or more when `untilSeq` must be reached); appends to pending. */
  private void fill(String stream, String shard, Fetch f, boolean force) {
    if (f.drained || (availableNowUntil != null && f.caughtUp)) return;
    long now = System.currentTimeMillis();
    if (!force && (f.pending.size() >= opts.maxRecordsPerFetch || now - f.lastFetch < opts.shardFetchIntervalMillis)) return;
    f.lastFetch = now;
    KinesisOffset.Pos from = f.pending.isEmpty() ? f.base : f.base.withAfter(f.pending.get(f.pending.size() - 1).sequenceNumber);
    if (f.iterator == null) f.iterator = iteratorAt(stream, shard, from);
    GetRecordsResponse res;
    try {
      res = client().getRecords(b -> b.shardIterator(f.iterator).limit(Math.max(1, opts.maxRecordsPerFetch - f.pending.size())));
    } catch (ExpiredIteratorException e) {
      f.iterator = iteratorAt(stream, shard, from);
      return;
    } catch (ProvisionedThroughputExceededException e) {
      return;
    }
    for (Record r : res.records()) {
      long arrival = r.approximateArrivalTimestamp() == null ? now : r.approximateArrivalTimestamp().toEpochMilli();
      if (availableNowUntil != null && arrival > availableNowUntil) {
        f.caughtUp = true;
        f.iterator = null;
        return;
      }
      f.pending.add(new KinesisRecord(r.partitionKey(), r.data().asByteArray(), r.sequenceNumber(), arrival));
    }
    f.iterator = res.nextShardIterator();
    if (f.iterator == null) f.drained = true;
    if (res.records().isEmpty() && res.millisBehindLatest() != null && res.millisBehindLatest() == 0) f.caughtUp = true;
  }

  @Override
  public synchronized InputPartition[] planInputPartitions(Offset startOffset, Offset endOffset) {
    KinesisOffset start = (KinesisOffset) startOffset;
    KinesisOffset end = (KinesisOffset) endOffset;
    List<InputPartition> parts = new ArrayList<>();
    for (Map.Entry<String, TreeMap<String, KinesisOffset.Pos>> s : end.shards.entrySet()) {
      for (Map.Entry<String, KinesisOffset.Pos> e : s.getValue().entrySet()) {
        KinesisOffset.Pos to = e.getValue();
        KinesisOffset.Pos from = start.get(s.getKey(), e.getKey());
        if (from == null) from = new KinesisOffset.Pos(null, to.start, to.ts, false);
        if (to.after == null || to.after.equals(from.after)) continue;
        BigInteger last = new BigInteger(to.after);
        Fetch f = fetchFrom(s.getKey(), e.getKey(), from);
        // A batch re-run after a restart: fetch its exact range again.
        int empty = 0;
        while (f.pending.isEmpty() || f.pending.get(f.pending.size() - 1).seq.compareTo(last) < 0) {
          int before = f.pending.size();
          f.caughtUp = false;
          fill(s.getKey(), e.getKey(), f, true);
          empty = f.pending.size() == before ? empty + 1 : 0;
          if (empty > 0 && (f.drained || empty > 100)) {
            throw new IllegalStateException("kinesis: records up to sequence number " + to.after + " of " + s.getKey() + "/" + e.getKey() + " can no longer be read (past the stream's retention?)");
          }
        }
        List<KinesisRecord> batch = new ArrayList<>();
        for (KinesisRecord r : f.pending) if (r.seq.compareTo(last) <= 0) batch.add(r);
        parts.add(new KinesisPartition(s.getKey(), e.getKey(), batch));
      }
    }
    return parts.toArray(new InputPartition[0]);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    return new KinesisPartition.Factory();
  }

  @Override
  public synchronized void commit(Offset endOffset) {
    KinesisOffset end = (KinesisOffset) endOffset;
    for (Map.Entry<String, TreeMap<String, KinesisOffset.Pos>> s : end.shards.entrySet()) {
      for (Map.Entry<String, KinesisOffset.Pos> e : s.getValue().entrySet()) {
        Fetch f = fetches.get(key(s.getKey(), e.getKey()));
        if (f != null) fetchFrom(s.getKey(), e.getKey(), e.getValue());
      }
    }
  }

  @Override
  public synchronized void stop() {
    if (client != null) client.close();
    client = null;
  }
}
