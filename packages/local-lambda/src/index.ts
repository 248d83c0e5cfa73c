/** The local Lambda runtime, EventBridge bus, SQS queues and event source mapping: one entry point. */
export * from './dead-letters';
export * from './event-bus';
export * from './event-pattern';
export * from './local-queue';
export * from './queue-event-source';
export * from './random';
export * from './runtime';
export * from './sqs-endpoint';
export * from './sqs-event';
