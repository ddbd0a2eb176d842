/**
 * Keyword vocabularies for routing, from the CodeGen agent's specification
 * (Keyword Patterns; Fallback & Escalation). Words are matched after normalisation
 * (lower case, common inflections folded onto these base forms).
 */

/** Implementation signals: the seed's strong signals plus the verbs its quality metrics name. */
export const IMPLEMENTATION = [
  'code', 'implement', 'function', 'fix', 'bug', 'api', 'endpoint', 'build', 'database', 'query', 'schema',
  'testing', 'test', 'deploy', 'deployment', 'production', 'frontend', 'backend', 'full-stack', 'refactor', 'clean_code',
  'git', 'repository', 'json', 'yaml', 'xml', 'rest', 'graphql', 'websocket', 'docker', 'kubernetes', 'ci/cd',
  'github', 'npm', 'pip', 'optimize', 'debug', 'write', 'create', 'add', 'migration', 'component', 'module',
  'containerize', 'error', 'typeerror', 'exception', 'crash', 'failing', 'regression',
] as const;

/** Technology mentions (+0.3). */
export const TECHNOLOGY = [
  'typescript', 'javascript', 'python', 'fastapi', 'react', 'nextjs', 'node', 'express', 'fastify', 'nestjs',
  'vue', 'supabase', 'postgresql', 'postgres', 'tailwind', 'docker', 'kubernetes', 'graphql', 'websocket',
  'oauth', 'oauth2', 'jwt', 'vitest', 'jest', 'pytest', 'cypress', 'playwright', 'vercel', 'django', 'flask',
  'go', 'rust', 'sql', 'redis', 'nats', 'github', 'alembic', 'zustand',
] as const;

/** "Fix" or "bug" and their kin (+0.5). */
export const FIX_OR_BUG = [
  'fix', 'bug', 'debug', 'typeerror', 'error', 'exception', 'crash', 'broken', 'failing', 'regression', 'stacktrace',
] as const;

/** Database keywords (+0.4 unless the work is complex multi-agent work). */
export const DATABASE = [
  'query', 'fetch', 'select', 'insert', 'update', 'delete', 'table', 'column', 'row', 'data', 'supabase',
  'postgresql', 'postgres', 'sql', 'database', 'appointments', 'clients', 'services', 'transactions', 'orders',
  'customers', 'call_logs', 'schema', 'rls', 'subscription', 'real_time',
] as const;

/** Planning, architecture and coordination: escalate to the PM agent. */
export const PLANNING = [
  'plan', 'planning', 'roadmap', 'timeline', 'estimate', 'milestone', 'architecture', 'redesign', 'strategy',
  'strategic', 'decompose', 'coordinate', 'multi-team', 'stakeholder', 'prioritize', 'rescope', 'scope',
  'overhaul', 'entire', 'phases', 'high-level', 'multi-system', 'organization',
] as const;

/** Security review work: escalate to the Security agent. Implementing a control stays with CodeGen. */
export const SECURITY_REVIEW = [
  'audit', 'vulnerability', 'pentest', 'penetration', 'threat_model', 'compliance', 'owasp', 'cve',
  'soc2', 'gdpr', 'hipaa', 'security_review', 'security_audit', 'exploit', 'breach',
] as const;

/** Inflections folded onto base forms before matching. */
export const ALIASES: Readonly<Record<string, string>> = {
  implementing: 'implement', implemented: 'implement', implementation: 'implement', implements: 'implement',
  fixes: 'fix', fixed: 'fix', fixing: 'fix', bugs: 'bug', buggy: 'bug', tests: 'test', tested: 'test',
  queries: 'query', querying: 'query', functions: 'function', endpoints: 'endpoint', apis: 'api',
  deploying: 'deploy', deployed: 'deploy', deploys: 'deploy', refactoring: 'refactor', refactored: 'refactor',
  optimise: 'optimize', optimizing: 'optimize', optimising: 'optimize', optimization: 'optimize',
  optimisation: 'optimize', optimized: 'optimize', debugging: 'debug', errors: 'error', exceptions: 'exception',
  crashes: 'crash', crashing: 'crash', fails: 'failing', failed: 'failing', fail: 'failing', failure: 'failing',
  writing: 'write', writes: 'write', creating: 'create', adding: 'add', adds: 'add', building: 'build',
  builds: 'build', components: 'component', modules: 'module', migrations: 'migration', containerise: 'containerize',
  'next.js': 'nextjs', 'node.js': 'node', 'vue.js': 'vue', ts: 'typescript', js: 'javascript', postgre: 'postgres',
  plans: 'plan', planned: 'plan', estimates: 'estimate', estimation: 'estimate', milestones: 'milestone',
  redesigning: 'redesign', coordinating: 'coordinate', coordination: 'coordinate', stakeholders: 'stakeholder',
  prioritise: 'prioritize', prioritization: 'prioritize', audits: 'audit', auditing: 'audit',
  vulnerabilities: 'vulnerability', vulnerable: 'vulnerability', exploits: 'exploit', documenting: 'document',
  documents: 'document', documentation: 'document', docs: 'document', docstring: 'document', docstrings: 'document',
  readme: 'document', performance: 'optimize', slow: 'optimize', faster: 'optimize', tables: 'table',
  columns: 'column', rows: 'row', customer: 'customers', order: 'orders', transaction: 'transactions',
  appointment: 'appointments', client: 'clients', service: 'services', 'real-time': 'real_time', realtime: 'real_time',
  'clean-code': 'clean_code', fullstack: 'full-stack',
};

/** Phrases matched before single words (spaces collapse to underscores). */
export const PHRASES: readonly string[] = [
  'clean code', 'real time', 'threat model', 'security review', 'security audit', 'call logs', 'ci/cd', 'multi team',
];
