/**
 * The zookeeper system in the lab: each lane shows the server's Zab role (the leader leads) with
 * its epoch and the zxid its ZooKeeper state has reached, and the verdict names what the judge
 * checks.
 */
import { viewNum, viewStr, type LabViews } from '../../core/lab-views.js';

export const zkLabViews: LabViews = {
  lane: (view) => {
    const state = viewStr(view, 'state');
    const epoch = viewNum(view, 'epoch');
    const zxid = viewNum(view, 'zxid');
    return {
      ...(state !== undefined ? { role: state } : {}),
      lead: state === 'leading',
      marks: [
        ...(epoch !== undefined ? [`epoch ${epoch}`] : []),
        ...(zxid !== undefined ? [`zxid ${zxid}`] : []),
      ],
    };
  },
  verdictName: 'sequential per client',
  judgeChecks:
    'no client is answered from an older zxid than one it has seen, no two writes share a ' +
    'zxid, a multi applies all or nothing, a sync answers past every acknowledged write, ' +
    'watches fire at most once and before the state that follows, and the resource the lock ' +
    'protects accepts no token below one that acted; ' +
    "the writes' linearizability is the znode model's",
};
