// One shard's records of one micro-batch. The driver fetches them (GetRecords) and the partition carries
// them to the task, so a record is read from Kinesis once; a batch re-run after a restart fetches its exact
// range (after its start, up to its end sequence number) again.
package dev.pinpipe.kinesis;

import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.unsafe.types.UTF8String;

public final class KinesisPartition implements InputPartition {
  public final String stream;
  public final String shardId;
  final String[] keys;
  final byte[][] data;
  final String[] seqs;
  final long[] arrivalMicros;

  KinesisPartition(String stream, String shardId, List<KinesisRecord> records) {
    this.stream = stream;
    this.shardId = shardId;
    int n = records.size();
    keys = new String[n];
    data = new byte[n][];
    seqs = new String[n];
    arrivalMicros = new long[n];
    for (int i = 0; i < n; i++) {
      KinesisRecord r = records.get(i);
      keys[i] = r.partitionKey;
      data[i] = r.data;
      seqs[i] = r.sequenceNumber;
      arrivalMicros[i] = r.arrivalMillis * 1000L;
    }
  }

  static final class Factory implements PartitionReaderFactory {
    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
      KinesisPartition p = (KinesisPartition) partition;
      UTF8String stream = UTF8String.fromString(p.stream);
      UTF8String shard = UTF8String.fromString(p.shardId);
      return new PartitionReader<>() {
        private int i = -1;

        @Override
        public boolean next() {
          return ++i < p.seqs.length;
        }

        @Override
        public InternalRow get() {
          return new GenericInternalRow(new Object[] {UTF8String.fromString(p.keys[i]), p.data[i], stream, shard, UTF8String.fromString(p.seqs[i]), p.arrivalMicros[i]});
        }

        @Override
        public void close() {}
      };
    }
  }
}
