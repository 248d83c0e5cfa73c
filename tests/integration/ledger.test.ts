/** The DynamoDB ledger against dynalite: single-item conditional writes hold the limits under concurrent callers. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLedger } from '../../shared/aws/ledger';
import type { LedgerPort } from '../../shared/converge';
import type { SessionFacts } from '../../shared/domain/types';
import { type DynamoReadCounter, startDynamoReadCounter } from '../support/dynamo-read-counter';
import { clientOf, type LedgerTable, startLedgerTable } from '../support/ledger-table';

const NOW = new Date('2026-10-02T14:05:11.000Z');
/** A reservation's hold, a minute after NOW. */
const HELD_UNTIL = '2026-10-02T14:06:11.000Z';

let table: LedgerTable;
let dynamo: DynamoDBClient;
let documents: DynamoDBDocumentClient;
let ledger: LedgerPort;

const handMade = (eniId: string, sessionId: string, sessionNumber: number): SessionFacts => ({
  sessionId,
  eniId,
  targetId: 'tmt-0000000000000000a',
  filterId: 'tmf-0000000000000000a',
  sessionNumber,
  managed: false,
});

beforeAll(async () => {
  table = await startLedgerTable();
  dynamo = clientOf(table);
  documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  ledger = createLedger({ documents, tableName: table.tableName, historyTtlDays: 90, clock: { now: () => NOW } });
});

afterAll(async () => {
  dynamo?.destroy();
  await table?.stop();
});

describe('target source reservations', () => {
  it('lets exactly `limit` of many concurrent ENIs onto a target', async () => {
    const eniIds = Array.from({ length: 14 }, (_, i) => `eni-race${String(i).padStart(2, '0')}`);

    const answers = await Promise.all(eniIds.map((eniId) => ledger.reserveTargetSource('tmt-race', eniId, 10)));

    expect(answers.filter((answer) => answer === 'reserved')).toHaveLength(10);
    expect(answers.filter((answer) => answer === 'full')).toHaveLength(4);
    expect((await ledger.readTargetLoads(['tmt-race'])).get('tmt-race')).toBe(10);
  });

  it('answers already-held for an ENI it holds, and releasing twice is harmless', async () => {
    expect(await ledger.reserveTargetSource('tmt-held', 'eni-a', 10)).toBe('reserved');
    expect(await ledger.reserveTargetSource('tmt-held', 'eni-a', 10)).toBe('already-held');

    await ledger.releaseTargetSource('tmt-held', 'eni-a');
    await ledger.releaseTargetSource('tmt-held', 'eni-a');

    expect((await ledger.readTargetLoads(['tmt-held'])).get('tmt-held')).toBe(0);
  });

  it('has no limit for load balancer targets', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => ledger.reserveTargetSource('tmt-nlb', `eni-n${i}`, null)));

    expect(answers.every((answer) => answer === 'reserved')).toBe(true);
  });
});

