export { SparkClient, SparkStatementError } from './client.ts';
export { checkJava, installSpark, installedSpark, useJavaHome } from './install.ts';
export { openSpark, shareSession, startDaemon, stopDaemon } from './server.ts';
export type { SparkSession } from './server.ts';
