/**
 * Preloaded into each broker by produce-probe.ts (`NODE_OPTIONS=--import …`, since Node refuses
 * `--cpu-prof` there): profiles the whole process with the inspector's sampling profiler and
 * writes `<pid>.cpuprofile` (Chrome DevTools' format, as `node --cpu-prof` writes) into
 * TRUTHKIT_CPU_PROF_DIR when the process exits. The inspector answers a session on its own
 * thread synchronously, so the profile is written from the exit handler.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.TRUTHKIT_CPU_PROF_DIR;
if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, r) => {
      if (err === null)
        writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
