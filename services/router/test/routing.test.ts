import { describe, expect, it } from 'vitest';
import { inferMode, routeRequest, scoreRequest, tokenize } from '../src/domain/routing.js';

/** The seed's Example Queries table, with the confidence it gives each. */
const EXAMPLES: Array<[string, number]> = [
  ['Fix this TypeError in login', 0.95],
  ['Implement OAuth2 with JWT', 0.92],
  ['Write tests for auth module', 0.88],
  ['Query orders for Q4', 0.85],
  ['Optimize this slow database query', 0.9],
  ['Deploy to production', 0.87],
  ['Refactor this monolithic function', 0.8],
];

describe('routing by keyword confidence scoring', () => {
  it.each(EXAMPLES)('routes "%s" to codegen near the seed confidence %s', (query, expected) => {
    const decision = routeRequest(query);
    expect(decision.agent).toBe('codegen');
    expect(Math.abs(decision.confidence - expected)).toBeLessThanOrEqual(0.06);
  });

  it('keeps the seed ordering between a bug fix and a lone refactor', () => {
    expect(routeRequest('Fix this TypeError in login').confidence).toBeGreaterThan(
      routeRequest('Refactor this monolithic function').confidence,
    );
  });

  it.each([
    ['Implement a password reset flow using email verification', 'codegen'],
    ['Build a React component for the dashboard', 'codegen'],
    ['Create a FastAPI endpoint for user management', 'codegen'],
    ['Write a database migration for the orders table', 'codegen'],
    ['This API endpoint returns 500; what is wrong? Debug it', 'codegen'],
    ['Set up GitHub Actions for automated testing', 'codegen'],
  ])('routes the seed trigger "%s" to %s', (query, agent) => {
    expect(routeRequest(query).agent).toBe(agent);
  });

  it('escalates architecture and planning work to pm (Pattern 4)', () => {
    const decision = routeRequest('Redesign the entire API architecture');
    expect(decision.agent).toBe('pm');
    expect(decision.matched.pm).toEqual(expect.arrayContaining(['redesign', 'entire', 'architecture']));
  });

  it('escalates security audits to security, but keeps implementing a control with codegen', () => {
    expect(routeRequest('Run a security audit of the authentication module for OWASP vulnerabilities').agent).toBe('security');
    expect(routeRequest('Implement CSRF protection on the login endpoint').agent).toBe('codegen');
  });

  it('escalates a request with no implementation signal as unclear scope', () => {
    const decision = routeRequest('Make things better somehow');
    expect(decision.agent).toBe('pm');
    expect(decision.reason).toMatch(/unclear scope/);
  });

  it('routes CI failures to codegen whatever their text', () => {
    expect(routeRequest('nightly pipeline red', { forceCodegen: true, mode: 'BUG_FIXING' }).agent).toBe('codegen');
  });

  it('scores the components the seed names', () => {
    expect(scoreRequest('implement').raw.codegen).toBe(0.4);
    expect(scoreRequest('implement react').raw.codegen).toBe(0.4 + 0.3 + 0.5);
    expect(scoreRequest('fix').raw.codegen).toBe(0.4 + 0.5);
    expect(scoreRequest('nothing here').raw.codegen).toBe(0);
  });

  it('folds inflections and phrases', () => {
    expect(tokenize('Fixing bugs in Next.js real-time queries')).toEqual(['fix', 'bug', 'in', 'nextjs', 'real_time', 'query']);
  });

  it('infers the generation mode', () => {
    expect(inferMode('Fix the failing test')).toBe('BUG_FIXING');
    expect(inferMode('Write tests for auth module')).toBe('TESTING');
    expect(inferMode('Refactor this monolithic function')).toBe('REFACTORING');
    expect(inferMode('Optimize this slow database query')).toBe('OPTIMIZATION');
    expect(inferMode('Document the public API in the README')).toBe('DOCUMENTATION');
    expect(inferMode('Implement OAuth2 with JWT')).toBe('FEATURE_DEVELOPMENT');
  });
});
