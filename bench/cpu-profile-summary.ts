/**
 * Where a CPU profile (`node --cpu-prof`) spent its time: self time per function and per package
 * (kysely, better-sqlite3, express, @nestjs/…, undici, node internals, GC, …), idle time left out.
 *
 *   npx ts-node --transpile-only bench/cpu-profile-summary.ts <file.cpuprofile> [--top 10]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printRows } from './bench-support';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  group: string;
  location: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  functions: SelfTime[];
  groups: Array<{ group: string; ms: number; share: number }>;
}

/** The package a frame belongs to: the npm package, the service's own code, node's internals, or V8's pseudo-frames. */
export function groupOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName.startsWith('(')) return functionName;
    return 'native (V8 builtins, node bindings)';
  }
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) return 'service (dist/)';
  return url;
}

function locationOf(frame: ProfileNode['callFrame']): string {
  if (frame.url === '') return '';
  const modules = frame.url.lastIndexOf('/node_modules/');
  const dist = frame.url.lastIndexOf('/dist/');
  const short = modules >= 0 ? frame.url.slice(modules + '/node_modules/'.length) : dist >= 0 ? frame.url.slice(dist + 1) : frame.url;
  return `${short.replace(/^file:\/\//, '')}:${frame.lineNumber + 1}`;
}

/**
 * Self time per function and package. With `windows` (start and end in µs of CLOCK_MONOTONIC, the
 * clock of the profile's timestamps and of `process.hrtime`), only samples inside them count, so
 * start-up and pauses between measurements are left out.
 */
export function summarizeProfile(profile: CpuProfile, windows?: ReadonlyArray<readonly [number, number]>): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // timeDeltas[i] is the time between sample i-1 and sample i: charge it to sample i's frame.
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some(([from, to]) => at >= from && at <= to)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });

  let idleUs = 0;
  const functions = new Map<string, { name: string; group: string; location: string; us: number }>();
  const groups = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const group = groupOf(frame);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const location = locationOf(frame);
    const key = `${frame.functionName}@${location}`;
    const entry = functions.get(key) ?? { name: frame.functionName || '(anonymous)', group, location, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const busyUs = [...groups.values()].reduce((sum, us) => sum + us, 0);
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .map((f) => ({ name: f.name, group: f.group, location: f.location, ms: f.us / 1000, share: share(f.us) })),
    groups: [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, us]) => ({ group, ms: us / 1000, share: share(us) })),
  };
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

export function printProfileSummary(summary: ProfileSummary, top: number): void {
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  console.log(`busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s (left out)`);
  console.log(`\ntop ${top} functions by self time:`);
  printRows(
    [
      ['#', 'function', 'package', 'location', 'self ms', 'share'],
      ...summary.functions
        .slice(0, top)
        .map((f, i) => [String(i + 1), f.name, f.group, f.location, f.ms.toFixed(0), percent(f.share)]),
    ],
    4,
  );
  console.log('\nself time by package:');
  printRows(
    [['package', 'self ms', 'share'], ...summary.groups.slice(0, 20).map((g) => [g.group, g.ms.toFixed(0), percent(g.share)])],
    1,
  );
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '10' } } });
  if (positionals.length !== 1) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [--top 10]');
  printProfileSummary(summarizeProfile(readProfile(positionals[0])), Number(values.top));
}
