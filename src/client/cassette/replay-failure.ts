/** Why a replay refused what the client did. */
export interface ReplayFailure {
  /** `mismatch`: a byte written differs from the recording (strict); `missing`: nothing recorded matches. */
  readonly code: "mismatch" | "missing";
  /** The recorded connection (`c<n>`) or lookup (`l<n>`) concerned, or `""` when none. */
  readonly connection: string;
  /** For a mismatch, the offset in the connection's written bytes of the first difference; otherwise -1. */
  readonly offset: number;
  /** The recorded byte there, or null past the end of the recording. */
  readonly recorded: number | null;
  /** The byte the client wrote there, or null. */
  readonly sent: number | null;
  /** A sentence for people. */
  readonly reason: string;
  /** Always the caller: the program did something the cassette does not hold. */
  readonly fault: "caller";
}
