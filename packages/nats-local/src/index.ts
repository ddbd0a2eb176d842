export { findNatsServerBinary, freePort, startLocalNatsServer, type LocalNatsServer } from './local-server.js';
