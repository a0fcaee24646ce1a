/**
 * Commander's error messages as the one line truthkit prints. Commander puts its "Did you mean
 * …?" suggestion on a second line; it is the most useful part of a typo's error, so it is kept
 * on the same line rather than cut off with the rest.
 */
export function commanderErrorLine(message: string): string {
  const [first = '', ...rest] = message.replace(/^error: /, '').split('\n');
  const hint = rest.find((line) => line.startsWith('(Did you mean'));
  return hint === undefined ? first : `${first} ${hint}`;
}