describe('ENI slots', () => {
  it('gives concurrent reservations for one ENI the same reservation (one ClientToken, one session)', async () => {
    const request = {
      eniId: 'eni-same',
      instanceId: 'i-0123456789abcdef0',
      targetId: 'tmt-x',
      numberCandidates: [1, 2, 3],
      preferredSessionNumber: 1,
      observedSessions: [],
      heldUntil: HELD_UNTIL,
    };

    const answers = await Promise.all([ledger.reserveSlot(request), ledger.reserveSlot(request), ledger.reserveSlot(request)]);

    expect(answers.filter((answer) => answer.kind === 'reserved')).toHaveLength(1);
    const ids = new Set(answers.map((answer) => (answer.kind === 'full' ? 'full' : answer.reservationId)));
    expect(ids.size).toBe(1);
  });

  it('learns hand-made sessions, avoids their numbers, and is full at three', async () => {
    const eniId = 'eni-crowded';
    const base = {
      eniId,
      instanceId: 'i-0123456789abcdef1',
      targetId: 'tmt-x',
      numberCandidates: [1, 2, 3],
      preferredSessionNumber: 1,
      heldUntil: HELD_UNTIL,
    };

    const third = await ledger.reserveSlot({ ...base, observedSessions: [handMade(eniId, 'tms-1', 1), handMade(eniId, 'tms-2', 2)] });
    expect(third).toMatchObject({ kind: 'reserved', sessionNumber: 3 });
    const stored = (await ledger.readEniLedgers([eniId])).get(eniId);
    expect(stored?.slots.map((slot) => [slot.sessionNumber, slot.owner, slot.state])).toEqual([
      [1, 'foreign', 'active'],
      [2, 'foreign', 'active'],
      [3, 'managed', 'reserved'],
    ]);

    if (third.kind !== 'reserved') throw new Error('expected a reservation');
    await ledger.removeSlot(eniId, { reservationId: third.reservationId });
    const full = await ledger.reserveSlot({
      ...base,
      observedSessions: [handMade(eniId, 'tms-1', 1), handMade(eniId, 'tms-2', 2), handMade(eniId, 'tms-3', 3)],
    });
    expect(full).toEqual({ kind: 'full' });
  });

  it('activates a reservation, finds the ENI through the instance (gsi1), and deletes the item when the last slot goes', async () => {
    const instanceId = 'i-0123456789abcdef2';
    const reserved = await ledger.reserveSlot({
      eniId: 'eni-life',
      instanceId,
      targetId: 'tmt-x',
      numberCandidates: [1],
      preferredSessionNumber: 1,
      observedSessions: [],
      heldUntil: HELD_UNTIL,
    });
    if (reserved.kind !== 'reserved') throw new Error('expected a reservation');

    await ledger.activateSlot('eni-life', reserved.reservationId, 'tms-life');

    const [found] = await ledger.readInstanceEniLedgers(instanceId);
    expect(found?.slots).toEqual([
      expect.objectContaining({ state: 'active', sessionId: 'tms-life', reservationId: reserved.reservationId }),
    ]);
    await ledger.markSlotReleasing('eni-life', 'tms-life', { redeliveredAs: [] });
    expect((await ledger.readEniLedgers(['eni-life'])).get('eni-life')?.slots[0]?.state).toBe('releasing');
    await ledger.removeSlot('eni-life', { sessionId: 'tms-life' });
    expect((await ledger.readEniLedgers(['eni-life'])).has('eni-life')).toBe(false);
  });
});

