import { describe, expect, it } from 'vitest';
import { loadSymbolParser } from '@patchbay/context-engine';

const parse = async (grammar: 'typescript' | 'tsx' | 'javascript' | 'python' | 'go', text: string) => {
  const parser = await loadSymbolParser();
  await parser.load([grammar]);
  return parser.parse(grammar, text);
};
const kinds = (defs: ReadonlyArray<{ name: string; kind: string; container?: string }>) => defs.map((d) => `${d.kind} ${d.container ? `${d.container}.` : ''}${d.name}`);

describe('symbols and imports tree-sitter finds', () => {
  it('TypeScript: declarations at module and class level, functions held by variables, no locals', async () => {
    const record = await parse(
      'typescript',
      [
        "import { a } from './a.js';",
        "export { b } from './b.js';",
        "const lazy = import('./lazy.js');",
        "const fs = require('node:fs');",
        "describe('not a module', () => {});",
        'export interface Shape { area(): number; name: string }',
        "export type Size = 'small' | 'large';",
        'export enum Color { Red }',
        'export const double = (n: number) => n * 2;',
        'const square = function (n: number) { return n * n; };',
        'let counter = 0;',
        'const { x, y } = point;',
        'export abstract class Base { protected value = 1; abstract run(): void; helper(n: number): number { const local = n; return local; } }',
        'declare function declared(x: string): void;',
        'namespace Space { export const inner = 1; }',
      ].join('\n'),
    );
    expect(kinds(record.defs)).toEqual([
      'variable lazy',
      'variable fs',
      'interface Shape',
      'method Shape.area',
      'property Shape.name',
      'type Size',
      'enum Color',
      'function double',
      'function square',
      'variable counter',
      'class Base',
      'field Base.value',
      'method Base.run',
      'method Base.helper',
      'function declared',
      'namespace Space',
    ]);
    expect(record.defs.find((d) => d.name === 'double')).toMatchObject({ signature: 'const double = (n: number) =>', exported: true, line: 9 });
    expect(record.defs.find((d) => d.name === 'square')?.exported).toBe(false);
    expect(record.imports).toEqual(['./a.js', './b.js', './lazy.js', 'node:fs']);
  });

  it('ES modules: top-level names they do not export are their own; scripts share theirs', async () => {
    const exports = (defs: ReadonlyArray<{ name: string; exported: boolean; local?: true; container?: string }>) =>
      defs.map((d) => `${d.container ? `${d.container}.` : ''}${d.name} ${d.exported ? 'exported' : d.local ? 'local' : 'shared'}`);
    const module = await parse(
      'typescript',
      [
        "import { x } from './x.js';",
        'function hidden() {}',
        'export function shown() {}',
        'function listed() {}',
        'function renamed() {}',
        'export { listed, renamed as alias };',
        'function byDefault() {}',
        'export default byDefault;',
        "export { elsewhere } from './elsewhere.js';",
        'function elsewhere() {}',
        'class Box { open() {} }',
      ].join('\n'),
    );
    expect(exports(module.defs)).toEqual([
      'hidden local',
      'shown exported',
      'listed exported',
      'renamed exported',
      'byDefault exported',
      // The re-export names another module's `elsewhere`, not this one.
      'elsewhere local',
      'Box local',
      'Box.open exported',
    ]);
    // CommonJS and scripts: what they share is not written in export statements.
    const script = await parse('javascript', ["const fs = require('node:fs');", 'function total(a) { return a; }', 'module.exports = { total };'].join('\n'));
    expect(exports(script.defs)).toEqual(['fs shared', 'total shared']);
    // Declarations of globals beside an ambient module: its exports do not make the file a module.
    const ambient = await parse('typescript', ['declare function setTimer(ms: number): void;', "declare module 'timers' {", '  export function wait(ms: number): Promise<void>;', '}'].join('\n'));
    expect(exports(ambient.defs)).toEqual(['setTimer shared']);
    // `export =` (a CommonJS module's types) exports the name it gives.
    const assigned = await parse('typescript', ['declare function request(url: string): void;', 'declare function helper(): void;', 'export = request;'].join('\n'));
    expect(exports(assigned.defs)).toEqual(['request exported', 'helper local']);
  });

  it('Python: functions, classes and methods; assignments at module level only', async () => {
    const record = await parse('python', ['import os', 'from .models import User', 'LIMIT = 10', 'def top(a):', '    local = 1', '    return a', 'class Service:', '    attr = 1', '    def run(self):', '        pass', 'if True:', '    hidden = 1'].join('\n'));
    expect(kinds(record.defs)).toEqual(['variable LIMIT', 'function top', 'class Service', 'method Service.run']);
    expect(record.imports).toEqual(['os', '.models']);
  });

  it('Go: a struct is a class, an interface an interface, anything else a type', async () => {
    const record = await parse(
      'go',
      ['package store', 'import "fmt"', 'type Item struct { Name string }', 'type Repo interface { Get(id string) Item }', 'type IDs []string', 'func (i Item) String() string { return fmt.Sprint(i.Name) }'].join('\n'),
    );
    expect(kinds(record.defs)).toEqual(['class Item', 'field Item.Name', 'interface Repo', 'method Repo.Get', 'type IDs', 'method Item.String']);
    expect(record.imports).toEqual(['fmt']);
  });
});
