/**
 * The Experiments page's place in the URL fragment, so a link opens it with an experiment, a
 * seed and quick or full mode chosen: `#experiments`, `#experiments/NAME`,
 * `#experiments/NAME?seed=S&mode=full`. Any other fragment belongs to the lab's run page (its
 * share links). The fragment is untrusted input: a malformed one is refused with what is wrong.
 */

export type ExperimentMode = 'quick' | 'full';

export interface ExperimentsRoute {
  /** The chosen experiment, if the link names one. */
  readonly name?: string;
  readonly seed: number;
  /** Quick unless the link asks for full: the browser runs the short version by default. */
  readonly mode: ExperimentMode;
}

export const DEFAULT_ROUTE: ExperimentsRoute = { seed: 1, mode: 'quick' };

const PAGE = 'experiments';

export class ExperimentsLinkError extends Error {
  readonly code = 'EXPERIMENTS_LINK';
}

/** True when the fragment is the Experiments page's (with or without its leading '#'). */
export function isExperimentsFragment(fragment: string): boolean {
  const text = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  return text === PAGE || text.startsWith(`${PAGE}/`) || text.startsWith(`${PAGE}?`);
}

/**
 * Reads the fragment; undefined when it is not the Experiments page's. `names` are the
 * registered experiments: a name not among them is refused.
 */
export function parseExperimentsFragment(
  fragment: string,
  names: readonly string[],
): ExperimentsRoute | undefined {
  if (!isExperimentsFragment(fragment)) return undefined;
  const text = (fragment.startsWith('#') ? fragment.slice(1) : fragment).slice(PAGE.length);
  const q = text.indexOf('?');
  const path = q === -1 ? text : text.slice(0, q);
  const params = new URLSearchParams(q === -1 ? '' : text.slice(q + 1));
  let name: string | undefined;
  if (path.startsWith('/') && path.length > 1) {
    try {
      name = decodeURIComponent(path.slice(1));
    } catch {
      throw new ExperimentsLinkError('the link names its experiment with a malformed escape');
    }
    if (!names.includes(name)) {
      throw new ExperimentsLinkError(
        `the link names no registered experiment: '${name}' (choose from ${names.join(', ')})`,
      );
    }
  }
  const rawSeed = params.get('seed');
  let seed = DEFAULT_ROUTE.seed;
  if (rawSeed !== null) {
    seed = Number(rawSeed);
    if (!/^\d+$/.test(rawSeed) || !Number.isSafeInteger(seed)) {
      throw new ExperimentsLinkError(`the link's seed '${rawSeed}' is not a whole number`);
    }
  }
  const rawMode = params.get('mode');
  if (rawMode !== null && rawMode !== 'quick' && rawMode !== 'full') {
    throw new ExperimentsLinkError(`the link's mode '${rawMode}' is neither quick nor full`);
  }
  return { ...(name === undefined ? {} : { name }), seed, mode: rawMode ?? DEFAULT_ROUTE.mode };
}

/** The fragment (without '#') for a route; defaults are left out, so links stay short. */
export function formatExperimentsFragment(route: ExperimentsRoute): string {
  if (route.name === undefined) return PAGE;
  const params = new URLSearchParams();
  if (route.seed !== DEFAULT_ROUTE.seed) params.set('seed', String(route.seed));
  if (route.mode !== DEFAULT_ROUTE.mode) params.set('mode', route.mode);
  const query = params.toString();
  return `${PAGE}/${encodeURIComponent(route.name)}${query === '' ? '' : `?${query}`}`;
}

/** A seed typed into the page: a whole number from 0, or undefined when it is not one. */
export function parseSeedInput(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}
