/**
 * What marks a line of a Jepsen log as one of jepsen.util's events. Kept apart from the
 * log's parser so that format detection can ask without loading the EDN reader.
 */
export const UTIL_LINE = /^\S+\s+jepsen\.util\s+-\s+/;

export function isJepsenLogLine(line: string): boolean {
  return UTIL_LINE.test(line);
}
