package dev.pinpipe.kinesis;

import java.math.BigInteger;

/** A record as GetRecords gave it. */
final class KinesisRecord {
  final String partitionKey;
  final byte[] data;
  final String sequenceNumber;
  final BigInteger seq;
  final long arrivalMillis;

  KinesisRecord(String partitionKey, byte[] data, String sequenceNumber, long arrivalMillis) {
    this.partitionKey = partitionKey;
    this.data = data;
    this.sequenceNumber = sequenceNumber;
    this.seq = new BigInteger(sequenceNumber);
    this.arrivalMillis = arrivalMillis;
  }
}
