import { Command, CommanderError, Option } from 'commander';
import { SERVICE_NAMES } from '@patchbay/contracts';
import { isPatchbayError } from '@patchbay/errors';
import { EXIT, UsageError, err } from './output.js';

export interface Environment {
  /** PATH, to find a nats-server binary for the demo. */
  path: string;
}

function build(env: Environment, done: (code: number) => void): Command {
  const program = new Command('patchbay')
    .description('Event-driven, multi-agent code generation on NATS. Reads NATS_URL, OLLAMA_HOST and PATCHBAY_MODEL.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  // A command's module (and the services, clients and analysers it needs) loads when the command
  // runs, so `patchbay --help` or `patchbay context` does not load all six services.
  const finish = (p: Promise<number>) => p.then(done);

  program
    .command('run')
    .description('submit a task, show its progress live, print the final report (exit 0 completed, 1 failed, 3 escalated)')
    .argument('<title>', 'what to do, e.g. "Fix the failing test in median()"')
    .requiredOption('--repo <path|url>', 'the repository: a local path or a git URL')
    .option('--ref <ref>', 'branch, tag or commit to start from (default: HEAD)')
    .option('--mode <mode>', 'FEATURE_DEVELOPMENT, BUG_FIXING, REFACTORING, TESTING, DOCUMENTATION or OPTIMIZATION')
    .option('--model <name>', 'model for this task (default: PATCHBAY_MODEL)')
    .option('-d, --description <text>', 'more detail about the task')
    .option('--max-attempts <n>', 'attempts before giving up (default 3)')
    .option('--threshold <score>', 'quality score an attempt must reach, 0..1 (default 0.8)')
    .option('--id <task-id>', 'task id (default: generated); the same id twice is one task')
    .option('--timeout <seconds>', 'stop waiting after this long (default 1800)')
    .option('--no-wait', 'print the task id and return at once')
    .option('--json', 'print the final event as JSON')
    .action((title: string, flags) => finish(import('./commands/run.js').then((m) => m.runCommand(title, flags))));

  program
    .command('cancel')
    .description('stop a task: it ends with task.failed (CANCELLED), and a model call in flight is aborted')
    .argument('<task-id>')
    .option('--reason <text>', 'why, for the report')
    .option('--by <name>', 'who asks (default: nobody named)')
    .option('--timeout <seconds>', 'how long to wait for the task to end (default 30)')
    .option('--no-wait', 'return once the request is published')
    .action((id: string, flags) => finish(import('./commands/cancel.js').then((m) => m.cancelCommand(id, flags))));

  program
    .command('ci-failure')
    .description('report a CI failure; patchbay opens a bug-fix task for it')
    .requiredOption('--repo <path|url>', 'the repository')
    .option('--ref <ref>', 'the failing commit or branch')
    .option('--pipeline <name>', 'pipeline name')
    .option('--job <name>', 'job name')
    .option('--run-url <url>', 'link to the CI run')
    .option('--test-command <cmd>', 'the command that failed')
    .addOption(new Option('--failing-test <name...>', 'names of failing tests'))
    .option('--log-file <path|->', 'the failing output (- for stdin)')
    .option('--follow', 'show the task live until it ends')
    .option('--timeout <seconds>', 'with --follow, stop waiting after this long')
    .action((flags) => finish(import('./commands/ci-failure.js').then((m) => m.ciFailureCommand(flags))));

  program
    .command('feedback')
    .description("review a completed task: it re-opens for another attempt on its branch (a new commit on patchbay/<task-id>)")
    .argument('<task-id>')
    .argument('<text>', 'what should change, e.g. "use the logger instead of console.log"')
    .option('--author <name>', 'who asks')
    .option('--follow', 'show the task live until it ends again, then its report')
    .option('--timeout <seconds>', 'with --follow, stop waiting after this long (default 1800)')
    .option('--json', 'with --follow, print the final event as JSON')
    .action((id: string, text: string, flags) => finish(import('./commands/feedback.js').then((m) => m.feedbackCommand(id, text, flags))));

  program
    .command('analyze')
    .description('assess code outside a task: real analysers, seven scored dimensions, findings (exit 0 passes, 1 does not, 2 bad arguments)')
    .argument('<path|->', 'a file or directory, or - to read code from stdin (with --lang)')
    .option('--lang <language>', 'the language (needed for stdin): typescript, javascript, python, shell, go, rust, java, ruby')
    .option('--type <types>', 'only these analysis types: security, performance, quality, compatibility (comma-separated)')
    .option('--threshold <score>', 'score to reach, 0..1 (default: quality.threshold of config/agent_config.yaml)')
    .option('--json', 'print the result as JSON')
    .action((target: string, flags) => finish(import('./commands/analyze.js').then((m) => m.analyzeCommand(target, flags))));

  program
    .command('up')
    .description('run all services in this process (or the ones named) and print where each serves /metrics')
    .argument('[services...]', `any of ${SERVICE_NAMES.join(', ')}`)
    .action((names: string[]) => finish(import('./commands/up.js').then((m) => m.upCommand(names))));

  program
    .command('service')
    .description('run one service; start more processes to scale it')
    .argument('<name>', SERVICE_NAMES.join(' | '))
    .action((name: string) => finish(import('./commands/up.js').then((m) => m.serviceCommand(name))));

  program
    .command('route')
    .description('print the routing decision for a request, as JSON')
    .argument('<text>', 'the request')
    .option('--mode <mode>', 'a mode the submitter chose')
    .action((text: string, flags) => finish(import('./commands/inspect.js').then((m) => m.routeCommand(text, flags))));

  program
    .command('context')
    .description('print what the model is told about a repository: its facts and the ranked repo map')
    .requiredOption('--repo <path|url>', 'a local checkout (uncommitted changes included) or a git URL')
    .option('--ref <ref>', 'analyse this commit instead of the working tree')
    .option('--task <text>', 'the task, to rank the map for it')
    .option('--budget <tokens>', 'token budget of the repo map (default: PATCHBAY_MAP_TOKENS, else an eighth of PATCHBAY_LLM_CONTEXT_WINDOW or of 32768)')
    .option('--json', 'the whole context as JSON')
    .option('--local', 'analyse in this process: ask no running context engine and start none')
    .option('--timeout <seconds>', "how long to wait for a running context engine's answer before analysing here (default 300)")
    .addHelpText(
      'after',
      '\nA local checkout is answered by a running context engine when one may read it. With none,\nthis process analyses it and then starts an engine for that checkout in the background,\nwhich answers the next calls and exits after 15 minutes without one\n(PATCHBAY_CONTEXT_START_ENGINE=false: never start one).',
    )
    .action((flags) => finish(import('./commands/context.js').then((m) => m.contextCommand(flags))));

  program
    .command('board')
    .description('print the discovery board as NDJSON')
    .option('--repo <path|url>', 'only entries about this repository')
    .option('--json', 'one JSON array with every field')
    .action((flags) => finish(import('./commands/inspect.js').then((m) => m.boardCommand(flags))));

  program.command('changes').description("print a task's changes log as NDJSON").argument('<task-id>').action((id: string) => finish(import('./commands/inspect.js').then((m) => m.changesCommand(id))));
  program.command('debug-log').description("print a task's debug log as NDJSON").argument('<task-id>').action((id: string) => finish(import('./commands/inspect.js').then((m) => m.debugLogCommand(id))));
  program.command('report').description("print a task's final report").argument('<task-id>').action((id: string) => finish(import('./commands/inspect.js').then((m) => m.reportCommand(id))));
  program.command('status').description("print a task's stored state").argument('<task-id>').action((id: string) => finish(import('./commands/inspect.js').then((m) => m.statusCommand(id))));
  program
    .command('events')
    .description("print a task's events so far")
    .argument('<task-id>')
    .option('--json', 'raw CloudEvents, one per line')
    .action((id: string, flags) => finish(import('./commands/inspect.js').then((m) => m.eventsCommand(id, flags))));
  program
    .command('dead-letters')
    .description('print dead-lettered messages with their reasons, as NDJSON')
    .argument('[service]', 'only this service')
    .action((service: string | undefined) => finish(import('./commands/inspect.js').then((m) => m.deadLettersCommand(service))));
  program
    .command('demo')
    .description('run one task end to end on the bundled example repository')
    .action(() => finish(import('./commands/demo.js').then((m) => m.demoCommand(env.path))));
  return program;
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[], env: Environment): Promise<number> {
  let code: number = EXIT.ok;
  const program = build(env, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      err(`patchbay: ${error.message}`);
      return EXIT.usage;
    }
    if (isPatchbayError(error)) {
      err(`patchbay: ${error.message}`);
      return error.code === 'INPUT_INVALID' ? EXIT.usage : EXIT.failed;
    }
    err(`patchbay: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
}
