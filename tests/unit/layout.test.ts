/**
 * The rooms of docs/ARCHITECTURE.md hold: the domain imports no adapter and nothing with I/O, the application no
 * adapter, the product (functions/, shared/, cli/) none of the local tools (local/, packages/*), and a local tool
 * package nothing but its own files and declared dependencies. Files are found by walking the tree (CI's copy has
 * no .git); the cases below show each wall refusing a bad import, on real files with one import added.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkLayout, type SourceFile } from '../support/layout';

const REPO = path.resolve(__dirname, '../..');
const CHECKED_ROOTS = ['functions', 'shared', 'cli', 'packages'];
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

function sourcesUnder(relative: string): SourceFile[] {
  return readdirSync(path.join(REPO, relative), { withFileTypes: true }).flatMap((entry) => {
    const child = `${relative}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourcesUnder(child);
    return SOURCE.test(entry.name) ? [{ path: child, text: readFileSync(path.join(REPO, child), 'utf8') }] : [];
  });
}

function declaredDependencies(): Map<string, Set<string>> {
  const packages = readdirSync(path.join(REPO, 'packages'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return new Map(
    packages.map((entry) => {
      const manifest = JSON.parse(readFileSync(path.join(REPO, 'packages', entry.name, 'package.json'), 'utf8'));
      return [
        `packages/${entry.name}`,
        new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})]),
      ];
    }),
  );
}

const repository = CHECKED_ROOTS.flatMap(sourcesUnder);
const dependencies = declaredDependencies();

/** A real file of the repository with one more import line at its top. */
function withImport(file: string, importLine: string): SourceFile {
  const real = repository.find((source) => source.path === file);
  if (!real) throw new Error(`no such file in the repository: ${file}`);
  return { path: real.path, text: `${importLine}\n${real.text}` };
}

function reasonsFor(file: SourceFile): string[] {
  return checkLayout([file], dependencies).map((violation) => `${violation.specifier}: ${violation.reason}`);
}

describe('the layout', () => {
  it('has files in every room it guards', () => {
    const rooms = [
      'shared/domain/',
      'shared/converge/',
      'shared/aws/',
      'shared/lambda/',
      'shared/wiring/',
      'functions/',
      'cli/',
      'packages/local-lambda/',
    ];
    expect(rooms.filter((room) => !repository.some((file) => file.path.startsWith(room)))).toEqual([]);
  });

  it('has no import that crosses a wall', () => {
    expect(checkLayout(repository, dependencies)).toEqual([]);
  });

  it('accepts what the rooms allow', () => {
    expect(reasonsFor(withImport('shared/domain/plan.ts', "import * as z from 'zod/mini';"))).toEqual([]);
    expect(reasonsFor(withImport('shared/converge/converge.ts', "import type { Config } from '../config/config';"))).toEqual([]);
    expect(reasonsFor(withImport('shared/aws/ec2.ts', "import type { SweepLedgerPort } from '../converge/sweep-ports';"))).toEqual([]);
  });

  describe('refuses', () => {
    it('the domain importing an adapter', () => {
      expect(reasonsFor(withImport('shared/domain/plan.ts', "import { createLedger } from '../aws/ledger';"))).toEqual([
        '../aws/ledger: domain may not import aws',
      ]);
      expect(reasonsFor(withImport('shared/domain/plan.ts', "import type { Ec2Port } from '../converge/ports';"))).toEqual([
        '../converge/ports: domain may not import application',
      ]);
    });

    it('the domain importing anything with I/O', () => {
      expect(reasonsFor(withImport('shared/domain/events.ts', "import { readFileSync } from 'node:fs';"))).toEqual([
        'node:fs: domain may not import the package node:fs (I/O or the host)',
      ]);
      expect(reasonsFor(withImport('shared/domain/events.ts', "import { EC2Client } from '@aws-sdk/client-ec2';"))).toEqual([
        '@aws-sdk/client-ec2: domain may not import the package @aws-sdk/client-ec2',
      ]);
      expect(reasonsFor(withImport('shared/domain/events.ts', "import { logger } from '../observability';"))).toEqual([
        '../observability: domain may not import observability',
      ]);
    });

    it('the application importing an adapter', () => {
      expect(reasonsFor(withImport('shared/converge/converge.ts', "import { mapEc2Error } from '../aws/error-mapping';"))).toEqual([
        '../aws/error-mapping: application may not import aws',
      ]);
      expect(reasonsFor(withImport('shared/converge/sweep.ts', "const { defaultDeps } = require('../wiring/deps');"))).toEqual([
        '../wiring/deps: application may not import wiring',
      ]);
      expect(reasonsFor(withImport('shared/converge/read-and-plan.ts', "import { handleTriggerEvent } from '../lambda/batch';"))).toEqual([
        '../lambda/batch: application may not import lambda',
      ]);
      expect(
        reasonsFor(withImport('shared/converge/read-and-plan.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';")),
      ).toEqual(['@aws-sdk/client-dynamodb: application may not import the package @aws-sdk/client-dynamodb']);
    });

    it('an adapter calling the application instead of implementing its ports', () => {
      expect(reasonsFor(withImport('shared/aws/ec2.ts', "import { converge } from '../converge/converge';"))).toEqual([
        '../converge/converge: aws may import only /(^|-)ports$/ from application',
      ]);
    });

    it('the product importing the local tools', () => {
      expect(reasonsFor(withImport('functions/sweep.ts', "import { startLocalCloud } from '../local/cloud';"))).toEqual([
        '../local/cloud: functions may not import local tools (local/)',
      ]);
      expect(reasonsFor(withImport('shared/lambda/batch.ts', "import { sqsEvent } from '@vpc-mirror-orchestrator/local-lambda';"))).toEqual(
        ['@vpc-mirror-orchestrator/local-lambda: lambda may not import the local tools (@vpc-mirror-orchestrator/local-lambda)'],
      );
      expect(reasonsFor(withImport('cli/main.ts', "import { startSimulator } from '../packages/ec2-sim/src/index';"))).toEqual([
        '../packages/ec2-sim/src/index: cli may not import local tools (packages/)',
      ]);
      expect(reasonsFor(withImport('shared/aws/ec2.ts', "import { startSimulator } from '@vpc-mirror-orchestrator/ec2-sim';"))).toEqual([
        '@vpc-mirror-orchestrator/ec2-sim: aws may not import the local tools (@vpc-mirror-orchestrator/ec2-sim)',
      ]);
    });

    it('a local tool package importing the product or what it does not declare', () => {
      // A file at the package's root, so that the path stays inside the repository when read from this folder too.
      const atPackageRoot = {
        path: 'packages/local-lambda/outcomes.ts',
        text: "import { OUTCOME_SOURCE } from '../../shared/aws/publisher';",
      };
      expect(reasonsFor(atPackageRoot)).toEqual([
        '../../shared/aws/publisher: a package may import only its own files, not shared/aws/publisher',
      ]);
      expect(reasonsFor(withImport('packages/local-lambda/src/runtime.ts', "import middy from '@middy/core';"))).toEqual([
        '@middy/core: packages/local-lambda does not declare @middy/core',
      ]);
    });
  });
});
