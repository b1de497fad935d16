export * from './messages.js';
export * from './protocol.lifecycle.js';
export * from './protocol.cluster.js';
