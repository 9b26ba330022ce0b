/**
 * What must never reach a log line or a terminal, as pure functions: Spark's own redaction of
 * conf values (for the Run File command line) and the redaction of text meant for the log
 * (credentials in URLs, sensitive query parameters, credential headers). The process and the
 * HTTP requests still get the real values; only what is shown is redacted.
 */

/**
 * Spark's default `spark.redaction.regex` (4.x; 3.5 lacks `credential`): a conf or environment
 * variable whose key or value matches is shown by Spark as `*********(redacted)`.
 */
export const SPARK_REDACTION_REGEX = /secret|password|token|access[.]?key|credential/i;

/** What Spark prints instead of a redacted value. */
export const REDACTED_VALUE = '*********(redacted)';

/** Whether Spark would redact this key's value (its key or its value matches). */
export function sparkRedacts(key: string, value: string, extra?: RegExp): boolean {
  return [SPARK_REDACTION_REGEX, extra].some((r) => !!r && (r.test(key) || r.test(value)));
}

/**
 * A job's own `spark.redaction.regex` (a Java pattern) as a JavaScript one: a leading `(?i)` is
 * the `i` flag; a pattern JavaScript cannot read is left out (the default still applies).
 */
export function javaRedactionRegex(pattern: string | undefined): RegExp | undefined {
  if (!pattern) return undefined;
  const m = /^\(\?i\)/.exec(pattern);
  try {
    return new RegExp(m ? pattern.slice(m[0].length) : pattern, m ? 'i' : '');
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Text meant for the log

/**
 * Query, fragment and matrix parameter names whose values are credentials: tokens of every
 * kind, keys, secrets, passwords, signatures (S3/GCS/Azure presigned URLs), JWTs, sessions,
 * OAuth codes. Short names (`key`, `sig`, `code`…) count whole or after a separator only, so
 * `monkey` or `keys` stay.
 */
const SENSITIVE_PARAM =
  /(?:token|secret|passw(?:or)?d|pwd|signature|credentials?|jwt|apikey|accesskey|sessionid)$|(?:^|[-_.])(?:key|sig|auth|authorization|session|code|pass)$/i;

/** Whether a parameter of this name (URL-encoded or not) carries a credential. */
export function isSensitiveParam(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    /* a malformed escape: test the name as it is */
  }
  return SENSITIVE_PARAM.test(decoded);
}

/** A URL as it sits in text: a scheme, `://`, then anything up to whitespace, a quote or `<>`. */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s"'<>`]+)/gi;

/**
 * One URL with its userinfo removed whole. The userinfo is there when an `@` sits in the
 * authority, or when the URL starts `user:` followed by something that is not a port (a raw
 * `/`, `?` or `#` in a password ends the authority for a URL parser, which would then leak the
 * rest of the password). It runs to the last `@` of the URL: a later `@` in the path or query is
 * hidden with it, so more is hidden, never less.
 */
function withoutUserinfo(scheme: string, rest: string): string {
  const lastAt = rest.lastIndexOf('@');
  if (lastAt < 0) return scheme + rest;
  const authorityEnd = rest.search(/[/?#]/);
  const inAuthority = authorityEnd < 0 || rest.indexOf('@') < authorityEnd;
  const userColon = /^[^/?#:@]*:(?!\d*(?:[/?#]|$))/.test(rest);
  return inAuthority || userColon ? `${scheme}***@${rest.slice(lastAt + 1)}` : scheme + rest;
}

/** `name=value` after `?`, `&`, `#` or `;` (queries, fragments, matrix parameters): not in a path. */
const PARAM = /([?&#;])([^=&\s#?;"'<>]+)=([^&\s#;"'<>)]*)/g;

/** Credential headers, as `Name: value` text or `"Name": "value"` JSON. */
const AUTH_HEADER = /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(basic\s+|bearer\s+|negotiate\s+|digest\s+)?[^\s"',}&]+/gi;
const VALUE_HEADER = /\b(set-cookie|cookie|x-api-key|x-auth-token)(["']?\s*:\s*["']?)[^\r\n"']+/gi;

/** `spark.x.y=value` (or any dotted conf key) whose key or value Spark would redact. */
const CONF_ASSIGNMENT = /\b([a-z][\w-]*(?:\.[\w-]+)+)=([^\s"']+)/gi;

/**
 * Text with credentials removed: userinfo of every URL, the values of sensitive query, fragment
 * and matrix parameters, credential headers and Spark conf values Spark itself would redact.
 */
export function redact(text: string): string {
  return text
    .replace(URL_IN_TEXT, (_m, scheme: string, rest: string) => withoutUserinfo(scheme, rest))
    .replace(PARAM, (m, sep: string, name: string) => (isSensitiveParam(name) ? `${sep}${name}=***` : m))
    .replace(AUTH_HEADER, (_m, name: string, sep: string, scheme?: string) => `${name}${sep}${scheme ?? ''}***`)
    .replace(VALUE_HEADER, '$1$2***')
    .replace(CONF_ASSIGNMENT, (m, key: string, value: string) => (sparkRedacts(key, value) ? `${key}=${REDACTED_VALUE}` : m));
}