describe('writes that the plan or the condition already prove', () => {
  // The same ledger over a client that counts its requests: what these writes cost is what they promise.
  let counter: DynamoReadCounter;
  let counted: ReturnType<typeof createLedger>;
  beforeAll(() => {
    counter = startDynamoReadCounter(table, 'eu-west-1', { marshallOptions: { removeUndefinedValues: true } });
    counted = createLedger({ documents: counter.documents, tableName: table.tableName, historyTtlDays: 90, clock: { now: () => NOW } });
  });
  afterAll(() => counter.destroy());
  const request = (eniId: string) => ({
    eniId,
    instanceId: 'i-0123456789abcdef4',
    targetId: 'tmt-x',
    numberCandidates: [1],
    preferredSessionNumber: 1,
    observedSessions: [],
    heldUntil: HELD_UNTIL,
  });

  const intent = { filterId: 'tmf-x', redeliveredAs: ['message-1'] };

  it('activates a reservation with one conditional write on its slot, and only once', async () => {
    const reserved = await ledger.reserveSlot({ ...request('eni-act'), intent, known: null });
    if (reserved.kind !== 'reserved') throw new Error('expected a reservation');

    counter.reset();
    const first = await counted.activateSlot('eni-act', reserved.reservationId, 'tms-act', reserved.sessionNumber);
    expect(counter.reads().requests).toEqual({ UpdateItem: 1 });
    const again = await ledger.activateSlot('eni-act', reserved.reservationId, 'tms-act', reserved.sessionNumber);

    expect([first, again]).toEqual([true, false]);
    const stored = (await ledger.readEniLedgers(['eni-act'])).get('eni-act');
    expect(stored?.version).toBe(2);
    expect(stored?.slots).toEqual([expect.objectContaining({ state: 'active', sessionId: 'tms-act' })]);
    // Its hold and its holder's intent are about the wait for the session: gone with it.
    expect(stored?.slots[0]?.heldUntil).toBeUndefined();
    expect(stored?.slots[0]?.intent).toBeUndefined();
  });

  it("hands a reservation over with one conditional write: the new holder's hold and intent, the old one's renewals keep it", async () => {
    const reserved = await ledger.reserveSlot({ ...request('eni-take'), intent, known: null });
    if (reserved.kind !== 'reserved') throw new Error('expected a reservation');
    const taker = { filterId: 'tmf-y', redeliveredAs: [] };
    const later = '2026-10-02T14:07:11.000Z';

    counter.reset();
    await counted.holdSlot('eni-take', reserved.reservationId, later, reserved.sessionNumber, taker);
    expect(counter.reads().requests).toEqual({ UpdateItem: 1 });
    await ledger.holdSlot('eni-take', reserved.reservationId, '2026-10-02T14:08:11.000Z', reserved.sessionNumber);

    const [slot] = (await ledger.readEniLedgers(['eni-take'])).get('eni-take')?.slots ?? [];
    expect(slot).toEqual(expect.objectContaining({ state: 'reserved', heldUntil: '2026-10-02T14:08:11.000Z', intent: taker }));
  });

  it('reserves against the version planning read, and goes on from the item its failed write returns', async () => {
    const eniId = 'eni-stale';
    const observedSessions = [handMade(eniId, 'tms-h1', 1)];
    const planned = await ledger.reserveSlot({ ...request(eniId), observedSessions, known: null });
    expect(planned).toEqual(expect.objectContaining({ kind: 'reserved', sessionNumber: 2 }));
    const stale = { eniId, slots: [], version: 0 };

    counter.reset();
    const second = await counted.reserveSlot({ ...request(eniId), observedSessions, known: stale });

    // The stale view saw no slot; the item the failed write returned says this ENI already holds a reservation:
    // reuse it, without a GetItem (ReturnValuesOnConditionCheckFailure).
    expect(second).toEqual(expect.objectContaining({ kind: 'existing', sessionNumber: 2 }));
    expect(counter.reads().requests).toEqual({ PutItem: 1 });
  });

  it('tells a full target from its failed write alone', async () => {
    await Promise.all(['eni-f1', 'eni-f2'].map((eniId) => ledger.reserveTargetSource('tmt-two', eniId, 2, 'new-session')));

    counter.reset();
    const third = await counted.reserveTargetSource('tmt-two', 'eni-f3', 2, 'new-session');
    const again = await counted.reserveTargetSource('tmt-two', 'eni-f1', 2, 'new-session');

    expect([third, again]).toEqual(['full', 'already-held']);
    expect(counter.reads().requests).toEqual({ UpdateItem: 2 });
  });

  it("writes a run's history, outcome events and last decisions in one batch, and takes the records back", async () => {
    const instanceId = 'i-0123456789abcdef5';
    const at = '2026-10-02T14:05:11.001Z';
    const entry = { instanceId, eniId: 'eni-rec', action: 'attach', reason: 'eligible', triggerEventId: 'evt-rec', at } as const;
    const history = [entry];
    const outbox = [{ ...entry, outcomeId: 'o-rec' }];

    counter.reset();
    await counted.writeRecords({ history, outbox, lastDecisions: { instanceId, decisions: { 'eni-rec': 'attach:eligible' } } });
    expect(counter.reads().requests).toEqual({ BatchWriteItem: 1 });

    const read = await ledger.readPlanItems({ eniIds: [], targetIds: ['tmt-none'], instanceIds: [instanceId] });
    expect(read.lastDecisions.get(instanceId)).toEqual({ 'eni-rec': 'attach:eligible' });
    expect(read.targetLoads.get('tmt-none')).toBe(0);
    expect((await ledger.readOutbox(new Date('2027-01-01'), 10)).map((event) => event.outcomeId)).toContain('o-rec');
    const historyKey = { pk: `history#${instanceId}`, sk: `${at}#eni-rec#attach` };
    expect((await documents.send(new GetCommand({ TableName: table.tableName, Key: historyKey }))).Item).toBeDefined();

    await ledger.discardRecords({ history, outbox });

    expect((await ledger.readOutbox(new Date('2027-01-01'), 10)).map((event) => event.outcomeId)).not.toContain('o-rec');
    expect((await documents.send(new GetCommand({ TableName: table.tableName, Key: historyKey }))).Item).toBeUndefined();
  });
});

