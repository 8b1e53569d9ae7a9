// The text of `poll-http --help`.
import { DEFAULT_FPS } from "./args.ts";
import { exitStatusTable } from "./exit-status.ts";

const OPTIONS = `Usage: poll-http [options] <url>

Fetches <url> with an HTTPRequest node in a SceneTree ticked at --fps frames per second and
writes the body to standard output (or to -o FILE). Options may come before or after the URL.

Options:
  -o, --output FILE        write the body to FILE (through a temporary file renamed on success;
                           only a 2xx body is written, FILE is left as it was otherwise); - for stdout
  -O, --remote-name        as -o, with the file named after the last segment of the URL's path
  -f, --fail               an HTTP status of 400 or more is an error: exit 22, nothing is written
  -X, --request METHOD     GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, CONNECT or PATCH
  -H, --header 'N: v'      add a request header (repeatable)
  -d, --data DATA          send DATA (POST unless -X); @FILE reads FILE without CR/LF; several -d are
                           joined with '&'; sets Content-Type: application/x-www-form-urlencoded
                           unless a Content-Type header is given
      --data-binary DATA   as -d, but @FILE is sent byte for byte
      --max-redirects N    follow at most N redirects (default 8; -1: no limit; 0: none)
      --max-filesize SIZE  fail when the body exceeds SIZE bytes (5000, 64K, 10M, 2G; after decompression)
      --timeout S          fail when the whole request takes more than S seconds
  -x, --proxy URL          forward proxy http://[user:password@]host[:port] (port 1080 when omitted)
      --cacert FILE        trust the PEM certificates in FILE instead of the system store
  -k, --insecure           do not verify the server's certificate or host name
  -b, --cookie DATA|FILE   send the cookies 'n=v; n2=v2' (DATA has a '='), or read a Netscape cookie
                           file (as curl's -c writes); either way cookies the server sets are kept
                           and sent on redirects as RFC 6265bis allows
  -c, --cookie-jar FILE    write every cookie to FILE (Netscape format, atomically) after the transfer
  -i, --include            write the final response's status line and headers to stdout first
  -s, --silent             no progress bar and no notes (errors are still printed)
  -v, --verbose            show the request head and each response head on stderr (escaped)
  -L, --location           accepted as in curl: redirects are always followed (see --max-redirects)
      --compressed         accepted as in curl: gzip and deflate are always asked for and decoded
      --fps N              frames per second (default ${DEFAULT_FPS}); 0 runs frames as fast as data arrives
      --record FILE        write a cassette of the exchange to FILE (secret header values hidden)
      --replay FILE        play the exchange back from the cassette FILE: no socket, same frames
  -h, --help               show this help
  -V, --version            show the version

A progress bar (bytes, rate, time left) is drawn on stderr each frame when stderr is a terminal
and the body does not go to that terminal; while the response head is awaited it says so. Every
error is one line on stderr naming its cause.

Exit status:
`;

/**
 * The help text: usage, options and the exit-status table.
 *
 * @returns The text, ending with a newline.
 */
export function usageText(): string {
  const rows = exitStatusTable().map(([status, meaning]) => `  ${String(status).padStart(3)}  ${meaning}`);
  return `${OPTIONS}${rows.join("\n")}\n`;
}
