/** The application's version, reported by `/health` and the CLI. */
export const VERSION = "0.1.0";
