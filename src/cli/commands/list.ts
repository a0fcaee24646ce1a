/** `truthkit list`: the systems, nemeses, models and mutants this build knows. */
import type { Command } from 'commander';
import { modelNames } from '../../check/index.js';
import { nemesisNames, nemesisPlans } from '../../sim/nemesis.js';
import { systems } from '../../systems/index.js';
import type { CliIo } from '../cli-io.js';

export function catalogue() {
  return {
    systems: systems().map((s) => s.name),
    nemeses: nemesisNames(),
    models: modelNames(),
    mutants: Object.fromEntries(systems().map((s) => [s.name, s.mutants.map((m) => m.name)])),
  };
}

export function listCommand(program: Command, io: CliIo): void {
  program
    .command('list')
    .description('list the systems, nemeses, checker models and mutants')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        io.out(JSON.stringify(catalogue()) + '\n');
        return;
      }
      const lines: string[] = ['Systems:'];
      for (const s of systems()) {
        lines.push(`  ${s.name.padEnd(18)} ${s.description}`);
        lines.push(
          `  ${''.padEnd(18)} model: ${s.model ?? 'none'}; default nodes: ${s.defaultNodes}`,
        );
        for (const m of s.mutants)
          lines.push(`  ${''.padEnd(18)} mutant ${m.name}: ${m.description}`);
        for (const p of s.params ?? [])
          lines.push(`  ${''.padEnd(18)} --param ${p.name}=…: ${p.description}`);
      }
      lines.push('', 'Nemeses (combine with commas; `all` is every plan):', '  none');
      for (const p of nemesisPlans()) lines.push(`  ${p.name.padEnd(18)} ${p.description}`);
      lines.push('', `Checker models: ${modelNames().join(', ')}`);
      io.out(lines.join('\n') + '\n');
    });
}
