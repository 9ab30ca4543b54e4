// The local `kinesis` source for Structured Streaming: spark.readStream.format("kinesis") with the options
// and the schema of Databricks' Kinesis connector, over the AWS SDK v2 Kinesis client (kinesalite locally,
// any Kinesis API by `endpoint`). On Databricks the built-in connector is used; this one exists because no
// maintained open-source Structured Streaming Kinesis source runs on Spark 4 / Scala 2.13. Micro-batch only.
package dev.pinpipe.kinesis;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.streaming.MicroBatchStream;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

public final class KinesisSourceProvider implements TableProvider, DataSourceRegister {
  /** The columns of Databricks' Kinesis source, in its order. */
  public static final StructType SCHEMA = new StructType()
      .add("partitionKey", DataTypes.StringType)
      .add("data", DataTypes.BinaryType)
      .add("stream", DataTypes.StringType)
      .add("shardId", DataTypes.StringType)
      .add("sequenceNumber", DataTypes.StringType)
      .add("approximateArrivalTimestamp", DataTypes.TimestampType);

  @Override
  public String shortName() {
    return "kinesis";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return SCHEMA;
  }

  @Override
  public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new KinesisTable();
  }

  static final class KinesisTable implements Table, SupportsRead {
    @Override
    public String name() {
      return "kinesis";
    }

    @Override
    @SuppressWarnings("deprecation")
    public StructType schema() {
      return SCHEMA;
    }

    @Override
    public Set<TableCapability> capabilities() {
      return EnumSet.of(TableCapability.MICRO_BATCH_READ);
    }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
      KinesisOptions parsed = KinesisOptions.parse(options);
      return () -> new Scan() {
        @Override
        public StructType readSchema() {
          return SCHEMA;
        }

        @Override
        public MicroBatchStream toMicroBatchStream(String checkpointLocation) {
          return new KinesisMicroBatchStream(parsed);
        }
      };
    }
  }
}
