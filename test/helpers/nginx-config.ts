// The part of an nginx config that keeps nginx inside one temp dir: shared by the test nginx
// (test/helpers/nginx.ts) and the bench's (bench/nginx.ts). No imports, so the bench bundle can
// take it without the test fixtures.

/**
 * The main-context directives: one worker, and the error log, pid file and lock file in `dir`.
 * As root the master would start its worker as "nobody", which cannot read a 0700 temp dir, so
 * `user root;` comes first; as any other user nginx cannot switch users, and it is left out.
 *
 * @param dir - The temp dir.
 * @returns Config lines, newline-separated (no trailing newline).
 */
export function nginxMainDirectives(dir: string): string {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  return `${isRoot ? "user root;" : ""}
worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
lock_file ${dir}/nginx.lock;`;
}

/**
 * The http-context temp paths, every one under `dir/tmp` (which must exist).
 *
 * @param dir - The temp dir.
 * @returns Config lines, each but the first indented two spaces (for the `http` block).
 */
export function nginxTempPaths(dir: string): string {
  return `client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;`;
}
