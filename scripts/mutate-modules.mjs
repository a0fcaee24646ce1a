// The modules `npm run mutate` scores (scripts/mutate.mjs, stryker.config.mjs): for each, the
// compiled rule files to mutate and the fast unit tests (dist/test) that judge them, in the
// order they run: the tests of the rule functions first (`*-mutation.test.js`), so that most
// mutants die in milliseconds, then the scenario tests. The slow simulator suites stay out:
// a mutant covered by a 30 s system test would cost 30 s each.

/** @type {{ name: string, mutate: string[], tests: string[] }[]} */
export const mutationModules = [
  {
    name: 'raft',
    mutate: [
      'dist/src/protocols/raft/election.js',
      'dist/src/protocols/raft/replication.js',
      'dist/src/protocols/raft/membership.js',
      'dist/src/protocols/raft/read-index.js',
      'dist/src/protocols/raft/hard-state.js',
    ],
    tests: [
      'dist/test/protocols/raft/*-mutation.test.js',
      'dist/test/protocols/raft/follower-append.test.js',
      'dist/test/protocols/raft/joining-votes.test.js',
      'dist/test/protocols/raft/invariants.test.js',
    ],
  },
  {
    // The leader's read path is glue inside the node: only whole-cluster scenarios reach it.
    name: 'raft-reads',
    mutate: ['dist/src/protocols/raft/leader-read.js'],
    tests: [
      'dist/test/protocols/raft/raft-rules.test.js',
      'dist/test/protocols/raft/scenarios.test.js',
      'dist/test/protocols/raft/transcripts.test.js',
      'dist/test/protocols/raft/mutant-scenarios.test.js',
      'dist/test/protocols/raft/leader-read-mutation.test.js',
    ],
  },
  {
    // Not semantics.test.js nor conformance.test.js: their histories lean on the default 10 s
    // search budget, which the instrumented search overruns on this machine (an `unknown`
    // verdict, a failed dry run), and conformance's 102 etcd logs cost minutes per mutant.
    name: 'check',
    mutate: [
      'dist/src/check/linearizability.js',
      'dist/src/check/event-list.js',
      'dist/src/check/search-cache.js',
      'dist/src/check/search-spec.js',
      'dist/src/check/check-history.js',
      'dist/src/check/models/cell-ops.js',
      'dist/src/check/models/register.js',
      'dist/src/check/models/kv.js',
      'dist/src/check/models/mutex.js',
      'dist/src/check/models/znode.js',
    ],
    tests: [
      'dist/test/check/models/*-mutation.test.js',
      'dist/test/check/*-mutation.test.js',
      'dist/test/check/models/mutex.test.js',
      'dist/test/check/model-ops-rules.test.js',
      'dist/test/check/models.test.js',
      'dist/test/check/evidence.test.js',
      'dist/test/check/cold.test.js',
    ],
  },
  {
    name: 'zab',
    mutate: [
      'dist/src/protocols/zab/commit-point.js',
      'dist/src/protocols/zab/zxid.js',
      'dist/src/protocols/zab/sync-plan.js',
      'dist/src/protocols/zab/election.js',
      'dist/src/protocols/zab/history.js',
    ],
    tests: [
      'dist/test/protocols/zab/*-mutation.test.js',
      'dist/test/protocols/zab/sync-plan.test.js',
      'dist/test/protocols/zab/election.test.js',
      'dist/test/protocols/zab/history.test.js',
      'dist/test/protocols/zab/invariants.test.js',
      'dist/test/protocols/zab/reassembly.test.js',
      'dist/test/protocols/zab/scenarios.test.js',
      'dist/test/protocols/zab/mutant-scenarios.test.js',
    ],
  },
  {
    name: 'isr',
    mutate: ['dist/src/protocols/isr/high-watermark.js'],
    tests: [
      'dist/test/protocols/isr/*-mutation.test.js',
      'dist/test/protocols/isr/replication.test.js',
      'dist/test/protocols/isr/kip101.test.js',
      'dist/test/protocols/isr/durability.test.js',
    ],
  },
  {
    name: 'pbft',
    mutate: [
      'dist/src/protocols/pbft/quorums.js',
      'dist/src/protocols/pbft/checkpoints.js',
      'dist/src/protocols/pbft/view-change.js',
      'dist/src/protocols/pbft/view-change-votes.js',
    ],
    tests: [
      'dist/test/protocols/pbft/*-mutation.test.js',
      'dist/test/protocols/pbft/pbft-rules.test.js',
      'dist/test/protocols/pbft/quorums.test.js',
      'dist/test/protocols/pbft/records.test.js',
    ],
  },
  {
    name: 'wal',
    mutate: ['dist/src/runtime/wal.js'],
    tests: [
      'dist/test/runtime/*-mutation.test.js',
      'dist/test/runtime/wal.test.js',
      'dist/test/runtime/wal-parts.test.js',
      'dist/test/runtime/wal-repair.test.js',
      'dist/test/runtime/wal-snapshot-file.test.js',
    ],
  },
];
