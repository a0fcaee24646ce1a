/** The lab's entry point. */
import { render } from 'preact';
// PBFT signs with Ed25519; node:crypto is not here, so install the plain-TypeScript scheme
// (the same signatures, so a seed's run has the same digest as in the CLI).
import '../../src/protocols/pbft/ed25519-noble.js';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app') as HTMLElement);
