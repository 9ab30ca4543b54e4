// The environment a service started by pinpipe gets: this process's own, plus the variables the service
// needs (a token, the Python a JVM runs its workers with). The one place outside the CLI that reads it.
export function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
