/**
 * Input rules shared by the OpenAPI schemas (which reject bad requests with
 * 422 naming the field) and the services that re-check what they write.
 */

/** WHATWG's email rule without `/` in the local part, so an email is also a safe path segment. */
export const EMAIL_PATTERN =
  "^[a-zA-Z0-9.!#$%&'*+=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$";
const EMAIL = new RegExp(EMAIL_PATTERN);

/** Lower-cased and trimmed, or undefined when it is not an email. */
export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const email = value.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

/**
 * A display name: 1-100 characters, no path separators, no control
 * characters (NUL included) and not `.` or `..`.
 */
export const NAME_PATTERN = '^(?!\\.{1,2}$)(?=.*\\S)[^/\\\\\\u0000-\\u001f\\u007f]{1,100}$';

/**
 * A module name or version: it becomes a path segment of the modulefile, so
 * only letters, digits and `._+-`, starting with a letter or digit.
 */
export const MODULE_SEGMENT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$';

export const DESCRIPTION_MAX_LENGTH = 2000;

/** A template's applicationType, as the hub's configuration names its applications. */
export const APPLICATION_PATTERN = '^[A-Za-z0-9][A-Za-z0-9 ._+-]*$';
export const APPLICATION_MAX_LENGTH = 64;

/**
 * Where a raw secret's file goes, relative to its person's secrets folder
 * (`~/.secrets`): up to 8 segments of letters, digits and `._-`, none of
 * them `.` or `..`. Written as the launch plan's contract says it.
 */
export const SECRET_PATH_PATTERN = '^(?!.*(?:^|/)\\.\\.?(?:/|$))[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+){0,7}$';
export const SECRET_PATH_MAX_LENGTH = 255;

/** A path relative to the home folder: not absolute, no `..` segment, no control character. */
export const RELATIVE_PATH_PATTERN = '^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$))[^\\u0000-\\u001f\\u007f]+$';
export const RELATIVE_PATH_MAX_LENGTH = 1024;

/**
 * The largest idle timeout (a year) and lifetime (ten years) anything may
 * name, whatever the operator's caps, and the smallest a template may name
 * (fractions of minutes and hours, so tests can run in seconds).
 */
export const IDLE_MINUTES_LIMIT = 525600;
export const LIFETIME_HOURS_LIMIT = 87600;
export const SMALLEST_LIMIT = 0.0001;
