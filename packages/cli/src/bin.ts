#!/usr/bin/env node
import { main } from './program.js';

const code = await main(process.argv.slice(2), { path: process.env['PATH'] ?? '' });
process.exitCode = code;
// Open handles (a follow that timed out, a slow drain) must not keep the CLI alive.
if (!['up', 'service'].includes(process.argv[2] ?? '')) setTimeout(() => process.exit(code), 200).unref();
