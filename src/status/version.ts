/** The version of this package, sent in the default `User-Agent: poll-http/<version>` header. */
export const VERSION: string = "0.1.0";
