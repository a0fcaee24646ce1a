/** A history that cannot be read or does not fit the model: the user's input is at fault. */
export class HistoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryError';
  }

  /** An error at `line` (1-based) of `fileName`, worded `file:line: message`. */
  static at(fileName: string, line: number, message: string): HistoryError {
    return new HistoryError(`${fileName}:${line}: ${message}`);
  }
}
