import type { BenchReport } from '../../../bench/report/model';
import { README_BLOCK_END, README_BLOCK_START, renderReadmeBlock, replaceReadmeBlock } from '../../../bench/report/readme-block';

const report: BenchReport = {
  command: 'npm run bench -- --repeats 3',
  startedAt: new Date('2026-12-05T01:00:00Z'),
  machine: { cores: 2, cpuModel: 'AMD EPYC', memoryGiB: 23.5, nodeVersion: 'v24.21.0', platform: 'linux x64' },
  options: '--repeats 3',
  sections: [
    {
      title: 'Headline',
      inReadme: true,
      rows: [
        { metric: 'x1: time to converge / physical limit (median)', measured: '1.06', goal: '<= 1.05', verdict: 'MISS', note: 'why' },
        { metric: 'x1: bursts', measured: '3', goal: '-', verdict: 'info' },
      ],
    },
    {
      title: 'Burst at time scale x1, median run',
      rows: [{ metric: 'DynamoDB requests per session', measured: '17.52', goal: '<= 4', verdict: 'MISS' }],
    },
    { title: 'Not measured: latency', inReadme: true, rows: [{ metric: 'latency', measured: '-', goal: '-', verdict: 'not measured' }] },
  ],
  findings: [],
};

describe('the README block the bench writes', () => {
  it('quotes every judged row of the headline sections against its goal, with the command, and nothing else', () => {
    const block = renderReadmeBlock(report);

    expect(block).toContain('| x1: time to converge / physical limit (median) | 1.06 | <= 1.05 | MISS |');
    expect(block).toContain('| latency | - | - | not measured |');
    expect(block).toContain('`npm run bench -- --repeats 3`');
    expect(block).not.toContain('bursts');
    expect(block).not.toContain('17.52');
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# Title\n\nbefore\n${README_BLOCK_START}\nstale figures\n${README_BLOCK_END}\nafter\n`;

    const updated = replaceReadmeBlock(readme, renderReadmeBlock(report));

    expect(updated.startsWith('# Title\n\nbefore\n')).toBe(true);
    expect(updated.endsWith(`${README_BLOCK_END}\nafter\n`)).toBe(true);
    expect(updated).not.toContain('stale figures');
    expect(replaceReadmeBlock(updated, renderReadmeBlock(report))).toBe(updated);
  });

  it('refuses a README without its markers instead of guessing where the figures go', () => {
    expect(() => replaceReadmeBlock('# Title\n', renderReadmeBlock(report))).toThrow(/no bench block/);
  });
});
