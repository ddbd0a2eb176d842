import { Parser, Language } from 'web-tree-sitter';
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
await Parser.init();
const [lang, code] = [process.argv[2], process.argv[3]];
const L = await Language.load(require.resolve(lang));
const p = new Parser(); p.setLanguage(L);
const t = p.parse(code);
function dump(n, d, field) { console.log('  '.repeat(d) + (field ? field + ': ' : '') + n.type + (n.childCount === 0 ? ' ' + JSON.stringify(n.text) : '')); for (let i = 0; i < n.childCount; i++) { const c = n.child(i); if (c.isNamed || c.type.length > 1) dump(c, d + 1, n.fieldNameForChild(i)); } }
dump(t.rootNode, 0);
