// The AWS side of pinpipe as CDK stacks (see infra/README.md), and the checks run on their templates.
export { buildPinpipe, newApp, FEATURE_FLAGS, type PinpipeApp } from './app.ts';
export { infraSettings, CONTEXT_KEYS, type InfraSettings, type InfraContext } from './settings.ts';
export { KINESIS_ROUTES, KINESIS_TEMPLATES, type KinesisRoute, type KinesisAction } from './kinesis-templates.ts';
export { KINESIS_STREAM_ACTIONS } from './api-stack.ts';
export { s3SinkConfiguration } from './s3-sink.ts';
export { restProxyBootScript } from './rest-proxy.ts';
export { MSK_IAM_PORT } from './kafka-stack.ts';
export { CONNECTIONS_PREFIX } from './orchestration-stack.ts';
