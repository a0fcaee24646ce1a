/** The lab's entry point: the run page, or the Experiments page when the fragment asks for it. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
// PBFT signs with Ed25519; node:crypto is not here, so install the plain-TypeScript scheme
// (the same signatures, so a seed's run has the same digest as in the CLI).
import '../../src/protocols/pbft/ed25519-noble.js';
import { experiments } from '../../src/experiments/registry.js';
import { App } from './app.js';
import { ExperimentsPage } from './experiments/page.js';
import {
  DEFAULT_ROUTE,
  isExperimentsFragment,
  parseExperimentsFragment,
} from './experiments/route.js';
import './styles.css';

const NAMES = experiments().map((e) => e.name);

function Root() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onHash = () => setHash(location.hash);
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  if (!isExperimentsFragment(hash)) return <App key={hash} />;
  let route = DEFAULT_ROUTE;
  let problem: string | undefined;
  try {
    route = parseExperimentsFragment(hash, NAMES) ?? DEFAULT_ROUTE;
  } catch (e) {
    problem = (e as Error).message;
  }
  return (
    <>
      {problem !== undefined && (
        <p class="error" data-testid="error">
          {problem}
        </p>
      )}
      <ExperimentsPage key={hash} initial={route} />
    </>
  );
}

render(<Root />, document.getElementById('app') as HTMLElement);
