# Sums a Java Flight Recorder file's CPU samples by what they were doing (from_json, Parquet writing, Delta
# statistics, ...): `python3 bench/prof/jfrcat.py /tmp/full.jfr` after `npx tsx bench/prof/jfr.ts 1000000 /tmp/full.jfr`.
import json, subprocess, sys, collections
f = sys.argv[1]
raw = subprocess.run(['jfr', 'print', '--json', '--stack-depth', '120', '--events', 'jdk.ExecutionSample', f], capture_output=True, text=True).stdout
ev = json.loads(raw)['recording']['events']
cats = [
 ('json_array_length', ['lengthOfJsonArray']),
 ('from_json', ['JsonToStructs']),
 ('delta stats', ['DeltaTaskStatisticsTracker']),
 ('parquet write', ['ParquetOutputWriter', 'ParquetFileWriter', 'InternalParquetRecordWriter', 'ColumnChunkPageWriteStore']),
 ('parquet read', ['VectorizedParquetRecordReader', 'ParquetFileFormat', 'VectorizedColumnReader', 'ParquetReadSupport', 'FileScanRDD']),
 ('regex', ['java/util/regex']),
 ('sort', ['UnsafeExternalSorter', 'UnsafeExternalRowSorter', 'UnsafeInMemorySorter', 'TimSort', 'RadixSort']),
 ('shuffle', ['ShuffleExternalSorter', 'UnsafeShuffleWriter', 'SortShuffleWriter', 'BlockStoreShuffleReader', 'ShuffleBlockFetcherIterator']),
 ('window', ['WindowGroupLimit', 'WindowExec', 'WindowEvaluator']),
 ('codegen stage', ['GeneratedIteratorForCodegen']),
 ('task other', ['Task.run']),
]
c = collections.Counter(); n = 0
for e in ev:
    fr = e['values']['stackTrace']['frames']
    if not fr: continue
    n += 1
    names = [x['method']['type']['name'] + '.' + x['method']['name'] for x in fr]
    joined = '\n'.join(names)
    for cat, ms in cats:
        if any(m in joined for m in ms): c[cat] += 1; break
    else: c['driver/other'] += 1
print('samples', n)
for k, v in c.most_common(): print(f'{100*v/n:5.1f}% {k}')