describe('history', () => {
  it('records an entry under the instance with an expiry HISTORY_TTL_DAYS ahead', async () => {
    await ledger.writeRecords({
      history: [{ instanceId: 'i-0123456789abcdef3', eniId: 'eni-h', action: 'attach', reason: 'eligible', triggerEventId: 'evt-1' }],
      outbox: [],
    });

    const answer = await documents.send(
      new GetCommand({ TableName: table.tableName, Key: { pk: 'history#i-0123456789abcdef3', sk: `${NOW.toISOString()}#eni-h#attach` } }),
    );
    expect(answer.Item).toMatchObject({ reason: 'eligible', triggerEventId: 'evt-1', expiresAt: NOW.getTime() / 1000 + 90 * 86_400 });
  });
});

describe('the tracked-ENI index (gsi2)', () => {
  /** ENI ids in the sparse index, read straight from its eight partitions. */
  async function indexedEniIds(): Promise<string[]> {
    const found: string[] = [];
    for (let shard = 0; shard < 8; shard += 1) {
      const answer = await documents.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :partition',
          ExpressionAttributeValues: { ':partition': `tracked#${shard}` },
        }),
      );
      found.push(...(answer.Items ?? []).map((item) => String(item.eniId)));
    }
    return found;
  }

  it('holds an ENI item through every write the ledger makes to it, and drops it with the item', async () => {
    const eniId = 'eni-tracked';
    const reserved = await ledger.reserveSlot({
      eniId,
      instanceId: 'i-0123456789abcdef3',
      targetId: 'tmt-x',
      numberCandidates: [1],
      preferredSessionNumber: 1,
      observedSessions: [],
      heldUntil: HELD_UNTIL,
    });
    if (reserved.kind !== 'reserved') throw new Error('expected a reservation');
    const afterReserve = await indexedEniIds();
    await ledger.holdSlot(eniId, reserved.reservationId, undefined);
    await ledger.activateSlot(eniId, reserved.reservationId, 'tms-tracked');
    await ledger.learnForeignSessions(eniId, 'i-0123456789abcdef3', [handMade(eniId, 'tms-hand', 2)]);
    await ledger.markSlotReleasing(eniId, 'tms-tracked', { redeliveredAs: [] });
    const afterWrites = await indexedEniIds();
    await ledger.removeSlot(eniId, { sessionId: 'tms-tracked' });
    const afterManagedGone = await indexedEniIds();
    await ledger.learnForeignSessions(eniId, 'i-0123456789abcdef3', []);

    expect(afterReserve).toContain(eniId);
    expect(afterWrites).toContain(eniId);
    expect(afterManagedGone).toContain(eniId);
    expect(await indexedEniIds()).not.toContain(eniId);
    expect(await ledger.listInstanceIds()).not.toContain('i-0123456789abcdef3');
  });

  it('holds nothing but ENI items', async () => {
    await ledger.writeRecords({
      history: [{ instanceId: 'i-0123456789abcdef4', action: 'skip', reason: 'not-running', triggerEventId: 'e-1' }],
      outbox: [],
      lastDecisions: { instanceId: 'i-0123456789abcdef4', decisions: { '-': 'skip:not-running' } },
    });
    await ledger.reserveTargetSource('tmt-index', 'eni-index', 10);

    const indexed = await indexedEniIds();

    expect(indexed).not.toContain('undefined');
    expect(indexed.every((eniId) => eniId.startsWith('eni-'))).toBe(true);
  });
});
