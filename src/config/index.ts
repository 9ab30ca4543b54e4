export { loadConfig, namesFor, formatConfigIssues, TABLES } from './load.ts';
export type { Config, ConfigOverrides, Names, TableKey } from './load.ts';
export { configSchema, USER_ID_PATTERN } from './schema.ts';
export type { ApiSettings, DagSettings, DatabricksTarget, JobsSettings, KafkaSettings, LocalTarget, RawConfig, SparkSettings, StreamSettings, Target } from './schema.ts';
export { childEnvironment } from './env.ts';
