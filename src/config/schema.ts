// The shape of pinpipe.yaml, validated with zod: names of topics and tables derive from the user id
// unless given, and every key is checked with its path so an error can say exactly what is wrong.
import { z } from 'zod';

export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

const tableName = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, 'a table name of letters, digits and underscores');

export const localTargetSchema = z
  .object({
    kind: z.literal('local').default('local'),
    spark: z
      .object({
        master: z.string().regex(/^local(\[(\*|\d+)\])?$/, 'local, local[N] or local[*]').default('local[*]'),
        memory: z.string().regex(/^\d+[mMgG]$/, 'a JVM heap size such as 2g or 1536m').default('3g'),
        shuffle_partitions: z.number().int().min(1).max(10000).default(8),
        start_timeout_seconds: z.number().int().min(5).max(3600).default(180),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const configSchema = z
  .object({
    user_id: z
      .string()
      .regex(USER_ID_PATTERN, 'letters, digits, _ or -, starting with a letter or digit (the original used 12 hex characters)')
      .default('0affe4008223'),
    lake_root: z.string().min(1, 'a folder path').default('./lake'),
    tables: z
      .object({ pin: tableName.optional(), geo: tableName.optional(), user: tableName.optional() })
      .strict()
      .prefault({}),
    default_target: z.string().default('local'),
    targets: z.record(z.string(), localTargetSchema).prefault({ local: {} }),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type LocalTarget = z.infer<typeof localTargetSchema>;
