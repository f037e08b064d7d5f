export { createApp, startServer, ServeError } from './server.js';
export type { RunningServer } from './server.js';
export { apiRoutes } from './api.js';
